import { describe, expect, test } from "bun:test";
import { IncrementalDetokenizer } from "./detokenizer.ts";
import type { ModelTokenizer } from "./model-tokenizer.ts";
import { lenmlTokenizer } from "./testdata/fixtures.ts";

const MODELS = ["qwen3", "llama3_1", "gemma3"] as const;
const SAMPLES: Record<string, string> = {
  ascii: "Hello, world! The quick brown fox jumps over the lazy dog.",
  cjk: "東京は日本の首都です。我爱北京天安门！한국어 문장입니다.",
  emoji: "🎉 party 👨‍👩‍👧 family 🇯🇵 flag ✅ done 🫠🪿",
  rare: "rare: 𓀀𓀁 𐍈 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ẞ ǅ",
  whitespace: "  indented\n\tcode();\n\n  end ",
};
const TEXTS = Object.values(SAMPLES);

function stream(tok: ModelTokenizer, ids: number[], skipSpecialTokens = false): string[] {
  const detok = new IncrementalDetokenizer(tok, { skipSpecialTokens });
  const deltas = ids.map((id) => detok.push(id));
  deltas.push(detok.flush());
  expect(detok.text).toBe(deltas.join(""));
  expect(detok.numTokens).toBe(ids.length);
  return deltas;
}

/** A deterministic LCG, so the "random" token sequences are the same on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe.each(MODELS)("%s IncrementalDetokenizer", (name) => {
  test.each(Object.entries(SAMPLES))("token by token equals the full decode: %s", async (_kind, text) => {
    const tok = await lenmlTokenizer(name);
    const ids = tok.encode(text);
    const deltas = stream(tok, ids);
    expect(deltas.join("")).toBe(tok.decode(ids));
    for (const delta of deltas) expect(delta).not.toContain("\uFFFD");
  });

  test("the fixtures really split characters across tokens", async () => {
    const tok = await lenmlTokenizer(name);
    const ids = tok.encode(TEXTS[3]!, { addSpecialTokens: false });
    const partial = ids.filter((id) => tok.decode([id]).includes("\uFFFD"));
    expect(partial.length).toBeGreaterThan(0);
    const held = stream(tok, ids).slice(0, -1).filter((delta, i) => delta === "" && tok.decode([ids[i]!]) !== "");
    expect(held.length).toBeGreaterThan(0);
  });

  test("an unfinished character is held back and released by flush", async () => {
    const tok = await lenmlTokenizer(name);
    const ids = tok.encode("ok 𓀀", { addSpecialTokens: false });
    const cut = ids.slice(0, -1);
    expect(tok.decode(cut).endsWith("\uFFFD")).toBe(true);
    const detok = new IncrementalDetokenizer(tok);
    const pushed = cut.map((id) => detok.push(id)).join("");
    expect(pushed.endsWith("\uFFFD")).toBe(false);
    expect(pushed + detok.flush()).toBe(tok.decode(cut));
    expect(detok.flush()).toBe("");
  });

  test("skipSpecialTokens matches decode with skipSpecialTokens", async () => {
    const tok = await lenmlTokenizer(name);
    const specials = [...tok.specialTokenIds].slice(0, 3);
    const ids = [specials[0]!, ...tok.encode("Hi 🎉 there", { addSpecialTokens: false }), specials[1]!, specials[2]!];
    expect(stream(tok, ids, true).join("")).toBe(tok.decode(ids, { skipSpecialTokens: true }));
    expect(stream(tok, ids, false).join("")).toBe(tok.decode(ids));
  });

  test("random non-special token sequences reproduce the full decode", async () => {
    const tok = await lenmlTokenizer(name);
    const next = lcg(1234);
    for (let trial = 0; trial < 20; trial++) {
      const ids: number[] = [];
      while (ids.length < 64) {
        const id = Math.floor(next() * tok.vocabSize);
        if (!tok.isSpecial(id)) ids.push(id);
      }
      expect(stream(tok, ids).join("")).toBe(tok.decode(ids));
    }
  });

  test("each step decodes only a small window", async () => {
    const tok = await lenmlTokenizer(name);
    const ids = tok.encode(TEXTS.join(" ").repeat(20), { addSpecialTokens: false });
    const decode = tok.decode.bind(tok);
    let calls = 0;
    let widest = 0;
    const spy = Object.create(tok) as ModelTokenizer;
    spy.decode = (window, options) => {
      calls++;
      widest = Math.max(widest, window.length);
      return decode(window, options);
    };
    expect(stream(spy, ids).join("")).toBe(tok.decode(ids));
    expect(ids.length).toBeGreaterThan(500);
    expect(widest).toBeLessThanOrEqual(8);
    expect(calls).toBeLessThanOrEqual(2 * ids.length + 2);
  });
});

describe("IncrementalDetokenizer with ids past the tokenizer", () => {
  test("embedding padding ids (>= vocabSize) add no text and do not throw", async () => {
    const tok = await lenmlTokenizer("qwen3");
    const ids = tok.encode("Hello world", { addSpecialTokens: false });
    const detok = new IncrementalDetokenizer(tok);
    const out = [detok.push(ids[0]!), detok.push(tok.vocabSize + 220), detok.push(-1), ...ids.slice(1).map((id) => detok.push(id))];
    out.push(detok.flush());
    expect(out.join("")).toBe("Hello world");
    expect(out[1]).toBe("");
  });
});
