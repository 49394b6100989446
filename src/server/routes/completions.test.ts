import { describe, expect, test } from "bun:test";
import { ContextLengthError } from "../../engine/protocol.ts";
import { FakeEngine } from "../testing/fake-engine.ts";
import { post, readSse, testApp } from "../testing/helpers.ts";

describe("POST /v1/completions", () => {
  test("non-streaming text, finish_reason, usage", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [[" upon", " a time"]], promptTokens: 1 })));
    const res = await post(app, "/v1/completions", { model: "test-model", prompt: "Once", max_tokens: 2, stop: ["\n"] });
    const body = await res.json();
    expect(body.object).toBe("text_completion");
    expect(body.id).toMatch(/^cmpl-/);
    expect(body.choices).toEqual([{ index: 0, text: " upon a time", logprobs: null, finish_reason: "stop" }]);
    expect(body.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, prompt_tokens_details: { cached_tokens: 0 } });
    expect(engine.requests[0]).toMatchObject({ kind: "completion", prompt: "Once", sampling: { maxTokens: 2, stop: ["\n"] } });
  });
  test("usage.prompt_tokens_details.cached_tokens carries the engine's prefix-cache hits", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["x"]], promptTokens: 20, cachedTokens: 16 })));
    const body = await (await post(app, "/v1/completions", { prompt: "Once" })).json();
    expect(body.usage.prompt_tokens_details).toEqual({ cached_tokens: 16 });
  });

  test("token-id prompt and a one-element list prompt", async () => {
    const { app, engine } = testApp();
    await post(app, "/v1/completions", { prompt: [1, 2, 3] });
    await post(app, "/v1/completions", { prompt: ["solo"] });
    expect(engine.requests.map((r) => (r.kind === "completion" ? r.prompt : null))).toEqual([[1, 2, 3], "solo"]);
  });
  test("echo prepends the prompt", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [[" world"]] })));
    const body = await (await post(app, "/v1/completions", { prompt: "Hello", echo: true })).json();
    expect(body.choices[0].text).toBe("Hello world");
  });
  test("a prompt over the context names prompt, the field that holds it", async () => {
    const { app } = testApp(new FakeEngine(() => ({ throwBeforeStart: new ContextLengthError(5000, 4096, 16) })));
    const res = await post(app, "/v1/completions", { prompt: "x", max_tokens: 16 });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toEqual({
      message: "This model's maximum context length is 4096 tokens. However, you requested 5016 tokens (5000 in the " +
        "prompt, 16 in the completion). Please reduce the length of the prompt or completion.",
      type: "invalid_request_error",
      param: "prompt",
      code: "context_length_exceeded",
    });
  });
  test("logprobs: 0 names the sampled token in top_logprobs (OpenAI: up to logprobs+1 entries)", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["ab", "c"]] })));
    const body = await (await post(app, "/v1/completions", { prompt: "x", logprobs: 0 })).json();
    expect(body.choices[0].logprobs.top_logprobs).toEqual([{ ab: -0.25 }, { c: -0.5 }]);
  });
  test("legacy logprobs shape with text offsets", async () => {
    const { app, engine } = testApp(new FakeEngine(() => ({ outputs: [["ab", "c"]] })));
    const body = await (await post(app, "/v1/completions", { prompt: "x", logprobs: 1 })).json();
    expect(engine.requests[0]!.sampling).toMatchObject({ logprobs: true, topLogprobs: 1 });
    expect(body.choices[0].logprobs).toEqual({
      tokens: ["ab", "c"],
      token_logprobs: [-0.25, -0.5],
      top_logprobs: [{ ab: -0.25 }, { c: -0.5 }],
      text_offset: [0, 2],
    });
  });
  test("streaming chunks, n=2, usage chunk and [DONE]", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["a", "b"], ["c"]] })));
    const sse = await readSse(await post(app, "/v1/completions", { prompt: "x", n: 2, stream: true, stream_options: { include_usage: true } }));
    expect(sse.done).toBe(true);
    const choiceChunks = sse.chunks.filter((c) => c.choices.length > 0);
    for (const chunk of choiceChunks) expect(chunk.object).toBe("text_completion");
    const text = (i: number) => choiceChunks.filter((c) => c.choices[0].index === i).map((c) => c.choices[0].text).join("");
    expect([text(0), text(1)]).toEqual(["ab", "c"]);
    const finishes = choiceChunks.filter((c) => c.choices[0].finish_reason !== null).map((c) => c.choices[0].index);
    expect(finishes.sort()).toEqual([0, 1]);
    expect(sse.chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });
  });
  test("stream_interval batches completion text", async () => {
    const { app } = testApp(new FakeEngine(() => ({ outputs: [["1", "2", "3", "4", "5", "6", "7"]] })), { streamInterval: 3 });
    const sse = await readSse(await post(app, "/v1/completions", { prompt: "x", stream: true }));
    expect(sse.chunks.map((c) => c.choices[0].text)).toEqual(["123", "456", "7"]);
  });
});
