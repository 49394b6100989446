/**
 * The engine worker's entry module. It runs in a Bun Worker so model work never blocks the HTTP thread.
 * The native library is loaded here, by this thread's own module graph: the `init` message names its folder
 * (a compiled binary unpacks it in the parent) before any module that touches MLX is imported.
 * `bun build --compile` needs this file as an extra entrypoint (scripts/build.ts adds it).
 */
import { serveWorker } from "./bootstrap.ts";
import type { ModelLoader } from "./worker-loop.ts";
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

serveWorker<ToWorker>(async () => {
  const [{ WorkerLoop }, { createCore }] = await Promise.all([import("./worker-loop.ts"), import("../create.ts")]);
  return new WorkerLoop({ loadModel, createCore, post, warmGrammars: true });
}, (message) => post({ type: "load-failed", message }));
