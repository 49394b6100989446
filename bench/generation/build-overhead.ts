#!/usr/bin/env bun
/**
 * Host-side cost of building one decode step's graph (no evaluation), ours against mlx-lm's Python, on the
 * same checkpoint: the part of a decode step that async pipelining must hide on a GPU.
 *
 *   bun bench/generation/build-overhead.ts DIR [steps]
 */
import { join, resolve } from "node:path";
import * as mx from "../../src/mlx/index.ts";
import { GREEDY } from "../../src/engine/sampling/params.ts";
import { sample } from "../../src/engine/sampling/sampler.ts";
import { loadModelDir } from "../../src/models/load.ts";
import { countCalls } from "./ours.ts";
import { median } from "./report.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const dir = resolve(process.argv[2] ?? join(ROOT, ".cache", "bench-models", "qwen3-0.6b-4bit"));
const steps = Number(process.argv[3] ?? 50);
const PYTHON = process.env.PYTHON_MLX ?? join(ROOT, ".cache", "oracle-venv", "bin", "python");

export function oursBuildMs(model: Awaited<ReturnType<typeof loadModelDir>>["model"], n: number): number[] {
  const caches = model.makeCache();
  const row = { params: GREEDY, outputCounts: new Map<number, number>(), promptTokens: new Set<number>(), step: 0 };
  let y = mx.array([1], { dtype: "int32" });
  const times: number[] = [];
  for (let i = 0; i < n + 5; i++) {
    const t = performance.now();
    using input = mx.reshape(y, [1, 1]);
    using logits = model.forward(input, caches, { lastOnly: true });
    using flat = mx.reshape(logits, [1, logits.shape[2]!]);
    const next = sample(flat, [row]).tokens;
    times.push(performance.now() - t);
    y.dispose();
    y = next;
  }
  y.dispose();
  for (const c of caches) c.dispose();
  return times.slice(5);
}

if (import.meta.main) {
  const { model } = await loadModelDir(dir);
  const ours = oursBuildMs(model, steps);
  const { counts } = countCalls(() => oursBuildMs(model, 1));
  const ffiPerStep = [...counts.values()].reduce((a, b) => a + b, 0) / 6;
  const py = Bun.spawnSync([PYTHON, join(import.meta.dir, "build_overhead.py"), "--model", dir, "--steps", String(steps)], { stdout: "pipe", stderr: "inherit" });
  const theirs = JSON.parse(py.stdout.toString().trim().split("\n").at(-1)!);
  console.log(JSON.stringify({ model: dir, ours_ffi_calls_per_step: ffiPerStep, ours_median_ms: median(ours), ours_min_ms: Math.min(...ours), mlx_lm_median_ms: theirs.median_ms, mlx_lm_min_ms: theirs.min_ms }));
}
