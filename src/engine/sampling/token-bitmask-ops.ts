/**
 * The op-by-op formulation of grammar masks that `mx.applyTokenBitmask` (one native call) replaced: the reference
 * its tests compare against bit for bit, and the "before" of bench/structured/masked-sample-host.ts. A grammar
 * engine hands, per row, an int32 bitmask of ceil(V/32) words (bit j of
 * word w allows token 32w+j, as xgrammar and vLLM lay it out). The bitmask goes to the device as
 * B x V/16 uint16 half-words (the int32 buffer read as uint16, no host work; every value is non-negative and every
 * modulus fits int32; 9.5k half-words for a 150k vocabulary) and is expanded there with
 * MLX ops: bit(t) = (half[t >> 4] mod 2^(t%16 + 1)) >= 2^(t%16).
 */
import * as mx from "../../mlx/index.ts";
import { bitmaskWords } from "./token-bitmask.ts";

/** Per-vocabulary constants: which half-word each token reads, and the modulus and threshold of its bit. */
interface Lookup {
  word: mx.Array;
  modulus: mx.Array;
  threshold: mx.Array;
}

const lookups = new Map<number, Lookup>();

function lookup(V: number): Lookup {
  const hit = lookups.get(V);
  if (hit) return hit;
  const word = new Int32Array(V);
  const modulus = new Int32Array(V);
  const threshold = new Int32Array(V);
  for (let t = 0; t < V; t++) {
    word[t] = t >>> 4;
    threshold[t] = 1 << (t & 15);
    modulus[t] = 1 << ((t & 15) + 1);
  }
  const l = {
    word: mx.array(word, { shape: [V], dtype: "int32" }),
    modulus: mx.array(modulus, { shape: [1, V], dtype: "int32" }),
    threshold: mx.array(threshold, { shape: [1, V], dtype: "int32" }),
  };
  lookups.set(V, l);
  return l;
}

/**
 * Sets the logits of tokens whose bit is 0 to -inf. `bitmask` holds B rows of {@link bitmaskWords}(V) words;
 * a row of all ones (-1) leaves its logits as they are. Lazy: nothing runs until the result is evaluated.
 *
 * @example
 *   const masked = applyTokenBitmaskOps(logits, new Int32Array([0b101, 0])); // V = 40: only tokens 0 and 2 stay
 */
export function applyTokenBitmaskOps(logits: mx.Array, bitmask: Int32Array): mx.Array {
  const [B, V] = logits.shape as [number, number];
  const W = bitmaskWords(V);
  if (bitmask.length !== B * W) throw new RangeError(`bitmask has ${bitmask.length} words; ${B} rows of ${W} expected`);
  const l = lookup(V);
  // The same bytes read as uint16 are the half-words in order (little-endian: word w's low half is 2w): no host loop.
  const halves = new Uint16Array(bitmask.buffer, bitmask.byteOffset, 2 * bitmask.length);
  using words = mx.array(halves, { shape: [B, 2 * W], dtype: "uint16" });
  using perToken = mx.take(words, l.word, 1); // [B, V] uint16
  using low = mx.remainder(perToken, l.modulus); // promoted to int32 by the int32 modulus
  using allowed = mx.greaterEqual(low, l.threshold);
  return mx.where(allowed, logits, -Infinity);
}
