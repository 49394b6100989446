/**
 * The pooling worker's loop: queues `run` messages, and while there is work runs the next batch as one
 * padded forward, posting each request's vectors once all its inputs are done. It yields to the event
 * loop between batches, so requests that arrive meanwhile join the next one.
 */
import type { PoolerInput, PoolingModel } from "../../models/pooling-model.ts";
import { PoolingBatcher } from "./batcher.ts";
import { LoopGate, yieldToMessages } from "../worker/loop-gate.ts";
import type { FromPoolingWorker, PoolingInit, PoolingStats, ToPoolingWorker } from "./protocol.ts";

export interface PoolingWorkerDeps {
  load(init: PoolingInit): Promise<PoolingModel>;
  post(message: FromPoolingWorker): void;
}

/**
 * @example
 *   const loop = new PoolingWorkerLoop({ load: (init) => loadPoolingModel(init.modelPath, init.task), post });
 *   self.onmessage = (e) => loop.handle(e.data);
 */
export class PoolingWorkerLoop {
  readonly #deps: PoolingWorkerDeps;
  #batcher: PoolingBatcher | null = null;
  readonly #gate = new LoopGate();
  #forwards = 0;
  #inputs = 0;

  constructor(deps: PoolingWorkerDeps) {
    this.#deps = deps;
  }

  handle(message: ToPoolingWorker): void {
    if (message.type === "init") return void this.#start(message);
    if (message.type === "run") this.#queue(message.requestId, message.inputs);
    else if (message.type === "abort") this.#batcher?.abort(message.requestId);
    else if (this.#gate.close()) this.#deps.post({ type: "closed" });
    this.#gate.notify();
  }

  #queue(requestId: string, inputs: readonly PoolerInput[]): void {
    if (this.#batcher) return this.#batcher.add(requestId, inputs);
    this.#deps.post({ type: "failed", requestIds: [requestId], message: "the model is not loaded yet", stats: this.#stats() });
  }

  #stats(): PoolingStats {
    return { forwards: this.#forwards, inputs: this.#inputs, waiting: this.#batcher?.waiting ?? 0 };
  }

  async #start(init: PoolingInit): Promise<void> {
    let model: PoolingModel;
    try {
      model = await this.#deps.load(init);
    } catch (e) {
      this.#deps.post({ type: "load-failed", message: e instanceof Error ? e.message : String(e) });
      return;
    }
    const batcher = new PoolingBatcher(init.maxBatchTokens);
    this.#batcher = batcher;
    this.#deps.post({ type: "ready", facts: { config: model.config, maxModelLen: model.maxModelLen, dimensions: model.dimensions } });
    this.#gate.setRunning(true);
    while (!this.#gate.closing) {
      if (batcher.waiting === 0) {
        await this.#gate.sleep(null);
        continue;
      }
      this.#step(model, batcher);
      await yieldToMessages();
    }
    this.#gate.setRunning(false);
    this.#deps.post({ type: "closed" });
  }

  #step(model: PoolingModel, batcher: PoolingBatcher): void {
    const batch = batcher.next();
    if (!batch) return;
    let vectors: Float32Array[];
    try {
      vectors = model.run(batch.items.map((i) => i.input));
    } catch (e) {
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.#deps.post({ type: "failed", requestIds: batcher.fail(batch), message, stats: this.#stats() });
      return;
    }
    this.#forwards++;
    this.#inputs += batch.items.length;
    for (const done of batcher.complete(batch, vectors)) {
      this.#deps.post({ type: "result", requestId: done.requestId, vectors: done.vectors, stats: this.#stats() });
    }
  }
}
