#!/usr/bin/env bun
/**
 * The host side of a Qwen-VL tower's `encode` on one image: what the CPU spends before the device computes
 * anything. On a GPU this time adds to the encoder figure of bench/vlm/run.ts (MLX builds the whole graph on the
 * host, then evaluates), so it is measured here without evaluating, on any machine.
 *
 *   bun bench/vlm/encode-host.ts --model DIR [--image 1024x1024] [--rounds 15] [--eval]
 *
 * Prints, medians (and minima) over the rounds: the pixel array's creation (bench/vlm times it as preprocessing,
 * as mlx-vlm's processor returns an mx.array), the graph's building (`VlmModel.encode`, not evaluated), the FFI
 * calls one encode makes (total, and the share of the blocks), and with `--eval` the evaluated encode.
 * `bench/vlm/mlx_vlm_encode.py` measures the same on mlx-vlm's tower.
 */
import { parseArgs } from "node:util";
import * as mx from "../../src/mlx/index.ts";
import { syntheticImage } from "../../src/bench/vlm-cases.ts";
import { loadVlmDir } from "../../src/models/vision/load-vlm.ts";
import { loadVisionProcessor } from "../../src/models/vision/load-processor.ts";
import type { VisionInput } from "../../src/models/vision/vlm.ts";
import { countCalls, totalCalls } from "../generation/ours.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" }, image: { type: "string", default: "1024x1024" }, rounds: { type: "string", default: "15" },
    eval: { type: "boolean", default: false },
  },
});
if (!args.model) {
  console.error("usage: bun bench/vlm/encode-host.ts --model DIR [--image WxH] [--rounds N] [--eval]");
  process.exit(2);
}
const [width, height] = args.image.split("x").map(Number) as [number, number];
const rounds = Number(args.rounds);
const { model } = await loadVlmDir(args.model);
const processor = loadVisionProcessor(args.model);
if (!processor) throw new Error(`${args.model} has no vision processor`);
const processed = processor.processImage(syntheticImage(width, height));
if (!processed.gridThw) throw new Error("not a Qwen-VL processor (no grid)");
const grids = [processed.gridThw];

/** `fn`'s result and how many FFI calls it made. */
function countAll<T>(fn: () => T): { result: T; calls: number } {
  const { result, counts } = countCalls(fn);
  return { result, calls: totalCalls(counts) };
}

const dispose = (o: { features: mx.Array; deepstack: mx.Array[] }) => [o.features, ...o.deepstack].forEach((a) => a.dispose());
const times = { array: [] as number[], build: [] as number[], evaluated: [] as number[] };
for (let r = 0; r < rounds + 2; r++) {
  const t0 = performance.now();
  using pixels = mx.array(processed.pixelValues.data, { dtype: "float32", shape: processed.pixelValues.shape });
  const t1 = performance.now();
  const input: VisionInput = { kind: "image", pixels, grids };
  const out = model.encode(input);
  const t2 = performance.now();
  if (args.eval) mx.evaluate(out.features, ...out.deepstack);
  const t3 = performance.now();
  dispose(out);
  if (r < 2) continue; // warm-up
  times.array.push(t1 - t0);
  times.build.push(t2 - t1);
  times.evaluated.push(t3 - t1);
}
using pixels = mx.array(processed.pixelValues.data, { dtype: "float32", shape: processed.pixelValues.shape });
const tower = model.vision as unknown as { blocks?: { forward: (...a: never[]) => mx.Array }[] };
if (!tower.blocks) throw new Error("this tower has no blocks to count");
const blocks = tower.blocks;
const whole = countAll(() => model.encode({ kind: "image", pixels, grids }));
dispose(whole.result);
const noBlocks = blocks.map((b) => b.forward);
let blockCalls = 0;
for (const b of blocks) {
  const f = b.forward;
  b.forward = (...a: never[]) => {
    const c = countAll(() => f.apply(b, a));
    blockCalls += c.calls;
    return c.result;
  };
}
const again = model.encode({ kind: "image", pixels, grids });
dispose(again);
blocks.forEach((b, i) => (b.forward = noBlocks[i]!));

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)]!.toFixed(2)} ms (min ${s[0]!.toFixed(2)})`;
};
const N = grids.reduce((s, [t, h, w]) => s + t * h * w, 0);
console.log(`encode host side: ${args.model}, image ${width}x${height} (grid ${grids[0]!.join("x")}, ${N} patches), ` +
  `${blocks.length} blocks, ${rounds} rounds`);
console.log(`  pixel array (mx.array of ${processed.pixelValues.data.length} float32): ${stat(times.array)}`);
console.log(`  graph building (encode, not evaluated):   ${stat(times.build)}`);
console.log(`  FFI calls per encode: ${whole.calls} (blocks ${blockCalls}, ${(blockCalls / blocks.length).toFixed(0)} a block; ` +
  `outside the blocks ${whole.calls - blockCalls})`);
if (args.eval) console.log(`  encode evaluated:                        ${stat(times.evaluated)}`);
