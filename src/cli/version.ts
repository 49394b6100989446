/** `vllm-mlx --version`: the package, MLX and backend versions. */
import pkg from "../../package.json" with { type: "json" };
import { embeddedKernels } from "../mlx/ffi/embedded.ts";
import { loadMlx } from "./load-mlx.ts";

export const PACKAGE_VERSION: string = pkg.version;

export type VersionReport = { ok: true; lines: string[] } | { ok: false; lines: string[]; reason: string };

/**
 * The lines `--version` prints: `vllm-mlx <version>`, `MLX <version>`, `backend <cpu|cuda|metal>`, and in a
 * compiled binary `kernels <what libvmlx carries>` (Metal: the kernel sources, which MLX compiles at first use).
 *
 * @example
 *   (await versionReport()).lines; // ["vllm-mlx 0.1.0", "MLX 0.32.4", "backend cpu", "kernels none (CPU backend: ...)"]
 */
export async function versionReport(): Promise<VersionReport> {
  const first = `vllm-mlx ${PACKAGE_VERSION}`;
  const loaded = await loadMlx();
  if (!loaded.ok) return { ok: false, lines: [first], reason: loaded.reason };
  const info = loaded.mx.info();
  const kernels = embeddedKernels();
  const lines = [first, `MLX ${info.mlxVersion}`, `backend ${info.backend}`];
  return { ok: true, lines: kernels ? [...lines, `kernels ${kernels}`] : lines };
}
