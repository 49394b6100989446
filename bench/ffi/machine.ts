/** What the benchmark ran on: CPU model and cores, GPU, thread-count environment, commit. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

/** Environment variables that change how many threads BLAS/OpenMP use; both workers get the same values. */
export const THREAD_ENV = [
  "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS",
  "NVPL_BLAS_NUM_THREADS", "NVPL_BLAS_DEBUG_CPU_TYPE", "MLX_NUM_THREADS",
] as const;

export interface Machine {
  cpuModel: string;
  logicalCores: number;
  physicalCores: number | null;
  gpu: string | null;
  os: string;
  threadEnv: Record<string, string | null>;
}

function cpuInfo(): { model: string; physical: number | null } {
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return { model: os.cpus()[0]?.model ?? "unknown", physical: null };
  }
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  const cores = new Set<string>();
  for (const block of text.split(/\n\n+/)) {
    const phys = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (phys !== undefined && core !== undefined) cores.add(`${phys}:${core}`);
  }
  return { model, physical: cores.size > 0 ? cores.size : null };
}

function gpuName(): string | null {
  const r = spawnSync("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"], { encoding: "utf8" });
  if (r.status !== 0 || !r.stdout) return null;
  return r.stdout.trim().split("\n").join(", ");
}

export function describeMachine(): Machine {
  const cpu = cpuInfo();
  const threadEnv: Record<string, string | null> = {};
  for (const k of THREAD_ENV) threadEnv[k] = process.env[k] ?? null;
  return {
    cpuModel: cpu.model,
    logicalCores: os.availableParallelism(),
    physicalCores: cpu.physical,
    gpu: gpuName(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    threadEnv,
  };
}

/** The checked-out commit (short hash, "+dirty" when the tree has changes), or null outside git. */
export function gitCommit(cwd: string): string | null {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" });
  if (head.status !== 0) return null;
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd, encoding: "utf8" });
  return head.stdout.trim() + (dirty.stdout.trim() ? "+dirty" : "");
}

/** `python --version`-style line of an interpreter, or null when it cannot run. */
export function pythonVersion(python: string): string | null {
  const r = spawnSync(python, ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}
