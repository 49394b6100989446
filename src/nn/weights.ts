/**
 * A set of named tensors being turned into modules. Every tensor remembers the file it came from, so a
 * missing or misshapen tensor is reported with both names; `finish()` rejects tensors nothing consumed.
 */
import * as mx from "../mlx/index.ts";

export class WeightError extends Error {
  override readonly name = "WeightError";
}

/** Affine quantization parameters of one layer. */
export interface QuantParams {
  groupSize: number;
  bits: number;
  mode: "affine";
}

export interface QuantConfig {
  default: QuantParams;
  /** Per-layer overrides by module path (`model.layers.0.mlp.down_proj`); `false` means not quantized. */
  overrides: Record<string, QuantParams | false>;
}

export class WeightStore {
  readonly #tensors: Map<string, mx.Array>;
  readonly #source: Map<string, string>;
  readonly #used = new Set<string>();

  constructor(tensors: Map<string, mx.Array>, source: Map<string, string>, readonly quant: QuantConfig | null) {
    this.#tensors = tensors;
    this.#source = source;
  }

  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  /** Removes a tensor the model does not use (e.g. `rotary_emb.inv_freq`), freeing it. */
  drop(name: string): void {
    this.#tensors.get(name)?.dispose();
    this.#tensors.delete(name);
  }

  rename(from: string, to: string): void {
    const t = this.#tensors.get(from);
    if (!t) return;
    this.#tensors.delete(from);
    this.#tensors.set(to, t);
    this.#source.set(to, this.#source.get(from) ?? "?");
  }

  names(): string[] {
    return [...this.#tensors.keys()];
  }

  fileOf(name: string): string {
    return this.#source.get(name) ?? "?";
  }

  /** The tensor `name`, checked against `shape` (-1 matches any size). */
  get(name: string, shape?: readonly number[]): mx.Array {
    const t = this.#tensors.get(name);
    if (!t) throw new WeightError(`missing tensor '${name}' (have ${this.#tensors.size} tensors from ${this.#files()})`);
    if (shape) {
      const actual = t.shape;
      const ok = actual.length === shape.length && shape.every((d, i) => d === -1 || d === actual[i]);
      if (!ok) {
        throw new WeightError(
          `tensor '${name}' in ${this.fileOf(name)} has shape [${actual.join(", ")}], expected [${shape.join(", ")}]`,
        );
      }
    }
    this.#used.add(name);
    return t;
  }

  optional(name: string, shape?: readonly number[]): mx.Array | null {
    return this.#tensors.has(name) ? this.get(name, shape) : null;
  }

  /** Quantization parameters of the module at `prefix`, or null when it is stored unquantized. */
  quantParams(prefix: string): QuantParams | null {
    if (!this.#tensors.has(`${prefix}.scales`)) return null;
    const override = this.quant?.overrides[prefix];
    if (override === false) return null;
    const p = override ?? this.quant?.default;
    if (!p) throw new WeightError(`'${prefix}.scales' exists but config.json has no quantization section`);
    return p;
  }

  /** Throws when tensors were left unused: a sign of a wrong model type or a mis-named checkpoint. */
  finish(): void {
    const unused = [...this.#tensors.keys()].filter((k) => !this.#used.has(k));
    if (unused.length > 0) {
      const shown = unused.slice(0, 5).map((k) => `'${k}' (${this.fileOf(k)})`).join(", ");
      throw new WeightError(`${unused.length} tensors were not used by the model: ${shown}${unused.length > 5 ? ", ..." : ""}`);
    }
  }

  #files(): string {
    return [...new Set(this.#source.values())].join(", ") || "no files";
  }
}
