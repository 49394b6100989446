/**
 * The binaries `bun run build --target <target>` makes. `linux-x64` is built on Linux x86_64 against the host's
 * wheel; `darwin-arm64` anywhere: natively on a Mac (`bun scripts/native.ts --backend metal` first), or cross-built
 * on Linux with zig (scripts/darwin/native.ts, which fetches its toolchain on first use).
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type Backend, REPO_ROOT } from "./paths.ts";

export const TARGETS = ["linux-x64", "darwin-arm64"] as const;
export type Target = (typeof TARGETS)[number];

export interface TargetPlan {
  target: Target;
  /** `bun build --target`. */
  bunTarget: string;
  backend: Backend;
  /** libvmlx's file name on the target. */
  libName: string;
  /** The output, `dist/vllm-mlx-<target>`. */
  outfile: string;
  /** Files of the wheel's mlx/lib that the binary does not carry. */
  exclude: string[];
}

export function isTarget(value: string): value is Target {
  return (TARGETS as readonly string[]).includes(value);
}

/** Reads `--target X` from argv; undefined when absent (the host build, `dist/vllm-mlx`). */
export function parseTargetArg(argv: string[]): Target | undefined {
  const i = argv.indexOf("--target");
  if (i < 0) return undefined;
  const value = argv[i + 1] ?? "";
  if (!isTarget(value)) throw new Error(`unknown target '${value}' (expected ${TARGETS.join(", ")})`);
  return value;
}

/**
 * What a target build needs. darwin-arm64 is always the Metal backend; linux-x64 takes the given backend.
 *
 * @example
 *   targetPlan("darwin-arm64", "cpu").libName; // "libvmlx.dylib"
 */
export function targetPlan(target: Target, backend: Backend): TargetPlan {
  const outfile = join(REPO_ROOT, "dist", `vllm-mlx-${target}`);
  if (target === "darwin-arm64") {
    // libjaccl (MLX's Thunderbolt distributed backend for the Python package) is neither linked nor named by
    // libmlx.dylib, so nothing in the binary could load it.
    return { target, bunTarget: "bun-darwin-arm64", backend: "metal", libName: "libvmlx.dylib", outfile,
      exclude: ["libjaccl.dylib"] };
  }
  if (backend === "metal") throw new Error("linux-x64 has no Metal backend (use --backend cpu or cuda)");
  return { target, bunTarget: "bun-linux-x64", backend, libName: "libvmlx.so", outfile, exclude: [] };
}

/** The GPU kernel sources the backend embeds in libvmlx at build time (ffi/CMakeLists.txt). */
export function kernelSources(backend: Backend): string[] {
  const dir = backend === "metal" ? join(REPO_ROOT, "metal") : backend === "cuda" ? join(REPO_ROOT, "ffi", "kernels") : null;
  if (!dir) return [];
  const ext = backend === "metal" ? ".metal" : ".cu";
  return readdirSync(dir).filter((n) => n.endsWith(ext)).sort().map((n) => join(dir, n));
}

/**
 * The line `--version` prints about the GPU kernels the binary carries. It is read from the built library: each
 * kernel source must sit in libvmlx verbatim, else the build fails.
 *
 * @example
 *   kernelsDescription("metal", lib); // "metal source (paged_attention.metal, reshape_and_cache.metal; sha256 1a2b3c4d5e6f), compiled by MLX at first use"
 */
export function kernelsDescription(backend: Backend, libPath: string): string {
  const sources = kernelSources(backend);
  if (sources.length === 0) return "none (CPU backend: paged attention and KV writes run as MLX ops)";
  const lib = readFileSync(libPath);
  const hash = createHash("sha256");
  for (const path of sources) {
    const text = readFileSync(path);
    if (lib.indexOf(text) < 0) throw new Error(`${libPath} does not carry ${path} verbatim: rebuild the native library`);
    hash.update(text);
  }
  const names = sources.map((p) => basename(p)).join(", ");
  const compiler = backend === "metal" ? "MLX (Metal)" : "MLX (NVRTC)";
  return `${backend} source (${names}; sha256 ${hash.digest("hex").slice(0, 12)}), compiled by ${compiler} at first use`;
}
