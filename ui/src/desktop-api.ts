/** The desktop app's control API (src/desktop/control.ts), same origin as the page. */

export interface ModelChoice {
  spec: string;
  label: string;
  source: "default" | "hf-cache" | "local";
  present: boolean;
}

export type ServerState =
  | { state: "stopped"; error?: string }
  | { state: "starting"; model: string; port: number }
  | { state: "running"; model: string; port: number; url: string; contextLength: number; apiKey: boolean }
  | { state: "stopping" };

export interface StartRequest {
  model: string;
  port: number;
  apiKey?: string;
  flags: Record<string, string>;
}

export interface LogLine {
  seq: number;
  time: number;
  level: string;
  source: string;
  message: string;
}

const HEADERS = { "X-Vllm-Mlx-App": "1", "Content-Type": "application/json" };

async function call<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/app/api/${path}`, body === undefined ? { headers: HEADERS } : { method: "POST", headers: HEADERS, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const listModels = () => call<{ models: ModelChoice[] }>("models").then((r) => r.models);
export const checkPath = (path: string) => call<{ problem: string | null }>("models/check", { path }).then((r) => r.problem);
export const serverState = () => call<ServerState>("server");
export const startServer = (request: StartRequest) => call<ServerState>("server/start", request);
export const stopServer = () => call<ServerState>("server/stop", {});

/** Reads an SSE body, calling `onEvent(event, data)` per frame, until it ends or `signal` aborts. */
export async function readSse(res: Response, onEvent: (event: string, data: string) => void): Promise<void> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) onEvent(event, data.join("\n"));
    }
  }
}

/** Downloads a Hub repository, reporting progress; resolves with its spec. */
export async function download(repo: string, onProgress: (file: string, done: number, total: number) => void): Promise<string> {
  const res = await fetch("/app/api/download", { method: "POST", headers: HEADERS, body: JSON.stringify({ repo }) });
  let result: { spec?: string; message?: string } = {};
  await readSse(res, (event, data) => {
    const payload = JSON.parse(data) as { file: string; downloaded: number; total: number; spec?: string; message?: string };
    if (event === "progress") onProgress(payload.file, payload.downloaded, payload.total);
    else result = payload;
  });
  if (!result.spec) throw new Error(result.message ?? "the download ended early");
  return result.spec;
}

/** Follows `/v1/logs` until `signal` aborts. */
export async function followLogs(apiKey: string, signal: AbortSignal, onLine: (line: LogLine) => void): Promise<void> {
  const res = await fetch("/v1/logs", { signal, headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} });
  if (!res.ok) throw new Error(`/v1/logs: HTTP ${res.status}`);
  await readSse(res, (event, data) => {
    if (event === "message") onLine(JSON.parse(data) as LogLine);
  });
}
