/**
 * The desktop app's local control server (inside the app's worker, on 127.0.0.1 and a free port): the app page
 * (`/ui/desktop.html`) and its API under `/app/api/` (models, download with progress, start and stop), the
 * chat UI at `/`, and the running model server's routes (`/v1/*` with `/v1/logs`, `/metrics`, `/health`)
 * forwarded to it, so that the window talks to one origin. The API needs the `X-Vllm-Mlx-App` header, which a
 * page of another origin cannot send without a preflight that this server never grants.
 */
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { parseServeArgs } from "../cli/serve.ts";
import { uiLoader } from "../cli/ui-bundle.ts";
import { downloadModel } from "../hub/index.ts";
import { toApiError } from "../server/errors.ts";
import { defaultAllowedHosts, hostGuard } from "../server/guards.ts";
import { LogHub } from "../server/log-hub.ts";
import { createUiProxy } from "../server/ui-proxy.ts";
import { registerUiRoutes } from "../server/ui.ts";
import { type LlmServer, startLlmServer } from "./llm-server.ts";
import { listModels, localModelProblem } from "./models.ts";

/** The header every `/app/api/` request carries. */
export const APP_HEADER = "x-vllm-mlx-app";

/** What the page sends to start a server: engine flags by their `serve` names, e.g. `{ "max-num-seqs": "4" }`. */
export interface StartRequest {
  model: string;
  port: number;
  apiKey?: string;
  flags?: Record<string, string | boolean>;
}

export type ServerState =
  | { state: "stopped"; error?: string }
  | { state: "starting"; model: string; port: number }
  | { state: "running"; model: string; port: number; url: string; contextLength: number; apiKey: boolean }
  | { state: "stopping" };

/** The control server's state and its model server. */
export class AppControl {
  readonly logs = new LogHub();
  #server: LlmServer | null = null;
  #state: ServerState = { state: "stopped" };
  #proxy: Hono | null = null;
  #starting: Promise<ServerState> | null = null;

  get state(): ServerState {
    return this.#state;
  }

  start(request: StartRequest): Promise<ServerState> {
    if (this.#state.state !== "stopped") return Promise.resolve(this.#state);
    this.#starting = this.#start(request).finally(() => (this.#starting = null));
    return this.#starting;
  }

  async #start(request: StartRequest): Promise<ServerState> {
    const flags = { ...request.flags, port: String(request.port), host: "127.0.0.1", ...(request.apiKey ? { "api-key": request.apiKey } : {}) };
    const model = request.model === "default" || request.model === "" ? undefined : request.model;
    this.#state = { state: "starting", model: model ?? "default", port: request.port };
    try {
      const problem = model !== undefined && (model.startsWith("/") || model.startsWith(".")) ? localModelProblem(model) : null;
      if (problem !== null) throw new Error(problem);
      const config = parseServeArgs({ ...flags, ...(model ? { model } : {}) });
      const server = await startLlmServer(config, this.logs);
      this.#server = server;
      this.#proxy = createUiProxy({ target: server.url, ui: { load: async () => [] } });
      this.#state = { state: "running", model: server.model, port: server.port, url: server.url, contextLength: server.contextLength, apiKey: !!request.apiKey };
    } catch (e) {
      const error = (e as Error).message;
      this.logs.publish("error", "engine", `start failed: ${error}`);
      this.#state = { state: "stopped", error };
    }
    return this.#state;
  }

  /** Stops the server; one still loading is stopped once it has loaded. */
  async stop(): Promise<ServerState> {
    if (this.#starting) await this.#starting;
    const server = this.#server;
    if (server === null) return this.#state;
    this.#state = { state: "stopping" };
    this.#proxy = null;
    this.#server = null;
    await server.stop();
    this.#state = { state: "stopped" };
    return this.#state;
  }

  /** Forwards a model-server route, or 503 while none runs. */
  forward(c: Context): Response | Promise<Response> {
    if (this.#proxy === null) return c.json({ error: { message: "the server is not running: start it in the app", type: "server_error", code: "not_running" } }, 503);
    return this.#proxy.fetch(c.req.raw);
  }
}

function downloadRoute(control: AppControl) {
  return (c: Context) =>
    streamSSE(c, async (stream) => {
      const { repo } = (await c.req.json()) as { repo?: string };
      if (typeof repo !== "string" || !/^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(repo)) {
        await stream.writeSSE({ event: "error", data: JSON.stringify({ message: "give a Hugging Face repo id, e.g. mlx-community/Qwen3-0.6B-4bit" }) });
        return;
      }
      control.logs.publish("info", "download", `downloading ${repo}`);
      let last = 0;
      try {
        const result = await downloadModel(repo, {
          quiet: true, signal: c.req.raw.signal,
          onProgress: (p) => {
            const now = performance.now();
            if (!p.done && now - last < 200) return;
            last = now;
            void stream.writeSSE({ event: "progress", data: JSON.stringify(p) });
          },
        });
        control.logs.publish("info", "download", `${repo}: ${result.downloaded.length} files fetched`);
        await stream.writeSSE({ event: "done", data: JSON.stringify({ spec: repo, files: result.files.length }) });
      } catch (e) {
        control.logs.publish("error", "download", `${repo}: ${(e as Error).message}`);
        await stream.writeSSE({ event: "error", data: JSON.stringify({ message: (e as Error).message }) });
      }
    });
}

/**
 * The control app; `port` is the one it listens on (for the Host check).
 *
 * @example
 *   const control = new AppControl();
 *   Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: createControlApp(control, port).fetch, idleTimeout: 0 });
 */
export function createControlApp(control: AppControl, port: number): Hono {
  const app = new Hono();
  app.use(hostGuard(defaultAllowedHosts("127.0.0.1", port)));
  app.use("/app/api/*", async (c, next) => {
    if (c.req.header(APP_HEADER) !== "1") return c.json({ error: { message: `missing ${APP_HEADER} header` } }, 403);
    await next();
  });
  app.get("/app/api/models", (c) => c.json({ models: listModels() }));
  app.post("/app/api/models/check", async (c) => {
    const { path } = (await c.req.json()) as { path?: string };
    return c.json({ problem: typeof path === "string" ? localModelProblem(path) : "no path given" });
  });
  app.post("/app/api/download", downloadRoute(control));
  app.get("/app/api/server", (c) => c.json(control.state));
  app.post("/app/api/server/start", async (c) => c.json(await control.start((await c.req.json()) as StartRequest)));
  app.post("/app/api/server/stop", async (c) => c.json(await control.stop()));
  for (const path of ["/v1/*", "/metrics", "/health", "/version"]) app.all(path, (c) => control.forward(c));
  registerUiRoutes(app, { load: uiLoader() });
  app.onError((err, c) => {
    const error = toApiError(err);
    return c.json(error.toBody(), error.status);
  });
  return app;
}
