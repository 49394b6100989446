/**
 * Grammar mask time per token with xgrammar (WASM, the engine we ship) on the Qwen3 and Llama 3 vocabularies.
 * For each case it compiles the grammar, then walks the tokens of a valid document: per token it times the
 * next-token bitmask (the work the engine does on the host while the device runs the forward) and the accept.
 *   bun bench/structured/mask-bench.ts            # table on stdout
 *   bun bench/structured/mask-bench.ts --plain    # schemas as xgrammar's own grammar, without our lookaheads
 * llguidance's figures come from mask-bench-llguidance.py on the same cases.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { StructuredCompiler } from "../../src/engine/structured/compiler.ts";
import type { StructuredOutputSpec } from "../../src/engine/structured/spec.ts";
import { plainSchemaSpec } from "./subject.ts";

const plain = process.argv.includes("--plain");

interface Case { name: string; schema?: Record<string, unknown>; regex?: string; document: string }
const spec = JSON.parse(await Bun.file(new URL("cases.json", import.meta.url)).text()) as {
  vocabularies: Record<string, string>;
  cases: Case[];
};

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

console.log("| vocabulary | case | tokens | compile ms | mask µs median | mask µs p95 | mask µs max | accept µs median |");
console.log("|---|---|---|---|---|---|---|---|");
for (const [vocabName, path] of Object.entries(spec.vocabularies)) {
  const tokenizerJson = JSON.parse(await Bun.file(path).text());
  const tok = new Tokenizer(tokenizerJson, {});
  let V = 0;
  for (const id of tok.get_vocab(true).values()) V = Math.max(V, id + 1);
  const eos = [...tok.get_vocab(true).entries()].filter(([t]) => /^<\|(im_end|eot_id|end_of_text|endoftext)\|>$/.test(t)).map(([, id]) => id);
  const compiler = await StructuredCompiler.create({ tokenizerJson, tokenizerConfig: {} }, V, eos);
  for (const c of spec.cases) {
    const s: StructuredOutputSpec = c.regex !== undefined ? { type: "regex", pattern: c.regex }
      : plain ? await plainSchemaSpec(c.schema!)
      : c.name === "json_object" ? { type: "json_object" } : { type: "json_schema", schema: c.schema! };
    const t0 = performance.now();
    const compiled = await compiler.compile(s);
    const compileMs = performance.now() - t0;
    const ids = tok.encode(c.document, { add_special_tokens: false }).ids;
    const mask: number[] = [];
    const accept: number[] = [];
    for (let round = 0; round < 5; round++) {
      const m = compiler.matcher(compiled);
      for (const id of ids) {
        const a = performance.now();
        m.getNextTokenBitmaskSync();
        const b = performance.now();
        if (!m.acceptToken(id)) throw new Error(`${vocabName}/${c.name}: token ${id} rejected`);
        const d = performance.now();
        if (round > 0) { mask.push((b - a) * 1000); accept.push((d - b) * 1000); }
      }
      m.dispose();
    }
    const us = (x: number) => x.toFixed(0);
    console.log(`| ${vocabName} (${V}) | ${c.name} | ${ids.length} | ${compileMs.toFixed(1)} | ${us(quantile(mask, 0.5))} | ${us(quantile(mask, 0.95))} | ${us(Math.max(...mask))} | ${us(quantile(accept, 0.5))} |`);
  }
}
