/**
 * Lookaheads for bounded repetitions, the text rewrite on its own (schema-ebnf.test.ts checks the compiled
 * grammars on the real vocabulary).
 */
import { describe, expect, test } from "bun:test";
import { addTailLookaheads } from "./tail-lookahead.ts";

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
