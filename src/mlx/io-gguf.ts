/** GGUF metadata values and their encoding for vmlx_save_gguf. */
import { Array } from "./array.ts";
import { array } from "./creation.ts";
import { MlxError } from "./errors.ts";

/** A metadata value read from a GGUF file (null: a type MLX does not read, such as nested arrays). */
export type GgufValue = string | number | boolean | null | (string | number | boolean)[];

/** A metadata value to write: strings, string lists, numbers, number lists, or an Array of a chosen dtype. */
export type GgufInput = string | string[] | number | number[] | Array;

export interface EncodedGgufMetadata {
  /** Numeric values (0-d scalars or 1-d lists), in `arrayKeys` order. */
  arrays: Array[];
  arrayKeys: string[];
  /** Arrays created here, to dispose after the call. */
  owned: Array[];
  /** String records: u32 key length, key, u32 count (0xFFFFFFFF for one string), then u32 length + bytes each. */
  strings: Uint8Array;
  /** Bytes of `strings` in use (0 when there are no string values; `strings` is then a 1-byte placeholder). */
  stringsLength: number;
}

const encoder = new TextEncoder();
const ONE_STRING = 0xffffffff;

function numbersArray(key: string, v: number | number[]): Array {
  const list = typeof v === "number" ? [v] : v;
  if (list.length === 0) throw new MlxError("saveGguf", `metadata '${key}' is an empty list`);
  const dtype = list.every(Number.isInteger) && list.every((x) => Math.abs(x) < 2 ** 31) ? "int32" : "float32";
  return typeof v === "number" ? array(v, { dtype }) : array(list, { dtype });
}

export function encodeGgufMetadata(metadata: Record<string, GgufInput>): EncodedGgufMetadata {
  const out: EncodedGgufMetadata = {
    arrays: [], arrayKeys: [], owned: [], strings: new Uint8Array(1), stringsLength: 0,
  };
  const parts: Uint8Array[] = [];
  const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
  const str = (s: string) => {
    const b = encoder.encode(s);
    parts.push(u32(b.length), b);
  };
  try {
    for (const [key, v] of Object.entries(metadata)) {
      if (v instanceof Array) {
        out.arrays.push(v);
        out.arrayKeys.push(key);
      } else if (typeof v === "string") {
        str(key);
        parts.push(u32(ONE_STRING));
        str(v);
      } else if (typeof v === "number" || typeof v[0] === "number" || v.length === 0) {
        const a = numbersArray(key, v as number | number[]);
        out.owned.push(a);
        out.arrays.push(a);
        out.arrayKeys.push(key);
      } else {
        str(key);
        parts.push(u32(v.length));
        for (const s of v as string[]) str(s);
      }
    }
  } catch (e) {
    for (const a of out.owned) a.dispose();
    throw e;
  }
  if (parts.length) {
    out.strings = Buffer.concat(parts);
    out.stringsLength = out.strings.byteLength;
  }
  return out;
}
