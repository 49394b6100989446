/**
 * The encoder stage of a step (vLLM's encoder scheduling, simplified): before a prefill chunk that covers some
 * of an item's placeholder tokens, the item's encoder output is taken from the encoder cache (by content hash)
 * or computed, lazily, into the same graph as the step's forward; the chunk's input embeddings are the token
 * embeddings with the item's feature rows at its placeholder positions. A chunk may hold part of an image
 * (chunked prefill, or a prefix-cache hit that starts inside one): it takes the rows of its own positions.
 * Qwen-VL: every token of a request with media gets its M-RoPE position (prompt tokens from `get_rope_index`,
 * later tokens their position plus the rope delta); Qwen3-VL's deepstack rows are scattered the same way.
 * A step without media builds nothing here.
 */
import * as mx from "../../mlx/index.ts";
import type { ForwardOptions } from "../../models/decoder.ts";
import { ropeIndex } from "../../models/vision/rope-index.ts";
import { InvalidRequestError, type ScheduledSequence } from "../core/index.ts";
import type { EncoderCache } from "./encoder-cache.ts";
import { checkMultiModalItems, type MultiModalItem } from "./mm-items.ts";
import { disposeEncoderOutput, type EncoderOutput, encoderOutputBytes, type MultimodalModel } from "./vision-model.ts";

/** The flat step layout the stage reads (the model runner's `StepInputs`). */
export interface FlatStep {
  /** `[T]`: each token's position in its sequence. */
  positions: readonly number[];
  /** `[T]`: the scheduled entry each token belongs to. */
  tokenRows: readonly number[];
}

interface Held {
  out: EncoderOutput;
  /** Owned by the encoder cache (released there), else ours to dispose. */
  cached: boolean;
}

interface SeqMedia {
  items: readonly MultiModalItem[];
  /** Per item, per position of its range: the feature row it takes, or -1 (text inside the range). */
  rowOf: Int32Array[];
  promptLen: number;
  /** M-RoPE positions of the prompt, `[3 * promptLen]` (t, then h, then w); null for plain positions. */
  mropePositions: Int32Array | null;
  ropeDelta: number;
  held: Map<number, Held>;
}

/** A step's multimodal forward options and the arrays to free once the forward is built. */
export interface StepMedia {
  options: ForwardOptions;
  [Symbol.dispose](): void;
}

/**
 * @example
 * const stage = new MultimodalStage(multimodalModel(vlm), encoderCache);
 * stage.add(seq, request.mm);
 * const media = stage.stepOptions(output.scheduled, inputs, tokens); // null for a text-only step
 * model.forward(tokens, caches, { ...media?.options, logitsRows });
 * media?.[Symbol.dispose](); // or `using media = ...`
 */
export class MultimodalStage {
  readonly #media = new Map<object, SeqMedia>();
  #encoded = 0;

  constructor(
    readonly model: MultimodalModel,
    readonly cache: EncoderCache<EncoderOutput> | null,
  ) {}

  /** Items run through the tower (encoder-cache misses). */
  get numEncoded(): number {
    return this.#encoded;
  }

  /** Registers a sequence's media. Throws InvalidRequestError when they don't fit its prompt. */
  add(seq: object, promptTokenIds: readonly number[], items: readonly MultiModalItem[]): void {
    const bad = checkMultiModalItems(items, promptTokenIds.length);
    if (bad) throw new InvalidRequestError(bad);
    const rowOf = items.map((item, i) => {
      const id = this.model.placeholderTokenId(item.kind);
      const rows = new Int32Array(item.length).fill(-1);
      let n = 0;
      for (let p = 0; p < item.length; p++) if (promptTokenIds[item.offset + p] === id) rows[p] = n++;
      if (n === 0) throw new InvalidRequestError(`multimodal item ${i} has no placeholder tokens in its range`);
      const g = item.gridThw;
      const merge = this.model.mrope?.mergeSize;
      if (g && merge && n !== (g[0] * g[1] * g[2]) / (merge * merge)) {
        throw new InvalidRequestError(`multimodal item ${i} has ${n} placeholder tokens; its grid [${g.join(", ")}] gives ${(g[0] * g[1] * g[2]) / (merge * merge)}`);
      }
      return rows;
    });
    let mropePositions: Int32Array | null = null;
    let ropeDelta = 0;
    const cfg = this.model.mrope;
    if (cfg) {
      const grids = (kind: MultiModalItem["kind"]) => items.filter((it) => it.kind === kind).map((it) => it.gridThw!);
      const r = ropeIndex(promptTokenIds, grids("image"), grids("video"), cfg);
      const L = promptTokenIds.length;
      mropePositions = new Int32Array(3 * L);
      r.positions.forEach((axis, a) => mropePositions!.set(axis, a * L));
      ropeDelta = r.delta;
    }
    this.#media.set(seq, { items, rowOf, promptLen: promptTokenIds.length, mropePositions, ropeDelta, held: new Map() });
  }

  /** Forgets a sequence (finished or aborted), freeing the encoder outputs it holds. */
  remove(seq: object): void {
    const media = this.#media.get(seq);
    if (!media) return;
    for (const i of [...media.held.keys()]) this.#release(media, i);
    this.#media.delete(seq);
  }

  /**
   * The forward options of a step whose flat tokens are `tokens` (`[T, 1]`): input embeddings with feature rows
   * at the placeholder positions its chunks cover, M-RoPE positions, deepstack rows. Null when no scheduled
   * entry has media (then the forward is the text path, untouched).
   */
  stepOptions(entries: readonly ScheduledSequence<unknown>[], step: FlatStep, tokens: mx.Array): StepMedia | null {
    if (this.#media.size === 0) return null;
    const media = entries.map((e) => this.#media.get(e.seq) ?? null);
    if (media.every((m) => m === null)) return null;
    const owned: mx.Array[] = [];
    const options: ForwardOptions = {};
    if (this.model.mrope) {
      const ids = this.#positions(media, step);
      owned.push(ids);
      options.positions = { ids };
    }
    const merged = this.#embeds(entries, media, step, tokens);
    if (merged) {
      owned.push(merged.inputEmbeds, ...merged.deepstack);
      options.inputEmbeds = merged.inputEmbeds;
      if (merged.deepstack.length > 0) options.deepstack = merged.deepstack;
    }
    // Items whose last placeholder this step computes are not needed again (unless the sequence is preempted).
    entries.forEach((e, r) => {
      const m = media[r];
      if (!m) return;
      const end = e.numComputedTokens + e.numNewTokens;
      for (const i of [...m.held.keys()]) if (m.items[i]!.offset + m.items[i]!.length <= end) this.#release(m, i);
    });
    return { options, [Symbol.dispose]: () => owned.forEach((a) => a.dispose()) };
  }

  /** `[3, T, 1]` int32: M-RoPE positions of every token; a token without media has t = h = w = its position. */
  #positions(media: readonly (SeqMedia | null)[], step: FlatStep): mx.Array {
    const T = step.positions.length;
    const out = new Int32Array(3 * T);
    for (let t = 0; t < T; t++) {
      const p = step.positions[t]!;
      const m = media[step.tokenRows[t]!];
      for (let a = 0; a < 3; a++) {
        if (!m) out[a * T + t] = p;
        else out[a * T + t] = p < m.promptLen ? m.mropePositions![a * m.promptLen + p]! : p + m.ropeDelta;
      }
    }
    return mx.array(out, { dtype: "int32", shape: [3, T, 1] });
  }

  /** The step's embeddings `[T, 1, D]` with feature rows scattered in; null when no chunk covers a placeholder. */
  #embeds(entries: readonly ScheduledSequence<unknown>[], media: readonly (SeqMedia | null)[], step: FlatStep, tokens: mx.Array):
    { inputEmbeds: mx.Array; deepstack: mx.Array[] } | null {
    const T = step.positions.length;
    const index = new Int32Array(T).map((_, t) => t); // row of [embeds; features...] each token takes
    const tables: EncoderOutput[] = [];
    let base = T;
    let start = 0;
    entries.forEach((e, r) => {
      const m = media[r];
      const first = e.numComputedTokens;
      const n = e.numNewTokens;
      if (m) {
        m.items.forEach((item, i) => {
          const lo = Math.max(first, item.offset);
          const hi = Math.min(first + n, item.offset + item.length);
          if (lo >= hi) return;
          const rows = m.rowOf[i]!;
          let used = false;
          for (let p = lo; p < hi; p++) {
            const row = rows[p - item.offset]!;
            if (row >= 0) (index[start + p - first] = base + row), (used = true);
          }
          if (!used) return;
          const out = this.#acquire(m, i);
          tables.push(out);
          base += out.features.shape[0]!;
        });
      }
      start += n;
    });
    if (tables.length === 0) return null;
    using idx = mx.array(index, { dtype: "int32" });
    using embeds = this.model.text.embed.forward(tokens); // [T, 1, D]
    const D = embeds.shape[2]!;
    const gather = (base: mx.Array, rows: mx.Array[]): mx.Array => {
      using casts = new DisposableList(rows.map((f) => mx.astype(f, embeds.dtype)));
      using table = mx.concatenate([base, ...casts.items], 0);
      using picked = mx.take(table, idx, 0); // [T, D]
      return mx.reshape(picked, [T, 1, D]);
    };
    using flat = mx.reshape(embeds, [T, D]);
    const inputEmbeds = gather(flat, tables.map((o) => o.features));
    const layers = tables.find((o) => o.deepstack.length > 0)?.deepstack.length ?? 0;
    const deepstack: mx.Array[] = [];
    if (layers > 0) {
      using zeros = mx.zeros([T, D], embeds.dtype); // text rows add nothing
      for (let k = 0; k < layers; k++) deepstack.push(gather(zeros, tables.map((o) => o.deepstack[k]!)));
    }
    return { inputEmbeds, deepstack };
  }

  /** Item i's encoder output: held already, from the encoder cache, or encoded now (lazily) and cached. */
  #acquire(m: SeqMedia, i: number): EncoderOutput {
    const held = m.held.get(i);
    if (held) return held.out;
    const item = m.items[i]!;
    const hit = this.cache?.get(item.hash);
    if (hit) {
      this.cache!.acquire(item.hash);
      m.held.set(i, { out: hit, cached: true });
      return hit;
    }
    const out = this.model.encode(item);
    this.#encoded++;
    if (out.features.shape[0] !== m.rowOf[i]!.reduce((n, r) => n + Number(r >= 0), 0)) {
      disposeEncoderOutput(out);
      throw new RangeError(`multimodal item ${i} encodes to ${out.features.shape[0]} rows for its placeholder tokens`);
    }
    const cached = this.cache?.put(item.hash, out, encoderOutputBytes(out)) ?? false;
    if (cached) this.cache!.acquire(item.hash);
    m.held.set(i, { out, cached });
    return out;
  }

  #release(m: SeqMedia, i: number): void {
    const held = m.held.get(i);
    if (!held) return;
    m.held.delete(i);
    if (held.cached) this.cache!.release(m.items[i]!.hash);
    else disposeEncoderOutput(held.out);
  }
}

/** Arrays freed together at the end of a `using` scope. */
class DisposableList {
  constructor(readonly items: mx.Array[]) {}
  [Symbol.dispose](): void {
    for (const a of this.items) a.dispose();
  }
}
