/**
 * Finds and loads libvmlx. This is the only module that calls `dlopen`; everything above it sees the
 * typed `symbols` table, and nothing above the array API sees a pointer.
 *
 * Lookup order:
 *   1. `$VLLM_MLX_LIB_DIR`: a folder holding libvmlx and libmlx;
 *   2. libraries embedded in the compiled binary, copied to a private versioned cache (see ./embedded.ts);
 *   3. the development layout `.cache/mlx/<version>/<backend>/mlx/lib` made by `bun run native`.
 */
import { dlopen, suffix } from "bun:ffi";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { NativeLibraryError } from "../errors.ts";
import { materializeEmbedded } from "./embedded.ts";
import { SYMBOLS } from "./symbols.ts";

export type Backend = "cpu" | "cuda" | "metal";
const LIB_NAME = `libvmlx.${suffix}`;

function devRoots(): string[] {
  const cacheRoot = resolve(import.meta.dir, "..", "..", "..", ".cache", "mlx");
  if (!existsSync(cacheRoot)) return [];
  const wanted = process.env.VLLM_MLX_BACKEND;
  // Without an explicit choice, a CUDA build is only preferred where an NVIDIA driver is present.
  const hasNvidia = existsSync("/dev/nvidiactl") || existsSync("/proc/driver/nvidia/version");
  const preferred: string[] = wanted ? [wanted] : process.platform === "darwin" ? ["metal"] : hasNvidia ? ["cuda", "cpu"] : ["cpu"];
  const dirs: string[] = [];
  for (const version of readdirSync(cacheRoot).sort().reverse()) {
    for (const backend of preferred) dirs.push(join(cacheRoot, version, backend, "mlx", "lib"));
  }
  return dirs;
}

/** Where libvmlx will be loaded from, or an error that says what is missing. */
export function locateLibrary(): string {
  const tried: string[] = [];
  const envDir = process.env.VLLM_MLX_LIB_DIR;
  if (envDir) {
    const p = join(envDir, LIB_NAME);
    if (existsSync(p)) return p;
    throw new NativeLibraryError(`VLLM_MLX_LIB_DIR=${envDir} has no ${LIB_NAME}`);
  }
  const embedded = materializeEmbedded();
  if (embedded) return embedded;
  for (const dir of devRoots()) {
    const p = join(dir, LIB_NAME);
    if (existsSync(p)) return p;
    tried.push(dir);
  }
  throw new NativeLibraryError(
    `${LIB_NAME} not found (looked in ${tried.length ? tried.join(", ") : "no MLX cache"}). ` +
      "Run `bash scripts/setup.sh` to fetch MLX and build the native library.",
  );
}

/**
 * A hint for a dlopen failure that Gatekeeper causes on macOS: a binary downloaded by a browser carries the
 * com.apple.quarantine attribute, and macOS then refuses the code it loads as "not verified" or as coming from a
 * different Team ID. Empty elsewhere.
 *
 * @example
 *   quarantineHint("code signature ... not valid for use in process", "darwin"); // " (if this binary came from ..."
 */
export function quarantineHint(message: string, platform: NodeJS.Platform = process.platform): string {
  if (platform !== "darwin" || !/quarantine|not valid for use in process|code signature|not verified|Team ID/i.test(message)) {
    return "";
  }
  return ` (if this binary came from a browser download, clear Gatekeeper's quarantine: xattr -d com.apple.quarantine ${process.execPath})`;
}

function open(path: string) {
  try {
    return dlopen(path, SYMBOLS);
  } catch (e) {
    const message = (e as Error).message;
    throw new NativeLibraryError(`cannot load ${path}: ${message}${quarantineHint(message)}`);
  }
}

type Library = ReturnType<typeof open>;
let loaded: { lib: Library; path: string } | undefined;

/** The loaded library; loads it on first use. */
export function native(): Library["symbols"] {
  if (!loaded) {
    const path = locateLibrary();
    loaded = { lib: open(path), path };
  }
  return loaded.lib.symbols;
}

/** The path libvmlx was loaded from (loads it if needed). */
export function libraryPath(): string {
  native();
  return loaded!.path;
}
