/**
 * The pooling engine's worker entry module: embedding and rerank models run here, off the HTTP thread.
 * As with the chat worker, `init` names libvmlx's folder before any module that touches MLX is imported.
 * `bun build --compile` needs this file as an extra entrypoint (scripts/build.ts adds it).
 */
import { serveWorker } from "../worker/bootstrap.ts";
import type { FromPoolingWorker, ToPoolingWorker } from "./protocol.ts";

declare const self: Worker;

const post = (message: FromPoolingWorker) => self.postMessage(message);

serveWorker<ToPoolingWorker>(async () => {
  const [{ PoolingWorkerLoop }, { loadPoolingModel }] = await Promise.all([
    import("./worker-loop.ts"),
    import("../../models/load-pooling.ts"),
  ]);
  return new PoolingWorkerLoop({ load: (init) => loadPoolingModel(init.modelPath, init.task), post });
}, (message) => post({ type: "load-failed", message }));
