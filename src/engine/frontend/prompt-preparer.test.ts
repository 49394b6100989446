import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { lenmlTokenizer } from "../../tokenizer/testdata/fixtures.ts";
import { ContextLengthError, type GenerateRequest, InvalidRequestError, type SamplingParams } from "../protocol.ts";
import { preparePrompt } from "./prompt.ts";
import { PromptPreparer, requestTextSize } from "./prompt-preparer.ts";

let tok: ModelTokenizer;
let preparer: PromptPreparer;
beforeAll(async () => {
  tok = await lenmlTokenizer("qwen3");
  preparer = new PromptPreparer(tok, 1000);
});
afterAll(() => preparer.close());

const sampling = (maxTokens?: number): SamplingParams => ({
  ...(maxTokens === undefined ? {} : { maxTokens }),
  presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0,
});
const chat = (content: string, maxTokens?: number): GenerateRequest =>
  ({ kind: "chat", requestId: "r", messages: [{ role: "user", content }], sampling: sampling(maxTokens) }) as GenerateRequest;
const text = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 97} `).join("");

describe("PromptPreparer", () => {
  test("a large prompt prepared on the prompt thread equals the inline result", async () => {
    const request = chat(text(2000));
    expect(requestTextSize(request)).toBeGreaterThan(1000);
    const limits = { contextLength: 100_000, reasoningStart: "<think>" };
    expect(await preparer.prepare(request, limits)).toEqual(preparePrompt(tok, request, limits));
  });

  test("errors cross the thread as the same classes, with their fields", async () => {
    const big = chat(text(2000), 50);
    const err = await preparer.prepare(big, { contextLength: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContextLengthError);
    expect((err as ContextLengthError).contextLength).toBe(100);
    expect((err as ContextLengthError).maxTokens).toBe(50);
    const completion = { kind: "completion", requestId: "c", prompt: [1, 2, 10 ** 9, ...Array(2000).fill(5)], sampling: sampling() } as GenerateRequest;
    const bad = await preparer.prepare(completion, { contextLength: 100_000 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidRequestError);
    expect((bad as InvalidRequestError).param).toBe("prompt");
  });

  test("the HTTP thread's event loop keeps running while a large prompt is tokenized", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const prepared = await preparer.prepare(chat(text(200_000)), { contextLength: 10_000_000 });
    clearInterval(timer);
    expect(prepared.tokenIds.length).toBeGreaterThan(200_000);
    expect(ticks).toBeGreaterThan(0); // inline, the timer could not have fired before the result
  });
});
