import { describe, expect, test } from "bun:test";
import { FakeEngine } from "../testing/fake-engine.ts";
import { post, request, testApp } from "../testing/helpers.ts";

describe("POST /tokenize and /detokenize", () => {
  test("a prompt: special tokens by default, vLLM's response shape", async () => {
    const { app, engine } = testApp(new FakeEngine());
    const res = await post(app, "/tokenize", { model: "test-model", prompt: "Hi" });
    expect(await res.json()).toEqual({ count: 3, max_model_len: 4096, tokens: [1, 72, 105], token_strs: null });
    expect(engine.tokenizeInputs[0]).toEqual({ kind: "text", prompt: "Hi", addSpecialTokens: true });
    const bare = await (await post(app, "/tokenize", { prompt: "Hi", add_special_tokens: false })).json();
    expect(bare.tokens).toEqual([72, 105]);
  });

  test("messages: through the chat template with the generation prompt, no special tokens by default", async () => {
    const { app, engine } = testApp(new FakeEngine());
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    const res = await post(app, "/tokenize", { messages: [{ role: "user", content: "Hi" }], tools, chat_template_kwargs: { enable_thinking: false } });
    const body = await res.json();
    expect(engine.tokenizeInputs[0]).toEqual({
      kind: "chat",
      messages: [{ role: "user", content: "Hi" }],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      chatTemplateKwargs: { enable_thinking: false },
      addGenerationPrompt: true,
      addSpecialTokens: false,
    });
    expect(body.count).toBe(body.tokens.length);
    const noPrompt = await (await post(app, "/tokenize", { messages: [{ role: "user", content: "Hi" }], add_generation_prompt: false })).json();
    expect(String.fromCodePoint(...noPrompt.tokens)).toBe("user: Hi\n");
  });

  test("continue_final_message reaches the template; it needs an assistant message last", async () => {
    const { app, engine } = testApp(new FakeEngine());
    const messages = [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hel" }];
    expect((await post(app, "/tokenize", { messages, continue_final_message: true })).status).toBe(200);
    expect(engine.tokenizeInputs[0]).toMatchObject({ kind: "chat", continueFinalMessage: true });
    const bad = await post(app, "/tokenize", { messages: messages.slice(0, 1), continue_final_message: true });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toBe("messages: continue_final_message needs an assistant message last");
  });

  test("detokenize round-trips; an id outside the vocabulary is a 400; a bad body is a 400", async () => {
    const { app } = testApp(new FakeEngine());
    const { tokens } = await (await post(app, "/tokenize", { prompt: "héllo", add_special_tokens: false })).json();
    expect(await (await post(app, "/detokenize", { tokens })).json()).toEqual({ prompt: "héllo" });
    const outside = await post(app, "/detokenize", { tokens: [99999] });
    expect(outside.status).toBe(400);
    expect((await outside.json()).error.param).toBe("tokens");
    expect((await post(app, "/tokenize", { text: "x" })).status).toBe(400);
    expect((await post(app, "/tokenize", { model: "nope", prompt: "x" })).status).toBe(404);
  });

  test("a bad body's error names the field of the branch it meant; prompt wins over messages, as in vLLM", async () => {
    const { app, engine } = testApp(new FakeEngine());
    const neither = await post(app, "/tokenize", { text: "x" });
    expect(neither.status).toBe(400);
    expect((await neither.json()).error).toMatchObject({ message: "body: give prompt (a string) or messages (a list)", param: null });
    const badRole = await post(app, "/tokenize", { messages: [{ role: "wizard", content: "x" }] });
    expect(badRole.status).toBe(400);
    expect((await badRole.json()).error.param).toBe("messages[0].role");
    const badPrompt = await post(app, "/tokenize", { prompt: 5 });
    expect((await badPrompt.json()).error).toMatchObject({ message: "prompt: Invalid input: expected string, received number", param: "prompt" });
    await post(app, "/tokenize", { prompt: "Hi", messages: [{ role: "user", content: "x" }] });
    expect(engine.tokenizeInputs).toEqual([{ kind: "text", prompt: "Hi", addSpecialTokens: true }]);
  });

  test("503 while the model loads", async () => {
    const { app } = testApp(new FakeEngine(undefined, { loadState: "loading" }));
    expect((await post(app, "/tokenize", { prompt: "x" })).status).toBe(503);
  });
});

describe("GET /v1/models", () => {
  test("each model carries its capabilities and context length", async () => {
    const { app } = testApp(new FakeEngine(undefined, { contextLength: 8192, reasoning: { start: "<think>", end: "</think>" } }));
    const card = (await (await request(app, "/v1/models")).json()).data[0];
    expect(card).toMatchObject({ id: "test-model", max_model_len: 8192 });
    expect(card.capabilities).toEqual({ chat: true, vision: false, video: false, embeddings: false, rerank: false, tools: true, reasoning: true });
  });
});
