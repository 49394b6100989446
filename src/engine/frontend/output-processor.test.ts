import { beforeAll, describe, expect, test } from "bun:test";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { lenmlTokenizer } from "../../tokenizer/testdata/fixtures.ts";
import type { TokenOutput } from "../engine-core/core-types.ts";
import type { DeltaEvent, EngineEvent } from "../protocol.ts";
import { OutputProcessor } from "./output-processor.ts";
import { TokenTextCache, tokenBytes } from "./token-text.ts";

let tok: ModelTokenizer;
let cache: TokenTextCache;
beforeAll(async () => {
  tok = await lenmlTokenizer("qwen3");
  cache = new TokenTextCache(tok);
});

function out(token: number, extra: Partial<TokenOutput> = {}): TokenOutput {
  return { requestId: "r", token, logprob: null, top: null, finishReason: null, numPromptTokens: 3, numCachedTokens: 0, ...extra };
}

function feed(proc: OutputProcessor, ids: number[], last: "stop" | "length" | null = null, index = 0): EngineEvent[] {
  return ids.flatMap((id, i) => proc.process(out(id, { finishReason: i === ids.length - 1 ? last : null }), index));
}

const text = (events: EngineEvent[]) => events.filter((e): e is DeltaEvent => e.type === "delta").map((e) => e.text).join("");

describe("OutputProcessor", () => {
  test("detokenizes, finishes with the core's reason and reports usage", () => {
    const proc = new OutputProcessor(tok, cache, { n: 1, stop: [], logprobs: false, promptTokens: 3 });
    const ids = tok.encode("Hello, world! ✓");
    const events = feed(proc, ids, "length");
    expect(text(events)).toBe("Hello, world! ✓");
    expect(events.at(-2)).toEqual({ type: "finish", index: 0, finishReason: "length", completionTokens: ids.length });
    expect(events.at(-1)).toEqual({ type: "usage", promptTokens: 3, completionTokens: ids.length, cachedTokens: 0 });
    expect(proc.done).toBe(true);
  });

  test("usage reports the prompt tokens choice 0's first output says came from the prefix cache", () => {
    const proc = new OutputProcessor(tok, cache, { n: 2, stop: [], logprobs: false, promptTokens: 40 });
    // Choice 1 runs after choice 0 and hits more of the prompt; the prompt counts once, as choice 0 saw it.
    proc.process(out(5, { numCachedTokens: 16 }), 0);
    proc.process(out(6, { numCachedTokens: 32, finishReason: "length" }), 1);
    const events = proc.process(out(7, { numCachedTokens: 16, finishReason: "length" }), 0);
    expect(events.at(-1)).toEqual({ type: "usage", promptTokens: 40, completionTokens: 3, cachedTokens: 16 });
  });

  test("EOS counts as a token but adds no text", () => {
    const proc = new OutputProcessor(tok, cache, { n: 1, stop: [], logprobs: false, promptTokens: 3 });
    const eos = tok.tokenToId("<|im_end|>")!;
    const ids = [...tok.encode("Bye now"), eos];
    const events = feed(proc, ids, "stop");
    expect(text(events)).toBe("Bye now");
    expect(events.find((e) => e.type === "finish")).toMatchObject({ finishReason: "stop", completionTokens: ids.length });
  });

  test("a stop string split across tokens is trimmed and finishes the choice", () => {
    const proc = new OutputProcessor(tok, cache, { n: 1, stop: ["STOP now"], logprobs: false, promptTokens: 3 });
    const ids = tok.encode("one two STOP now three four");
    const events = feed(proc, ids);
    expect(text(events)).toBe("one two ");
    const finish = events.find((e) => e.type === "finish");
    expect(finish).toMatchObject({ finishReason: "stop", stopString: "STOP now" });
    expect(proc.done).toBe(true);
    expect(proc.process(out(ids[0]!), 0)).toEqual([]);
  });

  test("held-back text is released at the end when no stop matched", () => {
    const proc = new OutputProcessor(tok, cache, { n: 1, stop: ["xyz!"], logprobs: false, promptTokens: 1 });
    expect(text(feed(proc, tok.encode("abc xyz"), "length"))).toBe("abc xyz");
  });

  test("n=2: choices finish independently; usage comes after the last", () => {
    const proc = new OutputProcessor(tok, cache, { n: 2, stop: ["."], logprobs: false, promptTokens: 4 });
    const first = feed(proc, tok.encode("Hi. more"), null, 0);
    expect(text(first)).toBe("Hi");
    expect([proc.isFinished(0), proc.isFinished(1)]).toEqual([true, false]);
    expect(first.some((e) => e.type === "usage")).toBe(false);
    const second = feed(proc, tok.encode("Yo"), "length", 1);
    expect(second.at(-1)).toEqual({ type: "usage", promptTokens: 4, completionTokens: proc.completionTokens, cachedTokens: 0 });
  });

  test("logprobs carry token text, bytes and alternatives", () => {
    const proc = new OutputProcessor(tok, cache, { n: 1, stop: [], logprobs: true, promptTokens: 1 });
    const [hello] = tok.encode("Hello");
    const [world] = tok.encode(" world");
    const events = proc.process(out(hello!, { logprob: -0.5, top: [{ token: hello!, logprob: -0.5 }, { token: world!, logprob: -1.25 }] }), 0);
    expect((events[0] as DeltaEvent).logprobs).toEqual([{
      token: "Hello", logprob: -0.5, bytes: [72, 101, 108, 108, 111],
      topLogprobs: [{ token: "Hello", logprob: -0.5, bytes: [72, 101, 108, 108, 111] }, { token: " world", logprob: -1.25, bytes: [32, 119, 111, 114, 108, 100] }],
    }]);
  });
});

describe("token bytes", () => {
  test("a token holding part of a UTF-8 character reports its raw bytes", () => {
    const ids = tok.encode("𓀀");
    const all = ids.flatMap((id) => tokenBytes(tok, id, tok.decode([id])));
    expect(all).toEqual([...new TextEncoder().encode("𓀀")]);
    expect(ids.length).toBeGreaterThan(1);
  });

  test("special tokens report the bytes of their text", () => {
    const id = tok.tokenToId("<|im_end|>")!;
    expect(cache.entry(id, -1)).toEqual({ token: "<|im_end|>", logprob: -1, bytes: [...new TextEncoder().encode("<|im_end|>")] });
  });
});
