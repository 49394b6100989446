/**
 * The desktop app's worker: the control server and the model server run here, because the window's
 * `webview_run()` blocks the main thread. Messages in: `{ type: "start", libraryDir, uiBundle }` (a compiled
 * binary unpacks MLX in the parent and names its folder before anything here imports it, and names its embedded
 * UI, registered in the parent's module graph only, and its unpacked sharp addon: src/media/sharp.ts), then `{ type: "shutdown" }`;
 * out: `{ type: "ready", url }` or `{ type: "failed", message }`, and `{ type: "closed" }`.
 */
import type { AppControl } from "./control.ts";

declare const self: Worker;

export type ToAppWorker =
  | { type: "start"; libraryDir?: string; uiBundle?: string; sharpAddon?: string }
  | { type: "shutdown" };
export type FromAppWorker = { type: "ready"; url: string } | { type: "closed" } | { type: "failed"; message: string };

let control: AppControl | null = null;
let server: ReturnType<typeof Bun.serve> | null = null;

async function start(message: Extract<ToAppWorker, { type: "start" }>): Promise<FromAppWorker> {
  if (message.libraryDir) process.env.VLLM_MLX_LIB_DIR = message.libraryDir;
  const [{ consola }, { logHubReporter }, { registerEmbeddedUi }, { AppControl, createControlApp }] = await Promise.all([
    import("consola"), import("../server/log-hub.ts"), import("../server/ui.ts"), import("./control.ts"),
  ]);
  if (message.uiBundle) registerEmbeddedUi(message.uiBundle);
  if (message.sharpAddon) (await import("../media/sharp.ts")).useSharpAddon(message.sharpAddon);
  control = new AppControl();
  consola.addReporter(logHubReporter(control.logs));
  // Port 0 picks a free port; the Host check needs the real one, so the app is built after binding.
  let fetchApp: (req: Request) => Response | Promise<Response> = () => new Response("starting", { status: 503 });
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (req) => fetchApp(req) });
  fetchApp = createControlApp(control, server.port!).fetch;
  return { type: "ready", url: server.url.href };
}

self.onmessage = async (event: MessageEvent<ToAppWorker>) => {
  const message = event.data;
  if (message.type === "start") {
    self.postMessage(await start(message).catch((e: Error): FromAppWorker => ({ type: "failed", message: e.message })));
    return;
  }
  try {
    await control?.stop();
  } finally {
    await server?.stop(true);
    self.postMessage({ type: "closed" } satisfies FromAppWorker);
  }
};
