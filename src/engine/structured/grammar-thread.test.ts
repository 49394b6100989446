/**
 * The grammar thread against xgrammar on this thread: the same masks along random walks, the same ends, and the
 * failure paths (a rejected token, a compile error, a dead thread).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import type { StructuredCompiler } from "./compiler.ts";
import { GrammarThread } from "./grammar-thread-client.ts";
import { StructuredOutputError, type StructuredOutputSpec } from "./spec.ts";
import { QWEN3_VOCAB, qwen3Compiler } from "./testing.ts";
import { type TokenGrammar, XgrammarTokenGrammar } from "./token-grammar.ts";
import { grammarVocab } from "./vocab.ts";

const W = Math.ceil(QWEN3_VOCAB / 32);
let tok: ModelTokenizer;
let compiler: StructuredCompiler;
let thread: GrammarThread;
let eos: number[];

beforeAll(async () => {
  ({ tok, compiler } = await qwen3Compiler());
  eos = [...tok.eosTokenIds];
  // The same TokenizerInfo as qwen3Compiler's (its stop tokens decide which special tokens a mask may allow).
  thread = await GrammarThread.start({ vocab: grammarVocab(tok.files, QWEN3_VOCAB), vocabSize: QWEN3_VOCAB, stopTokenIds: eos });
}, 60_000);
afterAll(() => thread.close());

const PERSON: StructuredOutputSpec = {
  type: "json_schema",
  schema: {
    type: "object", additionalProperties: false, required: ["name", "age", "tags"],
    properties: { name: { type: "string", maxLength: 12 }, age: { type: "integer", minimum: 0, maximum: 150 },
      tags: { type: "array", items: { enum: ["a", "bb", "ccc"] }, maxItems: 3 } },
  },
};

/** A seeded generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function allowed(mask: Int32Array): number[] {
  const ids: number[] = [];
  for (let t = 0; t < QWEN3_VOCAB; t++) if ((mask[t >>> 5]! >>> (t & 31)) & 1) ids.push(t);
  return ids;
}

function maskOf(g: TokenGrammar): Int32Array {
  const out = new Int32Array(W + 2).fill(7);
  g.fillNextTokenBitmask(out, 1);
  expect([out[0], out[W + 1]]).toEqual([7, 7]); // written at the offset, W words only
  return out.subarray(1, W + 1);
}

describe("the grammar thread", () => {
  test("masks equal xgrammar's on this thread along random walks, to the stop token", async () => {
    for (const seed of [1, 2, 3]) {
      const random = rng(seed);
      const here = new XgrammarTokenGrammar(compiler.matcher(await compiler.compile(PERSON), eos));
      const there = await thread.create(PERSON, eos);
      let steps = 0;
      while (!here.isTerminated()) {
        expect(there.isTerminated()).toBe(false);
        const mask = maskOf(there);
        expect(mask).toEqual(maskOf(here));
        const ids = allowed(mask);
        // Bias toward ending so that walks finish: a stop token whenever it is allowed, half the time.
        const stop = ids.find((t) => eos.includes(t));
        const token = stop !== undefined && random() < 0.5 ? stop : ids[Math.floor(random() * ids.length)]!;
        expect(there.acceptToken(token)).toBe(true);
        expect(here.acceptToken(token)).toBe(true);
        if (++steps > 400) break;
      }
      expect(here.isTerminated()).toBe(true);
      expect(there.isTerminated()).toBe(true);
      expect(there.acceptToken(eos[0]!)).toBe(false); // nothing follows the end, as on this thread
      expect(here.acceptToken(eos[0]!)).toBe(false);
      here.dispose();
      there.dispose();
      expect(steps).toBeGreaterThan(5);
    }
  }, 60_000);

  test("a token outside the mask is refused without advancing; two matchers of one spec are independent", async () => {
    const [a, b] = [await thread.create(PERSON, eos), await thread.create(PERSON, eos)];
    const brace = tok.encode("{", { addSpecialTokens: false })[0]!;
    const letter = tok.encode("x", { addSpecialTokens: false })[0]!;
    expect(a.acceptToken(letter)).toBe(false);
    expect(a.acceptToken(QWEN3_VOCAB + 5)).toBe(false);
    expect(a.acceptToken(brace)).toBe(true);
    expect(allowed(maskOf(a)).length).toBeLessThan(allowed(maskOf(b)).length + 1);
    expect(maskOf(a)).not.toEqual(maskOf(b));
    expect(b.acceptToken(brace)).toBe(true);
    expect(maskOf(a)).toEqual(maskOf(b));
    a.dispose();
    b.dispose();
    expect(() => a.acceptToken(brace)).toThrow("disposed");
  });

  test("a spec that cannot compile comes back as StructuredOutputError naming the feature and its param", async () => {
    const e = await thread.create({ type: "regex", pattern: "(?<=a)b" }, eos).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(StructuredOutputError);
    expect((e as StructuredOutputError).param).toBe("structured_outputs.regex");
    expect((e as Error).message.toLowerCase()).toContain("lookbehind");
    const ok = await thread.create({ type: "choice", choices: ["yes", "no"] }, eos); // the thread goes on
    expect(ok.isTerminated()).toBe(false);
    ok.dispose();
  });

  test("a dead thread: its grammars end (no wait), pending and later creates fail, onCrash names the requests", async () => {
    const crashes: { message: string; ids: string[] }[] = [];
    const doomed = await GrammarThread.start({
      vocab: grammarVocab(tok.files, QWEN3_VOCAB), vocabSize: QWEN3_VOCAB,
      onCrash: (error, ids) => crashes.push({ message: error.message, ids }),
    }, new URL("./testdata/crashing-grammar-thread.ts", import.meta.url).href);
    const g = await doomed.create({ type: "choice", choices: ["yes", "no"] }, eos, "req-7");
    const failed = await doomed.create({ type: "choice", choices: ["crash"] }, eos, "req-8").catch((e: unknown) => e);
    expect((failed as Error).message).toContain("boom");
    expect(crashes).toHaveLength(1);
    expect(crashes[0]!.message).toContain("the grammar thread crashed");
    expect(crashes[0]!.ids).toEqual(["req-7"]);
    expect(doomed.dead).toBe(true);
    expect(g.isTerminated()).toBe(true);
    expect(g.acceptToken(eos[0]!)).toBe(false);
    g.dispose();
    expect(await doomed.create(PERSON, eos).catch((e: Error) => e.message)).toContain("boom");
  }, 60_000);
});
