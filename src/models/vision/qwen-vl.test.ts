/**
 * Qwen-VL pieces without the oracle: M-RoPE prompt positions, Qwen2.5-VL's window order, Qwen3-VL's
 * position-embedding taps, and a random-weight fixture loaded and run end to end (features land at the
 * placeholders; a text-only prompt through the VLM path equals the plain decoder).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeQwenVlFixture } from "../../../scripts/fixtures/vlm-qwen.ts";
import { generate } from "../../engine/runner/generate.ts";
import { GREEDY } from "../../engine/sampling/params.ts";
import * as mx from "../../mlx/index.ts";
import { loadModelDir } from "../load.ts";
import { loadVlmDir } from "./load-vlm.ts";
import { windowIndex } from "./qwen2-5-vl.ts";
import { interpolationTaps } from "./qwen3-vl.ts";
import { ropeIndex, type RopeIndexConfig } from "./rope-index.ts";
import { disposePrepared, promptInputs, VlmModel } from "./vlm.ts";

const [VS, VE, IMG, VID] = [151652, 151653, 151655, 151656];
const CFG: RopeIndexConfig = { imageTokenId: IMG, videoTokenId: VID, visionStartTokenId: VS, mergeSize: 2, videoFramesSeparate: false };

describe("ropeIndex", () => {
  test("an image takes (t, h, w) grid positions after the text; text resumes past its largest", () => {
    const r = ropeIndex([1, VS, IMG, IMG, IMG, IMG, VE, 2], [[1, 4, 4]], [], CFG);
    expect(r.positions).toEqual([
      [0, 1, 2, 2, 2, 2, 4, 5],
      [0, 1, 2, 2, 3, 3, 4, 5],
      [0, 1, 2, 3, 2, 3, 4, 5],
    ]);
    expect(r.delta).toBe(-2);
  });

  test("a video's frames advance t; Qwen3-VL's separate frame blocks each start at t = 0", () => {
    const tokens = [VS, VID, VID, VID, VID, VE];
    const joint = ropeIndex(tokens, [], [[2, 2, 4]], CFG);
    expect(joint.positions[0]).toEqual([0, 1, 1, 2, 2, 3]);
    const sep = ropeIndex([VS, VID, VID, VE, VS, VID, VID, VE], [], [[2, 2, 4]], { ...CFG, videoFramesSeparate: true });
    expect(sep.positions[0]).toEqual([0, 1, 1, 3, 4, 5, 5, 7]);
    expect(sep.positions[2]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test("text only: positions 0..L-1 and no delta; too few placeholders is a RangeError", () => {
    expect(ropeIndex([5, 6, 7], [], [], CFG)).toEqual({ positions: [[0, 1, 2], [0, 1, 2], [0, 1, 2]], delta: 0 });
    expect(() => ropeIndex([VS, IMG, VE], [[1, 4, 4]], [], CFG)).toThrow(RangeError);
    expect(() => ropeIndex([1, 2], [[1, 4, 4]], [], CFG)).toThrow(RangeError);
  });
});

test("windowIndex: windows tile each frame row-major, partial at the edges, empty ones dropped", () => {
  // 6 x 8 patches -> 3 x 4 merged tokens, windows of 2 x 2 merged tokens.
  const { order, cu } = windowIndex([[1, 6, 8]], 2, 2);
  expect(order).toEqual([0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 10, 11]);
  expect(cu).toEqual([0, 16, 32, 40, 48]);
  const two = windowIndex([[2, 4, 4]], 2, 2);
  expect(two.order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(two.cu).toEqual([0, 16, 32]);
});

test("interpolationTaps: corners hit the table's corners with weight 1; weights sum to 1", () => {
  const { rows, weights } = interpolationTaps([[1, 2, 2]], 4, 2);
  // Tap-major [4, N]; patches in merge-block order: (0,0), (0,1), (1,0), (1,1) -> table corners 0, 3, 12, 15.
  expect(Array.from(rows.subarray(0, 4))).toEqual([0, 3, 12, 15]);
  expect(Array.from(weights.subarray(0, 4))).toEqual([1, 1, 1, 1]);
  const big = interpolationTaps([[1, 4, 6]], 8, 2);
  for (let p = 0; p < 24; p++) expect([0, 1, 2, 3].reduce((s, k) => s + big.weights[k * 24 + p]!, 0)).toBeCloseTo(1, 6);
});

test("interpolationTaps: float32 weights of mx.linspace's grid (side - 1) * (i / (n - 1)), bit for bit", () => {
  // A 98 x 74 grid on a 48 x 48 table with merge 1 (raster order); the expected values from MLX ops in float32.
  const [h, w, side] = [98, 74, 48];
  const axis = (n: number) => {
    using i = mx.arange(0, n, 1, "float32");
    using t = mx.divide(i, n - 1);
    using v = mx.multiply(t, side - 1);
    using lo = mx.floor(v);
    using frac = mx.subtract(v, lo);
    return { lo: lo.toList() as number[], frac: frac.toList() as number[] };
  };
  const [y, x] = [axis(h), axis(w)];
  const { rows, weights } = interpolationTaps([[1, h, w]], side, 1);
  const N = h * w;
  const f = Math.fround;
  let mismatches = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const p = r * w + c;
      const [dy, dx] = [y.frac[r]!, x.frac[c]!];
      const y1 = Math.min(y.lo[r]! + 1, side - 1);
      if (rows[p] !== y.lo[r]! * side + x.lo[c]! || rows[3 * N + p] !== y1 * side + Math.min(x.lo[c]! + 1, side - 1)) mismatches++;
      if (weights[p] !== f(f(1 - dy) * f(1 - dx)) || weights[N + p] !== f(f(1 - dy) * dx)) mismatches++;
      if (weights[2 * N + p] !== f(dy * f(1 - dx)) || weights[3 * N + p] !== f(dy * dx)) mismatches++;
    }
  }
  expect(mismatches).toBe(0);
  expect(weights[N + 1]).not.toBe(0); // column 1 of 74 falls between table columns
});

describe("a random-weight Qwen2.5-VL folder", () => {
  const dir = mkdtempSync(join(tmpdir(), "qwen25vl-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeQwenVlFixture("qwen2_5_vl", dir, { seed: 3 });

  test("features land at the placeholders; positions and delta come from the grid", async () => {
    const { model } = await loadVlmDir(dir);
    using key = mx.randomKey(4);
    using pixels = mx.normal([16, 3 * 2 * 14 * 14], "float32", key);
    const input = { kind: "image" as const, pixels, grids: [[1, 4, 4] as const] };
    const encoded = model.encode(input);
    expect(encoded.features.shape).toEqual([4, 64]);
    const tokens = [10, VS, IMG, IMG, IMG, IMG, VE, 11, 12];
    const p = model.prepare(tokens, [input], [encoded]);
    expect(p.inputEmbeds.shape).toEqual([1, 9, 64]);
    expect(p.ropeDelta).toBe(-2);
    using row = mx.slice(p.inputEmbeds, [0, 3, 0], [1, 4, 64]);
    using feat = mx.slice(encoded.features, [1, 0], [2, 64]);
    expect((row.toList() as number[]).map((v) => Math.fround(v))).toEqual(feat.toList() as number[]);
    expect(() => model.prepare([10, VS, IMG, VE], [input], [encoded])).toThrow(RangeError);
    disposePrepared(p);
    encoded.features.dispose();
  });

  test("loadModelDir detects the VLM from its config and hands back its text decoder", async () => {
    const loaded = await loadModelDir(dir);
    expect(loaded.vlm).toBeDefined();
    expect(loaded.model).toBe(loaded.vlm!.text);
    expect(loaded.factory.toolCallFormat).toBe("hermes");
    expect((loaded.vlm as VlmModel).vision.config.fullAttentionBlocks).toEqual([1, 3]);
  });

  test("a text-only prompt through the VLM path generates what the plain decoder does", async () => {
    const { model } = await loadVlmDir(dir);
    const tokens = [100, 2000, 30000, 7, 151644, 42];
    const opts = { maxTokens: 8, sampling: GREEDY, stopTokenIds: new Set<number>() };
    const plain = [...generate(model.text, tokens, opts)].map((t) => t.token);
    const p = model.prepare(tokens, [], []);
    const viaVlm = [...generate(model.text, tokens, { ...opts, inputs: promptInputs(p), prefillStepSize: 4 })].map((t) => t.token);
    disposePrepared(p);
    expect(viaVlm).toEqual(plain);
  });
});

describe("a bfloat16 Qwen3-VL folder", () => {
  const dir = mkdtempSync(join(tmpdir(), "qwen3vl-bf16-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeQwenVlFixture("qwen3_vl", dir, { seed: 5, dtype: "bfloat16" });

  test("float32 pixels run the tower in bfloat16 (as mlx-vlm casts them), equal to bfloat16 pixels", async () => {
    const { model } = await loadVlmDir(dir);
    using key = mx.randomKey(6);
    using pixels = mx.normal([16, 3 * 2 * 16 * 16], "float32", key);
    using half = mx.astype(pixels, "bfloat16");
    const grids = [[1, 4, 4] as const];
    const fromFloat = model.encode({ kind: "image", pixels, grids });
    const fromHalf = model.encode({ kind: "image", pixels: half, grids });
    expect(fromFloat.features.dtype).toBe("bfloat16");
    expect(fromFloat.features.toList()).toEqual(fromHalf.features.toList());
    for (const out of [fromFloat, fromHalf]) {
      out.features.dispose();
      for (const d of out.deepstack) d.dispose();
    }
  });
});
