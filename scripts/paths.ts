/** Paths shared by the build scripts. */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export type Backend = "cpu" | "cuda" | "metal";
export const BACKENDS: readonly Backend[] = ["cpu", "cuda", "metal"];
export const REPO_ROOT = resolve(import.meta.dir, "..");
export const MLX_VERSION = readFileSync(join(REPO_ROOT, "scripts", "mlx-version.txt"), "utf8").trim();

/** The unpacked wheel for a backend: `.cache/mlx/<version>/<backend>`. */
export function mlxRoot(backend: Backend): string {
  return join(REPO_ROOT, ".cache", "mlx", MLX_VERSION, backend);
}

export function sharedLibName(name: string): string {
  return process.platform === "darwin" ? `lib${name}.dylib` : `lib${name}.so`;
}

export function isBackend(value: string): value is Backend {
  return (BACKENDS as readonly string[]).includes(value);
}

/** Reads `--backend X` from argv, else $VLLM_MLX_BACKEND, else the machine's default. */
export function parseBackendArg(argv: string[]): Backend {
  const i = argv.indexOf("--backend");
  const value = i >= 0 ? argv[i + 1] : process.env.VLLM_MLX_BACKEND;
  if (value !== undefined) {
    if (!isBackend(value)) throw new Error(`unknown backend '${value}' (expected ${BACKENDS.join(", ")})`);
    return value;
  }
  const out = Bun.spawnSync(["bash", join(REPO_ROOT, "scripts", "backend.sh")]).stdout.toString().trim();
  if (!isBackend(out)) throw new Error(`scripts/backend.sh printed '${out}'`);
  return out;
}
