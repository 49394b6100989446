/**
 * Where a constrained decode step's host time goes, on the CPU, with the real Qwen3 vocabulary and the schema of
 * engine-decode.ts (12 `{name, qty}` objects). It walks the grammar as a random-weight model does (a
 * pseudo-random allowed token each step, seeded) and times per token, on the host only:
 *   fill    xgrammar's next-token bitmask (WASM: GetNextTokenBitmask, view, copy out)
 *   build   GrammarBitmasks.build for one row (fill plus the step buffer)
 *   expand  applyTokenBitmask's host side: the bitmask to an MLX array and the expand graph (nothing evaluated)
 *   accept  acceptToken of the chosen token
 *   jump    findJumpForwardString (what a jump-forward shortcut would cost to ask)
 *
 * With --plain the schema compiles to xgrammar's own grammar, without the lookaheads the compiler adds to bounded
 * repetitions (the state before tail-lookahead.ts), for a before/after on the same machine.
 *
 *   bun bench/structured/mask-breakdown.ts [--tokens 256] [--walks 3] [--plain]
 */
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import { applyTokenBitmask, bitmaskWords } from "../../src/engine/sampling/token-bitmask.ts";
import { GrammarBitmasks } from "../../src/engine/structured/grammar-bitmask.ts";
import { XgrammarTokenGrammar } from "../../src/engine/structured/token-grammar.ts";
import { plainSchemaSpec, qwen3Subject, TWELVE_ITEMS, VOCAB } from "./subject.ts";

const { values } = parseArgs({
  options: { tokens: { type: "string", default: "256" }, walks: { type: "string", default: "3" }, plain: { type: "boolean", default: false } },
});
const W = bitmaskWords(VOCAB);
const { eos, compiler } = await qwen3Subject();
const t0 = performance.now();
const compiled = await compiler.compile(values.plain && TWELVE_ITEMS.type === "json_schema" ? await plainSchemaSpec(TWELVE_ITEMS.schema) : TWELVE_ITEMS);
const compileMs = performance.now() - t0;
using logits = mx.zeros([1, VOCAB], "float32");

/** Allowed token ids of a one-row bitmask. */
function allowed(mask: Int32Array): number[] {
  const out: number[] = [];
  for (let w = 0; w < W; w++) {
    const word = mask[w]!;
    if (word === 0) continue;
    for (let b = 0; b < 32; b++) if ((word >>> b) & 1 && 32 * w + b < VOCAB) out.push(32 * w + b);
  }
  return out;
}

let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const t = { fill: [] as number[], build: [] as number[], expand: [] as number[], accept: [] as number[], jump: [] as number[] };
const masks = new GrammarBitmasks();
for (let walk = 0; walk < Number(values.walks); walk++) {
  const matcher = compiler.matcher(compiled);
  const g = new XgrammarTokenGrammar(compiler.matcher(compiled));
  for (let i = 0; i < Number(values.tokens) && !matcher.isTerminated(); i++) {
    let t0 = performance.now();
    const mask = matcher.getNextTokenBitmaskSync();
    t.fill.push(performance.now() - t0);
    t0 = performance.now();
    const bitmask = masks.build([g], VOCAB);
    t.build.push(performance.now() - t0);
    t0 = performance.now();
    const masked = applyTokenBitmask(logits, bitmask);
    t.expand.push(performance.now() - t0);
    masked.dispose();
    t0 = performance.now();
    matcher.findJumpForwardString();
    t.jump.push(performance.now() - t0);
    const ids = allowed(mask);
    // Random weights sample about uniformly; stop tokens only when nothing else is allowed (the bench's budget).
    const open = ids.filter((id) => !eos.includes(id));
    const pick = (open.length > 0 ? open : ids)[Math.floor(rand() * (open.length > 0 ? open : ids).length)]!;
    t0 = performance.now();
    if (!matcher.acceptToken(pick)) throw new Error(`token ${pick} rejected`);
    t.accept.push(performance.now() - t0);
    g.acceptToken(pick);
  }
  matcher.dispose();
  g.dispose();
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`Qwen3 vocabulary (${VOCAB}), engine-decode schema${values.plain ? " (--plain: xgrammar's own grammar)" : ""}, compiled in ${compileMs.toFixed(0)} ms; ${t.fill.length} tokens over ${values.walks} walks; µs per token`);
console.log("| part | mean | median | p90 | max |\n|---|---|---|---|---|");
for (const [k, xs] of Object.entries(t)) {
  const us = (v: number) => (v * 1000).toFixed(0);
  console.log(`| ${k} | ${us(mean(xs))} | ${us(q(xs, 0.5))} | ${us(q(xs, 0.9))} | ${us(Math.max(...xs))} |`);
}
