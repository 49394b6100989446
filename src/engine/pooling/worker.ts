/**
 * The pooling engine's worker entry module: embedding and rerank models run here, off the HTTP thread.
 * As with the chat worker, `init` names libvmlx's folder before any module that touches MLX is imported.
 * `bun build --compile` needs this file as an extra entrypoint (scripts/build.ts adds it).
 */
import type { PoolingWorkerLoop } from "./worker-loop.ts";
import type { FromPoolingWorker, ToPoolingWorker } from "./protocol.ts";

declare const self: Worker;

const post = (message: FromPoolingWorker) => self.postMessage(message);
let loop: PoolingWorkerLoop | null = null;
let pending: Promise<PoolingWorkerLoop> | null = null;
const backlog: ToPoolingWorker[] = [];

async function makeLoop(libraryDir: string | undefined): Promise<PoolingWorkerLoop> {
  if (libraryDir) process.env.VLLM_MLX_LIB_DIR = libraryDir;
  const [{ PoolingWorkerLoop }, { loadPoolingModel }] = await Promise.all([
    import("./worker-loop.ts"),
    import("../../models/load-pooling.ts"),
  ]);
  return new PoolingWorkerLoop({ load: (init) => loadPoolingModel(init.modelPath, init.task), post });
}

self.onmessage = (event: MessageEvent<ToPoolingWorker>) => {
  const message = event.data;
  if (loop) return loop.handle(message);
  backlog.push(message);
  if (message.type !== "init" || pending) return;
  pending = makeLoop(message.libraryDir);
  pending.then(
    (ready) => {
      loop = ready;
      for (const queued of backlog.splice(0)) ready.handle(queued);
    },
    (e: unknown) => post({ type: "load-failed", message: e instanceof Error ? e.message : String(e) }),
  );
};
