import { beforeAll, describe, expect, test } from "bun:test";
import type { ModelTokenizer } from "../../tokenizer/index.ts";
import { lenmlTokenizer } from "../../tokenizer/testdata/fixtures.ts";
import { ContextLengthError, type GenerateRequest, InvalidRequestError, type SamplingParams } from "../protocol.ts";
import { detokenizeIds, preparePrompt, tokenizeInput } from "./prompt.ts";

let tok: ModelTokenizer;
beforeAll(async () => {
  tok = await lenmlTokenizer("qwen3");
});

const sampling = (maxTokens?: number): SamplingParams => ({
  ...(maxTokens === undefined ? {} : { maxTokens }),
  presencePenalty: 0, frequencyPenalty: 0, logitBias: {}, stop: [], n: 1, logprobs: false, topLogprobs: 0,
});
const chat = (content: string, extra: Partial<GenerateRequest> = {}): GenerateRequest =>
  ({ kind: "chat", requestId: "r", messages: [{ role: "user", content }], sampling: sampling(), ...extra }) as GenerateRequest;

describe("preparePrompt", () => {
  test("chat: renders the template, tokenizes, and sizes the completion to the context", () => {
    const p = preparePrompt(tok, chat("Hi"), { contextLength: 100, reasoningStart: "<think>" });
    expect(tok.decode(p.tokenIds)).toBe("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    expect(p.maxTokens).toBe(100 - p.tokenIds.length);
    expect(p.promptOpensReasoning).toBe(false);
  });

  test("the default max tokens applies when the request sets none, capped by the context", () => {
    expect(preparePrompt(tok, chat("Hi"), { contextLength: 100, defaultMaxTokens: 7 }).maxTokens).toBe(7);
    const p = preparePrompt(tok, chat("Hi"), { contextLength: 20, defaultMaxTokens: 500 });
    expect(p.maxTokens).toBe(20 - p.tokenIds.length);
  });

  test("chat template kwargs and tools reach the template", () => {
    const off = preparePrompt(tok, chat("Hi", { chatTemplateKwargs: { enable_thinking: false } } as Partial<GenerateRequest>), { contextLength: 100 });
    expect(tok.decode(off.tokenIds)).toEndWith("<|im_start|>assistant\n<think>\n\n</think>\n\n");
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object" } } }];
    const withTools = preparePrompt(tok, chat("Hi", { tools } as Partial<GenerateRequest>), { contextLength: 1000 });
    expect(tok.decode(withTools.tokenIds)).toContain('"name": "get_weather"');
  });

  test("prompt + max_tokens over the context -> ContextLengthError with the numbers", () => {
    const request = chat("Hi", { sampling: sampling(95) });
    let error: unknown;
    try {
      preparePrompt(tok, request, { contextLength: 100 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContextLengthError);
    expect(error).toMatchObject({ promptTokens: 9, contextLength: 100, maxTokens: 95 });
    expect(() => preparePrompt(tok, chat("Hi"), { contextLength: 9 })).toThrow(ContextLengthError);
  });

  test("completions: text or token ids; ids outside the vocabulary are a 400", () => {
    expect(preparePrompt(tok, { kind: "completion", requestId: "r", prompt: "Hello", sampling: sampling(4) }, { contextLength: 50 }).tokenIds)
      .toEqual(tok.encode("Hello"));
    expect(preparePrompt(tok, { kind: "completion", requestId: "r", prompt: [1, 2, 3], sampling: sampling() }, { contextLength: 50 }))
      .toMatchObject({ tokenIds: [1, 2, 3], maxTokens: 47 });
    expect(() => preparePrompt(tok, { kind: "completion", requestId: "r", prompt: [1, 10_000_000], sampling: sampling() }, { contextLength: 50 }))
      .toThrow(InvalidRequestError);
    expect(() => preparePrompt(tok, { kind: "completion", requestId: "r", prompt: "", sampling: sampling() }, { contextLength: 50 }))
      .toThrow(InvalidRequestError);
  });

  test("image parts are refused with the offending param", () => {
    const request = { kind: "chat", requestId: "r", sampling: sampling(),
      messages: [{ role: "user", content: [{ type: "text", text: "see" }, { type: "image_url", image_url: { url: "data:," } }] }] } as GenerateRequest;
    expect(() => preparePrompt(tok, request, { contextLength: 100 })).toThrow(InvalidRequestError);
    try {
      preparePrompt(tok, request, { contextLength: 100 });
    } catch (e) {
      expect((e as InvalidRequestError).param).toBe("messages[0].content[1]");
    }
  });
});

describe("tokenizeInput / detokenizeIds", () => {
  test("chat input gives the ids preparePrompt gives; without the generation prompt it stops at the last message", () => {
    const messages = [{ role: "user" as const, content: "Hi" }];
    const ids = tokenizeInput(tok, { kind: "chat", messages, addGenerationPrompt: true, addSpecialTokens: true });
    expect(ids).toEqual(preparePrompt(tok, chat("Hi"), { contextLength: 100 }).tokenIds);
    const bare = tokenizeInput(tok, { kind: "chat", messages, addGenerationPrompt: false, addSpecialTokens: false });
    expect(tok.decode(bare)).toBe("<|im_start|>user\nHi<|im_end|>\n");
  });

  test("text input, an image part refused, and an id outside the vocabulary refused", () => {
    expect(detokenizeIds(tok, tokenizeInput(tok, { kind: "text", prompt: "Hello there", addSpecialTokens: false }))).toBe("Hello there");
    const image = { type: "image_url" as const, image_url: { url: "data:," } };
    const input = { kind: "chat" as const, messages: [{ role: "user" as const, content: [image] }], addGenerationPrompt: true, addSpecialTokens: false };
    expect(() => tokenizeInput(tok, input)).toThrow(
      new InvalidRequestError("messages[0].content[0]: counting tokens takes text only (image and video tokens are counted when generating), and got an image part"),
    );
    expect(() => detokenizeIds(tok, [tok.vocabSize])).toThrow(InvalidRequestError);
  });
});
