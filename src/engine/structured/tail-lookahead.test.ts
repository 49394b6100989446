/**
 * Lookaheads for bounded repetitions: the text rewrite on its own, then on the real Qwen3 vocabulary that a
 * rewritten schema grammar gives, at every step of random walks, the very same token mask as xgrammar's own
 * grammar (the rewrite only moves work from run time to compile time) and that bounded strings stay bounded.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { lenmlTokenizer } from "../../tokenizer/testdata/fixtures.ts";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { StructuredCompiler } from "./compiler.ts";
import { addTailLookaheads } from "./tail-lookahead.ts";
import { type CompiledGrammar, xgr, xgrammarCall } from "./xgrammar.ts";

describe("addTailLookaheads", () => {
  test("a chain of tail references inherits the lookahead xgrammar infers for its head", () => {
    const ebnf = [
      'root ::= (("[" a "]"))',
      'a ::= ("" | ("x" b))',
      'b ::= ("" | ("x" c))',
      'c ::= ("" | ("x"))',
    ].join("\n");
    expect(addTailLookaheads(ebnf)).toBe([
      'root ::= (("[" a "]"))',
      'a ::= ("" | ("x" b))',
      'b ::= ("" | ("x" c)) (=("]"))',
      'c ::= ("" | ("x")) (=("]"))',
      "",
    ].join("\n"));
  });

  test("a written lookahead is inherited; a rule used twice, under root's tail or in a cycle gets none", () => {
    const ebnf = [
      'root ::= ((s ", " t) | (u))',
      's ::= (("\\"" s_1)) (=([,}]))',
      's_1 ::= ("" | ([a-z] s_2))',
      's_2 ::= ("" | ([^\\"\\]] s_1))',
      't ::= (("<" v ">" v))',
      'u ::= (("u" w))',
      'v ::= (("v"))',
      'w ::= (("w"))',
      'c_1 ::= (("c" c_2))',
      'c_2 ::= (("d" c_1))',
    ].join("\n");
    const out = addTailLookaheads(ebnf)!.split("\n");
    expect(out[1]).toBe('s ::= (("\\"" s_1)) (=([,}]))');
    // s_1 is used twice (by s and by s_2), so neither it nor s_2, at its tail, has a single follow.
    expect(out[2]).toBe('s_1 ::= ("" | ([a-z] s_2))');
    expect(out[3]).toBe('s_2 ::= ("" | ([^\\"\\]] s_1))');
    expect(out[5]).toBe('u ::= (("u" w))');
    expect(out[7]).toBe('w ::= (("w"))');
    expect(out.slice(8)).toEqual(['c_1 ::= (("c" c_2))', 'c_2 ::= (("d" c_1))', ""]);
  });

  test("a single tail use of a rule used nowhere else inherits through several levels", () => {
    const ebnf = ['root ::= ((p ";"))', 'p ::= (("p" q))', 'q ::= (("q" r) | ("Q"))', 'r ::= ("" | ("r"))'].join("\n");
    const out = addTailLookaheads(ebnf)!.split("\n");
    expect(out[1]).toBe('p ::= (("p" q))');
    expect(out[2]).toBe('q ::= (("q" r) | ("Q")) (=(";"))');
    expect(out[3]).toBe('r ::= ("" | ("r")) (=(";"))');
  });

  test("text outside xgrammar's normalized print is left alone (null)", () => {
    expect(addTailLookaheads('root ::= (("a" r{0, 72}))\nr ::= (("b"))')).toBeNull();
    expect(addTailLookaheads('root ::= "a" | "b"')).toBeNull();
    expect(addTailLookaheads('root ::= (("a" missing))')).toBeNull();
    expect(addTailLookaheads('start ::= (("a"))')).toBeNull();
    expect(addTailLookaheads('root ::= (("a" (b | c)))\nb ::= (("b"))\nc ::= (("c"))')).toBeNull();
  });
});

const QWEN3_VOCAB = 151936;
let tok: ModelTokenizer;
let compiler: StructuredCompiler;

beforeAll(async () => {
  tok = await lenmlTokenizer("qwen3");
  compiler = await StructuredCompiler.create(tok.files, QWEN3_VOCAB, [...tok.eosTokenIds]);
}, 60_000);

/** xgrammar's own grammar for a schema, unchanged (the printed EBNF compiled as a grammar spec). */
async function plainGrammar(schema: object): Promise<CompiledGrammar> {
  const g = await xgrammarCall(() => xgr.Grammar.fromJSONSchema(JSON.stringify(schema), false, -1, [", ", ": "], true));
  const text = g.toString();
  g.dispose();
  expect(addTailLookaheads(text)).not.toBe(text); // the schema has a chain to rewrite
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
  test("bounded strings: the same masks as xgrammar's own grammar; lengths stay within min/maxLength", async () => {
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
