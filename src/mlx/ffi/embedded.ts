/**
 * Native libraries carried inside the compiled binary. In the source tree nothing is embedded; the build
 * (scripts/build.ts) generates an entry module that imports the libraries `with { type: "file" }` and
 * calls `registerEmbedded()` before the CLI starts.
 *
 * At load time the libraries are copied, in the wheel's relative layout (libmlx finds its vendored BLAS
 * through an `$ORIGIN`-relative RPATH; Metal's mlx.metallib sits beside libmlx), into a private versioned
 * cache directory, so that dlopen resolves siblings: Bun's own extraction of an embedded library to
 * `$TMPDIR/.bun-*.so` would break them. The directory is written to a temporary name and renamed into
 * place, so concurrent first starts never see a half-written directory.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { basename, dirname, join } from "node:path";
import { NativeLibraryError } from "../errors.ts";

export interface EmbeddedFile {
  /** Path relative to the cache directory, e.g. `mlx/lib/libmlx.so`. */
  rel: string;
  /** Where the binary holds it (a `/$bunfs/...` path from a `with { type: "file" }` import). */
  source: string;
  size: number;
}

export interface EmbeddedManifest {
  /** `<package version>-<mlx version>-<backend>-<content hash>`: the cache directory's name. */
  key: string;
  files: EmbeddedFile[];
  /** `rel` of libvmlx. */
  library: string;
  /** The GPU kernels libvmlx carries, as the build found them (scripts/targets.ts: kernelsDescription). */
  kernels?: string;
}

const MARKER = ".complete";
let manifest: EmbeddedManifest | null = null;
let materialized: string | null = null;

/** Called by the build's generated entry module, before anything loads the library. */
export function registerEmbedded(m: EmbeddedManifest): void {
  manifest = m;
  materialized = null;
}

/** `$XDG_CACHE_HOME`, else `~/Library/Caches` on macOS, else `~/.cache`; then `vllm-mlx/native`. */
export function nativeCacheRoot(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const home = env.HOME || os.homedir();
  const base = env.XDG_CACHE_HOME || (platform === "darwin" ? join(home, "Library", "Caches") : join(home, ".cache"));
  return join(base, "vllm-mlx", "native");
}

/** True when `dir` holds the marker for `m` and every file at its recorded size. */
export function isComplete(dir: string, m: EmbeddedManifest): boolean {
  try {
    if (readFileSync(join(dir, MARKER), "utf8") !== m.key) return false;
    return m.files.every((f) => statSync(join(dir, f.rel)).size === f.size);
  } catch {
    return false;
  }
}

function writeTree(tmp: string, m: EmbeddedManifest): void {
  for (const f of m.files) {
    const dest = join(tmp, f.rel);
    mkdirSync(dirname(dest), { recursive: true });
    const bytes = readFileSync(f.source);
    if (bytes.byteLength !== f.size) {
      throw new NativeLibraryError(`embedded ${f.rel} has ${bytes.byteLength} bytes, expected ${f.size}`);
    }
    writeFileSync(dest, bytes, { mode: 0o755 });
  }
  writeFileSync(join(tmp, MARKER), m.key);
}

/**
 * Copies `m`'s files into `<root>/<key>/` unless a complete copy is there; returns that directory.
 *
 * @example
 *   materializeTo(nativeCacheRoot(), manifest); // "~/.cache/vllm-mlx/native/0.1.0-0.32.4-cpu-1a2b3c4d5e6f"
 */
export function materializeTo(root: string, m: EmbeddedManifest): string {
  const dir = join(root, m.key);
  if (isComplete(dir, m)) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    mkdirSync(tmp, { recursive: true });
    writeTree(tmp, m);
    if (existsSync(dir) && !isComplete(dir, m)) {
      const stale = `${dir}.stale-${process.pid}-${Date.now()}`;
      try {
        renameSync(dir, stale);
        rmSync(stale, { recursive: true, force: true });
      } catch {
        // another process replaced or removed it first
      }
    }
    try {
      renameSync(tmp, dir);
    } catch (e) {
      if (!isComplete(dir, m)) throw e; // else another process won the race with an identical copy
    }
  } catch (e) {
    throw new NativeLibraryError(`cannot unpack the embedded native libraries into ${dir}: ${(e as Error).message}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** What the build recorded about the GPU kernels, or null outside a compiled binary. */
export function embeddedKernels(): string | null {
  return manifest?.kernels ?? null;
}

/**
 * The unpacked path of the first embedded file under `dir` whose name matches `name` (e.g. `sharp` and `/\.node$/`
 * for sharp's addon), or null outside a compiled binary or when the build carried none.
 */
export function embeddedPath(dir: string, name = /./): string | null {
  const file = manifest?.files.find((f) => f.rel.startsWith(`${dir}/`) && name.test(basename(f.rel)));
  if (!manifest || !file) return null;
  return join(materializeTo(nativeCacheRoot(), manifest), file.rel);
}

/** Copies embedded libraries to the private cache and returns libvmlx's path, or null when none are embedded. */
export function materializeEmbedded(): string | null {
  if (!manifest) return null;
  materialized ??= join(materializeTo(nativeCacheRoot(), manifest), manifest.library);
  return materialized;
}
