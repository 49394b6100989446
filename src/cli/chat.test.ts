import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { FakeEngine } from "../server/testing/fake-engine.ts";
import { testApp } from "../server/testing/helpers.ts";
import { parseChatArgs } from "./chat.ts";
import { runTerminalChat, sseData } from "./chat-terminal.ts";

describe("vllm-mlx chat flags", () => {
  test("the original vllm-mlx-chat's defaults", () => {
    expect(parseChatArgs({}, {})).toEqual({
      serverUrl: "http://localhost:8000", host: "127.0.0.1", port: 7860, textOnly: false, maxTokens: 2048, temperature: 0.7, cli: false,
    });
  });

  test("flags and the API key from the environment", () => {
    const config = parseChatArgs({ "server-url": "http://h:9000/v1", port: "8080", "text-only": true, "max-tokens": "64", temperature: "0", cli: true },
      { VLLM_MLX_API_KEY: "sk-env" });
    expect(config).toMatchObject({ serverUrl: "http://h:9000/v1", port: 8080, textOnly: true, maxTokens: 64, temperature: 0, cli: true, apiKey: "sk-env" });
  });

  test("bad values name their flag", () => {
    expect(() => parseChatArgs({ port: "0" }, {})).toThrow("--port");
    expect(() => parseChatArgs({ "max-tokens": "-3" }, {})).toThrow("--max-tokens");
    expect(() => parseChatArgs({ temperature: "hot" }, {})).toThrow("--temperature");
    expect(() => parseChatArgs({ "server-url": "ftp://x" }, {})).toThrow("--server-url");
  });
});

describe("vllm-mlx chat --cli", () => {
  const engine = new FakeEngine((request) => ({
    outputs: [[`[${request.kind === "chat" ? request.messages.length : 0} messages]`, " Hi", " there"]],
  }));
  let server: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    server = Bun.serve({ port: 0, fetch: testApp(engine, { apiKey: "sk-cli" }).app.fetch });
  });
  afterAll(() => server.stop(true));

  async function converse(lines: string[], apiKey = "sk-cli"): Promise<string> {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = "";
    output.on("data", (d: Buffer) => (text += d.toString()));
    const done = runTerminalChat({ serverUrl: `http://127.0.0.1:${server.port}`, apiKey, maxTokens: 16, temperature: 0, input, output });
    for (const line of lines) input.write(`${line}\n`);
    input.end();
    await done;
    return text;
  }

  test("streams answers and keeps the conversation's history until /clear", async () => {
    const text = await converse(["Hello", "Again", "/clear", "Fresh", "/exit"]);
    expect(text).toContain("chatting with test-model");
    expect(text).toContain("[1 messages] Hi there");
    expect(text).toContain("[3 messages] Hi there");
    expect(text.match(/\[1 messages\] Hi there/g)).toHaveLength(2);
    expect(engine.requests.at(-1)!.sampling.maxTokens).toBe(16);
  });

  test("a refused key is a readable error, not a crash", async () => {
    await expect(converse(["Hello"], "wrong")).rejects.toThrow("invalid API key (HTTP 401)");
  });
});

describe("sseData", () => {
  test("events separated by CRLF or CR, as by sse-starlette, are read like LF ones, across chunk boundaries", async () => {
    const chunks = ['data: {"a":1}\r\n\r', '\ndata: {"b":2}\r\n', "\r\ndata: [DONE]\r\r", 'data: {"c":3}\n\n'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    });
    const seen: string[] = [];
    for await (const data of sseData(body)) seen.push(data);
    expect(seen).toEqual(['{"a":1}', '{"b":2}', "[DONE]", '{"c":3}']);
  });
});
