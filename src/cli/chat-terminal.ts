/**
 * `vllm-mlx chat --cli`: a terminal chat with streaming, for SSH sessions. Reasoning is printed dimmed
 * (on a terminal) before the answer; Ctrl+C stops the answer being streamed, `/exit` or Ctrl+D leaves,
 * `/clear` starts over.
 */
import { createInterface } from "node:readline";
import { proxyTarget } from "../server/ui-proxy.ts";

export interface TerminalChatOptions {
  serverUrl: string;
  apiKey?: string;
  maxTokens: number;
  temperature: number;
  systemPrompt?: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream & { isTTY?: boolean };
}

type Message = { role: "system" | "user" | "assistant"; content: string };

/** The `data:` payloads of an SSE body; lines may end in LF, CRLF or CR (the SSE spec allows all three). */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    // A CR that ends the chunk may be half of a CRLF: it waits for the next chunk.
    buffer = (buffer + decoder.decode(chunk, { stream: true })).replace(/\r\n|\r(?!$)/g, "\n");
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) if (line.startsWith("data:")) yield line.slice(5).trim();
    }
  }
}

async function errorText(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message;
    if (message) return `${message} (HTTP ${res.status})`;
  } catch {
    // Not JSON: the status says it.
  }
  return `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
}

/**
 * Runs the chat until `/exit` or end of input.
 *
 * @example
 *   await runTerminalChat({ serverUrl: "http://localhost:8000", maxTokens: 2048, temperature: 0.7 });
 */
export async function runTerminalChat(options: TerminalChatOptions): Promise<void> {
  const base = proxyTarget(options.serverUrl);
  const out = options.output ?? process.stdout;
  const dim = (s: string) => (out.isTTY ? `\x1b[2m${s}\x1b[22m` : s);
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
  const models = await fetch(`${base}/v1/models`, { headers }).catch((e: Error) => {
    throw new Error(`cannot reach ${base}: ${e.message}`);
  });
  if (!models.ok) throw new Error(`${base}/v1/models: ${await errorText(models)}`);
  const model = ((await models.json()) as { data?: { id: string }[] }).data?.[0]?.id ?? "default";
  out.write(`${dim(`chatting with ${model} at ${base} (/exit to leave, /clear to start over, Ctrl+C stops an answer)`)}\n`);

  const start: Message[] = options.systemPrompt ? [{ role: "system", content: options.systemPrompt }] : [];
  let history = [...start];
  const rl = createInterface({ input: options.input ?? process.stdin, output: out, terminal: out.isTTY === true });
  let current: AbortController | null = null;
  rl.on("SIGINT", () => (current ? current.abort() : rl.close()));
  rl.setPrompt("you> ");
  // The iterator queues lines typed (or piped) while an answer streams.
  const lines = rl[Symbol.asyncIterator]();
  let closed = false;
  rl.on("close", () => (closed = true));
  try {
    for (;;) {
      if (!closed) rl.prompt();
      const next = await lines.next();
      const line: string | null = next.done ? null : next.value;
      if (line === null || line.trim() === "/exit" || line.trim() === "/quit") break;
      if (line.trim() === "/clear") {
        history = [...start];
        continue;
      }
      if (line.trim() === "") continue;
      history.push({ role: "user", content: line });
      current = new AbortController();
      const answer = await streamAnswer(base, headers, { model, messages: history, max_tokens: options.maxTokens,
        temperature: options.temperature, stream: true }, current.signal, out, dim);
      current = null;
      if (answer === null) history.pop();
      else history.push({ role: "assistant", content: answer });
    }
  } finally {
    rl.close();
  }
}

/** Streams one answer to `out`; its text, or null when it failed (the error is printed). */
async function streamAnswer(base: string, headers: Record<string, string>, body: object, signal: AbortSignal,
  out: NodeJS.WritableStream, dim: (s: string) => string): Promise<string | null> {
  let content = "";
  let reasoning = false;
  try {
    const res = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify(body), signal });
    if (!res.ok || !res.body) {
      out.write(`error: ${await errorText(res)}\n`);
      return null;
    }
    for await (const data of sseData(res.body)) {
      if (data === "[DONE]") break;
      const chunk = JSON.parse(data) as { error?: { message?: string };
        choices?: { delta?: { content?: string | null; reasoning_content?: string | null } }[] };
      if (chunk.error) throw new Error(chunk.error.message ?? "the server ended the answer with an error");
      const delta = chunk.choices?.[0]?.delta;
      if (delta?.reasoning_content) {
        if (!reasoning) out.write(dim("thinking: "));
        reasoning = true;
        out.write(dim(delta.reasoning_content));
      }
      if (delta?.content) {
        if (reasoning) out.write("\n");
        reasoning = false;
        content += delta.content;
        out.write(delta.content);
      }
    }
  } catch (e) {
    if (!signal.aborted) {
      out.write(`\nerror: ${(e as Error).message}\n`);
      return null;
    }
    out.write(dim(" [stopped]"));
  }
  out.write("\n");
  return content;
}
