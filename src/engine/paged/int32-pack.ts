/**
 * A step's int32 inputs (slot mapping, positions, block tables, KV lengths) made from ONE host buffer. On MLX's
 * CUDA backend every array made from host memory is a managed allocation that the GPU then faults in, so a step
 * makes one and takes each part as a view of it: a contiguous slice (and a reshape of it) copies nothing.
 */
import * as mx from "../../mlx/index.ts";

/** One part: its values, row-major, and its shape (`[values.length]` when omitted). */
export interface Int32Part {
  values: readonly number[];
  shape?: readonly number[];
}

/**
 * The parts as int32 arrays, in order, all views of one host array (one part: that array itself; `separate`: each
 * part a host array of its own, as before packing, to measure one against the other). The caller owns every
 * returned array; the shared buffer lives as long as any of them.
 *
 * @example
 * const [slots, lens] = packInt32([{ values: [37] }, { values: [38] }]);
 */
export function packInt32(parts: readonly Int32Part[], separate = false): mx.Array[] {
  const shapes = parts.map((p) => p.shape ?? [p.values.length]);
  parts.forEach((p, i) => {
    const size = shapes[i]!.reduce((a, b) => a * b, 1);
    if (size !== p.values.length) throw new RangeError(`part ${i}: ${p.values.length} values for shape [${shapes[i]}]`);
  });
  if (parts.length === 1 || separate) {
    return parts.map((p, i) => mx.array(p.values, { dtype: "int32", shape: shapes[i]! }));
  }
  const total = parts.reduce((n, p) => n + p.values.length, 0);
  const host = new Int32Array(total);
  let at = 0;
  for (const p of parts) {
    host.set(p.values, at);
    at += p.values.length;
  }
  using flat = mx.array(host, { dtype: "int32", shape: [total] });
  const out: mx.Array[] = [];
  at = 0;
  try {
    parts.forEach((p, i) => {
      const n = p.values.length;
      const shape = shapes[i]!;
      const view = mx.slice(flat, [at], [at + n]);
      at += n;
      if (shape.length === 1) return void out.push(view);
      using _ = view;
      out.push(mx.reshape(view, shape));
    });
  } catch (e) {
    for (const a of out) a.dispose();
    throw e;
  }
  return out;
}
