/**
 * The engine worker's entry module. It runs in a Bun Worker so model work never blocks the HTTP thread.
 * The native library is loaded here, by this thread's own module graph: the `init` message names its folder
 * (a compiled binary unpacks it in the parent) before any module that touches MLX is imported.
 * `bun build --compile` needs this file as an extra entrypoint (scripts/build.ts adds it).
 */
import type { ModelLoader, WorkerLoop } from "./worker-loop.ts";
import type { FromWorker, ToWorker } from "./worker-protocol.ts";

declare const self: Worker;

/** Directories load through loadModelDir; .gguf files through the GGUF loader, which also carries the tokenizer. */
const loadModel: ModelLoader = async (path) => {
  if (path.endsWith(".gguf")) {
    const { loadGgufModel, ggufTokenizerFiles } = await import("../../models/gguf.ts");
    const loaded = loadGgufModel(path);
    return { ...loaded, tokenizerFiles: ggufTokenizerFiles(loaded.metadata) };
  }
  const { loadModelDir } = await import("../../models/load.ts");
  return loadModelDir(path);
};

const post = (message: FromWorker) => self.postMessage(message);
let loop: WorkerLoop | null = null;
let pending: Promise<WorkerLoop> | null = null;
const backlog: ToWorker[] = [];

async function makeLoop(libraryDir: string | undefined): Promise<WorkerLoop> {
  if (libraryDir) process.env.VLLM_MLX_LIB_DIR = libraryDir;
  const [{ WorkerLoop }, { createCore }] = await Promise.all([import("./worker-loop.ts"), import("../create.ts")]);
  return new WorkerLoop({ loadModel, createCore, post, warmGrammars: true });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
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
