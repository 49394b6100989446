/**
 * The pooling worker's queue: inputs of every request, first come first served, cut into batches whose
 * padded size (rows x longest row) stays within a token budget. Pure: no MLX, unit-tested alone.
 */
import type { PoolerInput } from "../../models/pooling-model.ts";

interface Item {
  requestId: string;
  index: number;
  input: PoolerInput;
}

interface Pending {
  vectors: (Float32Array | undefined)[];
  left: number;
}

/** A batch to run, and where each of its rows goes. */
export interface PoolingBatch {
  items: readonly Item[];
}

/**
 * @example
 *   const b = new PoolingBatcher(8192);
 *   b.add("r1", inputs);
 *   const batch = b.next(); // run it, then b.complete(batch, vectors) -> finished requests
 */
export class PoolingBatcher {
  readonly #queue: Item[] = [];
  readonly #pending = new Map<string, Pending>();

  constructor(readonly maxBatchTokens: number) {}

  get waiting(): number {
    return this.#queue.length;
  }

  add(requestId: string, inputs: readonly PoolerInput[]): void {
    this.#pending.set(requestId, { vectors: new Array(inputs.length), left: inputs.length });
    inputs.forEach((input, index) => this.#queue.push({ requestId, index, input }));
  }

  /** Drops a request's queued inputs and its partial results. */
  abort(requestId: string): void {
    this.#pending.delete(requestId);
    for (let i = this.#queue.length - 1; i >= 0; i--) if (this.#queue[i]!.requestId === requestId) this.#queue.splice(i, 1);
  }

  /** The next batch in arrival order (at least one input; more while the padded size fits), or null. */
  next(): PoolingBatch | null {
    if (this.#queue.length === 0) return null;
    let longest = 0;
    let count = 0;
    for (const item of this.#queue) {
      const len = Math.max(longest, item.input.tokenIds.length);
      if (count > 0 && (count + 1) * len > this.maxBatchTokens) break;
      longest = len;
      count++;
    }
    return { items: this.#queue.splice(0, count) };
  }

  /** Stores a batch's vectors; returns the requests now complete, with their vectors in input order. */
  complete(batch: PoolingBatch, vectors: readonly Float32Array[]): { requestId: string; vectors: Float32Array[] }[] {
    const done: { requestId: string; vectors: Float32Array[] }[] = [];
    batch.items.forEach((item, i) => {
      const p = this.#pending.get(item.requestId);
      if (!p) return; // aborted meanwhile
      p.vectors[item.index] = vectors[i]!;
      if (--p.left === 0) {
        this.#pending.delete(item.requestId);
        done.push({ requestId: item.requestId, vectors: p.vectors as Float32Array[] });
      }
    });
    return done;
  }

  /** Fails a batch: the requests it touched are dropped (their other queued inputs too). */
  fail(batch: PoolingBatch): string[] {
    const ids = [...new Set(batch.items.map((i) => i.requestId))].filter((id) => this.#pending.has(id));
    for (const id of ids) this.abort(id);
    return ids;
  }
}
