/**
 * The message pump both worker entry modules share (the engine's `worker/worker.ts` and the pooling engine's
 * `pooling/worker.ts`). The first `init` message names libvmlx's folder, then `build` imports the modules that
 * touch MLX and makes the loop; messages that arrive meanwhile wait and reach the loop in order.
 */

/** A worker loop: it takes every message after the first `init`, that one included. */
export interface MessageLoop<In> {
  handle(message: In): void;
}

/** The fields of an `init` message that the pump reads. */
export interface InitFields {
  type: "init";
  /** The folder holding libvmlx (a compiled binary unpacks it in the parent). */
  libraryDir?: string;
}

declare const self: Worker;

/**
 * @example
 *   serveWorker<ToWorker>(async () => new (await import("./worker-loop.ts")).WorkerLoop(deps),
 *     (message) => self.postMessage({ type: "load-failed", message }));
 */
export function serveWorker<In extends { type: string }>(
  build: (init: In & InitFields) => Promise<MessageLoop<In>>,
  loadFailed: (message: string) => void,
): void {
  let loop: MessageLoop<In> | null = null;
  let pending: Promise<MessageLoop<In>> | null = null;
  const backlog: In[] = [];
  self.onmessage = (event: MessageEvent<In>) => {
    const message = event.data;
    if (loop) return loop.handle(message);
    backlog.push(message);
    if (message.type !== "init" || pending) return;
    const init = message as In & InitFields;
    if (init.libraryDir) process.env.VLLM_MLX_LIB_DIR = init.libraryDir;
    pending = build(init);
    pending.then(
      (ready) => {
        loop = ready;
        for (const queued of backlog.splice(0)) ready.handle(queued);
      },
      (e: unknown) => loadFailed(e instanceof Error ? e.message : String(e)),
    );
  };
}
