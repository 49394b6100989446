/**
 * Loads the MLX array API on demand, so that a missing or broken native library becomes a clear message
 * instead of a stack trace at start-up.
 */
import { NativeLibraryError } from "../mlx/errors.ts";

export type Mlx = typeof import("../mlx/index.ts");

export type MlxLoad = { ok: true; mx: Mlx } | { ok: false; reason: string };

/**
 * Imports src/mlx (which dlopens libvmlx) and reports why it failed, if it did.
 *
 * @example
 *   const loaded = await loadMlx();
 *   if (!loaded.ok) consola.error(loaded.reason);
 */
export async function loadMlx(): Promise<MlxLoad> {
  try {
    return { ok: true, mx: await import("../mlx/index.ts") };
  } catch (e) {
    if (e instanceof NativeLibraryError) return { ok: false, reason: e.message };
    return { ok: false, reason: `cannot load the MLX library: ${(e as Error).message ?? String(e)}` };
  }
}
