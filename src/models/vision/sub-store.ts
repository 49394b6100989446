/** A view of the tensors under one prefix of a VLM checkpoint, named as the component's loader expects. */
import type { QuantConfig } from "../../nn/weights.ts";
import { WeightStore } from "../../nn/weights.ts";

/**
 * Moves every tensor named `prefix + rest` into a new store as `rest` (marking it used in `store`), with
 * per-layer quantization overrides renamed the same way.
 *
 * @example
 *   const text = subStore(store, "language_model."); // "language_model.model.norm.weight" -> "model.norm.weight"
 */
export function subStore(store: WeightStore, prefix: string): WeightStore {
  const tensors = new Map<string, ReturnType<WeightStore["get"]>>();
  const source = new Map<string, string>();
  for (const name of store.names()) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    tensors.set(rest, store.get(name));
    source.set(rest, store.fileOf(name));
  }
  return new WeightStore(tensors, source, renameOverrides(store.quant, prefix));
}

function renameOverrides(q: QuantConfig | null, prefix: string): QuantConfig | null {
  if (!q) return null;
  const overrides: QuantConfig["overrides"] = {};
  for (const [k, v] of Object.entries(q.overrides)) {
    if (k.startsWith(prefix)) overrides[k.slice(prefix.length)] = v;
    else overrides[k] = v;
  }
  return { default: q.default, overrides };
}
