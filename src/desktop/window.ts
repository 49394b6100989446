/**
 * `vllm-mlx app`: a native window (webview-bun: WebKit on macOS, WebKitGTK on Linux) over the control server,
 * which runs with the model server in a worker (src/desktop/server-worker.ts): `webview_run()` blocks this
 * thread until the window closes. Closing it shuts the worker's servers down (engine closed, ports freed) before
 * the process exits.
 *
 * Test hook, off in normal runs: with `VLLM_MLX_APP_TEST_SCRIPT=<file.js>` the file's script is injected into
 * the app page (webview init), and it may call the bound `vllmMlxTestReport(text)` (printed on stdout as
 * `app-test: <text>`) and `vllmMlxTestClose()` (closes the window as its close button does).
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { sharpAddonPath } from "../media/sharp.ts";
import { materializeEmbedded } from "../mlx/ffi/embedded.ts";
import { embeddedUiSource } from "../server/ui.ts";
import type { FromAppWorker, ToAppWorker } from "./server-worker.ts";
import { threadEntry } from "../engine/thread-entry.ts";

/** How long the servers get to stop after the window closes. */
const SHUTDOWN_MS = 30_000;

function nextMessage(worker: Worker, timeoutMs: number): Promise<FromAppWorker> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app's worker did not answer in ${timeoutMs} ms`)), timeoutMs);
    worker.onmessage = (event: MessageEvent<FromAppWorker>) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      reject(new Error(`the app's worker failed: ${event.message}`));
    };
  });
}

export interface DesktopOptions {
  /** Opens WebKit's inspector (right click, Inspect). */
  debug?: boolean;
  env?: Record<string, string | undefined>;
}

/**
 * Opens the window and blocks until it is closed; the servers are stopped when this returns.
 *
 * @example
 *   await runDesktopApp({});
 */
export async function runDesktopApp(options: DesktopOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  // The worker's own module graph loads MLX: a compiled binary unpacks its libraries here and names their folder.
  const library = materializeEmbedded();
  const worker = new Worker(threadEntry("./src/desktop/server-worker.ts", "./server-worker.ts", import.meta.url));
  const started = nextMessage(worker, 30_000);
  const uiBundle = embeddedUiSource();
  const sharpAddon = sharpAddonPath();
  worker.postMessage({
    type: "start", ...(library === null ? {} : { libraryDir: dirname(library) }), ...(uiBundle === null ? {} : { uiBundle }),
    ...(sharpAddon === null ? {} : { sharpAddon }),
  } satisfies ToAppWorker);
  const ready = await started;
  if (ready.type !== "ready") throw new Error(ready.type === "failed" ? ready.message : "the app's worker did not start");
  console.log(`vllm-mlx app: control server at ${ready.url}`);
  // Loaded only here: the library needs WebKit (WebKitGTK on Linux), which `serve` never does.
  const { Webview, lib } = await import("./webview.js");
  const view = new Webview(options.debug === true, { width: 1200, height: 800, hint: 0 /* SizeHint.NONE */ });
  view.title = "vLLM-MLX";
  const script = env.VLLM_MLX_APP_TEST_SCRIPT;
  if (script) {
    view.bind("vllmMlxTestReport", (text: string) => console.log(`app-test: ${text}`));
    view.bind("vllmMlxTestClose", () => lib.symbols.webview_terminate(view.unsafeHandle));
    view.init(readFileSync(script, "utf8"));
  }
  view.navigate(new URL("/ui/desktop.html", ready.url).href);
  // Webview.run() would terminate the closed window again before destroying it, which hangs WebKitGTK.
  lib.symbols.webview_run(view.unsafeHandle);
  lib.symbols.webview_destroy(view.unsafeHandle);
  console.log("vllm-mlx app: window closed; stopping the server");
  const closed = nextMessage(worker, SHUTDOWN_MS);
  worker.postMessage({ type: "shutdown" } satisfies ToAppWorker);
  await closed;
  await worker.terminate();
  console.log("vllm-mlx app: stopped");
}
