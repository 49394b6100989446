/**
 * `vllm-mlx doctor`: loads the native library, checks a computation with a known result, and prints the
 * device, MLX's memory figures and the hardware. Exits 1 with the reason when anything fails.
 */
import { checkQuantizedMatmul } from "./doctor-quant.ts";
import { defineCommand } from "citty";
import { consola } from "consola";
import { availableMemoryBytes, describeHardware, detectHardware, formatBytes } from "../hardware/index.ts";
import { DEFAULT_ENGINE_CORE_CONFIG } from "../engine/engine-core/core-types.ts";
import { defaultMlxCacheLimit, freeMemoryForKv } from "../engine/paged/free-memory.ts";
import { DEFAULT_RESPONSES_STORE_BYTES } from "../server/responses-store.ts";
import { loadMlx, type Mlx } from "./load-mlx.ts";
import { failWith } from "./logging.ts";

export interface CheckResult {
  ok: boolean;
  line: string;
}

const MATMUL_A = [[1, 2], [3, 4]];
const MATMUL_B = [[5, 6], [7, 8]];
const MATMUL_EXPECTED = [19, 22, 43, 50];

/** `[[1,2],[3,4]] @ [[5,6],[7,8]]` must be exactly `[[19,22],[43,50]]` in float32. */
export function checkMatmul(mx: Mlx): CheckResult {
  using a = mx.array(MATMUL_A, { dtype: "float32" });
  using b = mx.array(MATMUL_B, { dtype: "float32" });
  using c = mx.matmul(a, b);
  const got = c.toList();
  const ok = got.length === MATMUL_EXPECTED.length && got.every((v, i) => v === MATMUL_EXPECTED[i]);
  const shown = `[[${got.slice(0, 2).join(", ")}], [${got.slice(2).join(", ")}]]`;
  return { ok, line: `matmul check: ${ok ? "ok" : "FAILED"} (2x2 float32 = ${shown}, expected [[19, 22], [43, 50]])` };
}

function row(label: string, value: string): string {
  return `  ${`${label}:`.padEnd(18)} ${value}`;
}

function deviceRows(mx: Mlx): string[] {
  const info = mx.info();
  const device = mx.gpuAvailable() ? "gpu" : "cpu";
  const dev = mx.deviceInfo(device);
  const name = String(dev.device_name ?? "unnamed");
  const rows = [row("mlx", `${info.mlxVersion} (backend ${info.backend})`), row("library", info.libraryPath),
    row("device", `${device}: ${name}${dev.architecture ? ` (${dev.architecture})` : ""}`)];
  for (const key of ["memory_size", "total_memory", "max_recommended_working_set_size", "max_buffer_length"]) {
    const v = dev[key];
    if (typeof v === "number") rows.push(row(key.replaceAll("_", " "), formatBytes(v)));
  }
  return rows;
}

/** The wired limit serve sets (src/mlx/wired.ts, as mlx-lm): the recommended working set where Metal reports one. */
function wiredRow(mx: Mlx): string {
  const recommended = mx.gpuAvailable() ? mx.deviceInfo("gpu").max_recommended_working_set_size : undefined;
  return row("wired limit", typeof recommended === "number"
    ? `${formatBytes(recommended)} at serve (the recommended working set, as mlx-lm; macOS 15+)`
    : "not set (no recommended working set on this device)");
}

function memoryRows(mx: Mlx): string[] {
  return [
    wiredRow(mx),
    row("active memory", formatBytes(mx.getActiveMemory())),
    row("peak memory", formatBytes(mx.getPeakMemory())),
    row("cache memory", formatBytes(mx.getCacheMemory())),
    row("memory limit", formatBytes(mx.getMemoryLimit())),
    row("cache limit", formatBytes(mx.getCacheLimit())),
  ];
}

/** What `serve` would budget here with its defaults (the KV cache's share of the free memory, MLX's cache). */
function budgetRows(mx: Mlx): string[] {
  const available = availableMemoryBytes();
  const share = DEFAULT_ENGINE_CORE_CONFIG.gpuMemoryUtilization;
  return [
    row("available memory", available === null ? "unknown" : formatBytes(available)),
    row("KV budget at most", `${formatBytes(share * freeMemoryForKv(mx))} (--gpu-memory-utilization ${share} of free memory; grows from 64 MiB)`),
    row("serve cache limit", formatBytes(defaultMlxCacheLimit(mx))),
    row("responses store", `${formatBytes(DEFAULT_RESPONSES_STORE_BYTES)} (--responses-store-bytes)`),
  ];
}

/** Runs every check and prints the report; returns whether all passed. */
export function runDoctor(mx: Mlx, print: (line: string) => void = console.log): boolean {
  const matmul = checkMatmul(mx);
  const quantized = checkQuantizedMatmul(mx);
  print("device");
  for (const line of deviceRows(mx)) print(line);
  print("checks");
  print(`  ${matmul.line}`);
  print(`  ${quantized.line}`);
  print("memory");
  for (const line of memoryRows(mx)) print(line);
  print("serve budgets");
  for (const line of budgetRows(mx)) print(line);
  print("hardware");
  for (const [label, value] of describeHardware(detectHardware())) print(row(label, value));
  return matmul.ok && quantized.ok;
}

export const doctorCommand = defineCommand({
  meta: { name: "doctor", description: "Check the native library, the device and the hardware" },
  async run() {
    const loaded = await loadMlx();
    if (!loaded.ok) return failWith(`doctor: the MLX library is not usable: ${loaded.reason}`);
    let ok: boolean;
    try {
      ok = runDoctor(loaded.mx);
    } catch (e) {
      return failWith(`doctor: ${(e as Error).message}`);
    }
    if (!ok) return failWith("doctor: a check failed (see above)");
    consola.debug("all checks passed");
    console.log("doctor: ok");
  },
});
