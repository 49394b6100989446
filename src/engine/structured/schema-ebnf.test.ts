/**
 * The rewritten schema grammars on the real Qwen3 vocabulary: at every step of seeded random walks and along valid
 * documents, the very same token mask as xgrammar's own grammar with the same string classes (the lookaheads only
 * move work from run time to compile time); bounded strings stay within minLength/maxLength and are JSON (no raw
 * control characters).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { StructuredCompiler } from "./compiler.ts";
import { jsonSafeBoundedStrings, rewriteSchemaEbnf } from "./schema-ebnf.ts";
import { type CompiledGrammar, xgr, xgrammarCall } from "./xgrammar.ts";
import { QWEN3_VOCAB, qwen3Compiler } from "./testing.ts";

let tok: ModelTokenizer;
let compiler: StructuredCompiler;

beforeAll(async () => {
  ({ tok, compiler } = await qwen3Compiler());
}, 60_000);

/** xgrammar's own grammar for a schema with JSON-safe bounded strings and no lookaheads, compiled as EBNF. */
async function plainGrammar(schema: object): Promise<CompiledGrammar> {
  const g = await xgrammarCall(() => xgr.Grammar.fromJSONSchema(JSON.stringify(schema), false, -1, [", ", ": "], true));
  const text = jsonSafeBoundedStrings(g.toString());
  g.dispose();
  expect(rewriteSchemaEbnf(text)).not.toBe(text); // the schema has a chain to rewrite
  return compiler.compile({ type: "grammar", grammar: text });
}

function allowed(mask: Int32Array): number[] {
  const out: number[] = [];
  for (let id = 0; id < QWEN3_VOCAB; id++) if ((mask[id >>> 5]! >>> (id & 31)) & 1) out.push(id);
  return out;
}

/**
 * Walks the rewritten grammar with a seeded random allowed token each step (stop tokens only when nothing else
 * is allowed), checking each step's mask against xgrammar's own grammar; returns the text written.
 */
function walk(tuned: CompiledGrammar, plain: CompiledGrammar, seed: number): string {
  const a = compiler.matcher(tuned);
  const b = compiler.matcher(plain);
  const eos = [...tok.eosTokenIds];
  const ids: number[] = [];
  let s = seed;
  try {
    for (let step = 0; !a.isTerminated(); step++) {
      expect(step).toBeLessThan(400);
      const mask = a.getNextTokenBitmaskSync();
      expect(Buffer.from(mask.buffer).equals(Buffer.from(b.getNextTokenBitmaskSync().buffer))).toBe(true);
      const ok = allowed(mask);
      const open = ok.filter((id) => !eos.includes(id));
      const from = open.length > 0 ? open : ok;
      s = (s * 1103515245 + 12345) >>> 0;
      const id = from[Math.floor((s / 2 ** 32) * from.length)]!;
      expect(a.acceptToken(id)).toBe(true);
      expect(b.acceptToken(id)).toBe(true);
      if (!eos.includes(id)) ids.push(id);
    }
    return tok.decode(ids);
  } finally {
    a.dispose();
    b.dispose();
  }
}

describe("rewritten schema grammars on the real vocabulary", () => {
  test("bounded strings: the same masks as without lookaheads; lengths stay within min/maxLength", async () => {
    const schema = {
      type: "array", minItems: 3, maxItems: 3,
      items: {
        type: "object", additionalProperties: false, required: ["name", "n"],
        properties: { name: { type: "string", minLength: 2, maxLength: 9 }, n: { type: "integer", minimum: 0, maximum: 99 } },
      },
    };
    const tuned = await compiler.compile({ type: "json_schema", schema });
    const plain = await plainGrammar(schema);
    for (const seed of [1, 2, 3]) {
      const items = JSON.parse(walk(tuned, plain, seed)) as { name: string; n: number }[];
      expect(items).toHaveLength(3);
      for (const { name, n } of items) {
        expect([...name].length).toBeGreaterThanOrEqual(2);
        expect([...name].length).toBeLessThanOrEqual(9);
        expect(n).toBeLessThanOrEqual(99);
      }
    }
  }, 60_000);

  test("a bounded pattern and a bounded array: the same masks, and the output matches", async () => {
    const schema = {
      type: "object", additionalProperties: false, required: ["code", "tags"],
      properties: {
        code: { type: "string", pattern: "^[A-Z]{2,7}-[0-9]{3}$" },
        tags: { type: "array", maxItems: 4, items: { type: "string", maxLength: 3 } },
      },
    };
    const tuned = await compiler.compile({ type: "json_schema", schema });
    const plain = await plainGrammar(schema);
    for (const seed of [4, 5, 6]) {
      const doc = JSON.parse(walk(tuned, plain, seed)) as { code: string; tags: string[] };
      expect(doc.code).toMatch(/^[A-Z]{2,7}-[0-9]{3}$/);
      expect(doc.tags.length).toBeLessThanOrEqual(4);
      for (const t of doc.tags) expect([...t].length).toBeLessThanOrEqual(3);
    }
  }, 60_000);

  test("bounded numbers, optional fields and open arrays: the same masks along valid documents, which still pass", async () => {
    const schema = {
      type: "object", additionalProperties: false, required: ["id", "status", "tags"],
      properties: {
        id: { type: "integer", minimum: 1, maximum: 100000 },
        status: { enum: ["active", "closed"] },
        score: { type: "number", minimum: 0, maximum: 1 },
        tags: { type: "array", items: { type: "string" } },
        note: { type: "string", maxLength: 6 },
      },
    };
    const tuned = await compiler.compile({ type: "json_schema", schema });
    const plain = await plainGrammar(schema);
    const docs = [
      '{"id": 4512, "status": "active", "score": 0.875, "tags": ["a", "bc"], "note": "héllo!"}',
      '{"id": 100000, "status": "closed", "score": 1, "tags": []}',
      '{"id": 7, "status": "active", "score": 0.123456, "tags": ["x"], "note": ""}',
    ];
    for (const doc of docs) {
      const a = compiler.matcher(tuned);
      const b = compiler.matcher(plain);
      for (const id of [...tok.encode(doc, { addSpecialTokens: false }), [...tok.eosTokenIds][0]!]) {
        expect(Buffer.from(a.getNextTokenBitmaskSync().buffer).equals(Buffer.from(b.getNextTokenBitmaskSync().buffer))).toBe(true);
        expect(a.acceptToken(id)).toBe(true);
        expect(b.acceptToken(id)).toBe(true);
      }
      expect(a.isTerminated()).toBe(true);
      a.dispose();
      b.dispose();
    }
  }, 60_000);
});

/** Feeds `text`'s tokens and then EOS to a fresh matcher: true when every token is accepted and it terminates. */
function accepts(compiled: CompiledGrammar, text: string): boolean {
  const m = compiler.matcher(compiled);
  try {
    for (const id of tok.encode(text, { addSpecialTokens: false })) if (!m.acceptToken(id)) return false;
    return m.acceptToken([...tok.eosTokenIds][0]!) && m.isTerminated();
  } finally {
    m.dispose();
  }
}

describe("bounded strings are JSON", () => {
  test("the class of a bounded string's character loses the control characters, nothing else changes", () => {
    const printed = String.raw`string_1 ::= ("" | ([^\"\\\r\n] string_2))` + "\n" + String.raw`e ::= (("\"[^\\\"\\\\]\""))`;
    expect(jsonSafeBoundedStrings(printed)).toBe(
      String.raw`string_1 ::= ("" | ([^\0-\x1f\"\\\r\n] string_2))` + "\n" + String.raw`e ::= (("\"[^\\\"\\\\]\""))`,
    );
  });

  test("minLength/maxLength: no raw tab or U+0001 (JSON.parse refuses them), unicode and the bounds hold", async () => {
    const g = await compiler.compile({ type: "json_schema", schema: { type: "string", minLength: 2, maxLength: 5 } });
    expect(accepts(g, '"ab\tc"')).toBe(false);
    expect(accepts(g, '"a\u0001c"')).toBe(false);
    expect(accepts(g, '"héllo"')).toBe(true);
    expect(accepts(g, '"日本語"')).toBe(true);
    expect(accepts(g, '"a"')).toBe(false);
    expect(accepts(g, '"abcdef"')).toBe(false);
    expect(accepts(g, '"ab\\tc"')).toBe(false); // escapes are not in xgrammar's bounded strings at all
  });
});
