/** Turns a model spec (local directory, .gguf file, or `org/name[@revision]`) into files on disk. */
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { readRef, repoCacheDir, snapshotDir } from "./cache.ts";
import { type DownloadOptions, downloadModel } from "./download.ts";
import { ModelPathError, OfflineModeError } from "./errors.ts";
import { inspectModelDir, type ModelFormat } from "./model-dir.ts";
import { hubSettings } from "./settings.ts";

/** A model found on disk, ready to load. */
export interface ResolvedModel {
  /** Directory holding config.json, tokenizer files and weights (or the .gguf file). */
  dir: string;
  format: ModelFormat;
  /** The GGUF file, when `format` is "gguf". */
  ggufFile?: string;
  /** Where it came from: a user path, the Hugging Face cache, or files this call downloaded. */
  source: "local" | "cache" | "download";
  /** Hub coordinates, for repo ids. */
  repo?: string;
  revision?: string;
  commit?: string;
}

/** A parsed model spec. */
export type ModelSpec = { kind: "path"; path: string } | { kind: "repo"; repo: string; revision: string };

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? homedir() + path.slice(1) : path;
}

function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

/**
 * Reads a spec: an existing path wins; else `org/name` or `org/name@revision` is a Hub repo id.
 *
 * @example
 *   parseModelSpec("Qwen/Qwen3-0.6B@main"); // { kind: "repo", repo: "Qwen/Qwen3-0.6B", revision: "main" }
 */
export function parseModelSpec(spec: string, cwd = process.cwd()): ModelSpec {
  const expanded = expandHome(spec.trim());
  const looksLikePath = isAbsolute(expanded) || /^\.{1,2}(\/|$)/.test(expanded) || expanded !== spec.trim();
  const local = resolvePath(cwd, expanded);
  if (looksLikePath || exists(local) || expanded.endsWith(".gguf")) return { kind: "path", path: local };
  const at = expanded.lastIndexOf("@");
  const repo = at > 0 ? expanded.slice(0, at) : expanded;
  const revision = at > 0 ? expanded.slice(at + 1) : "main";
  if (!REPO_ID.test(repo) || revision === "") {
    throw new ModelPathError(spec, `${local} does not exist, and it is not a Hugging Face repo id like 'org/name[@revision]'`);
  }
  return { kind: "repo", repo, revision };
}

function resolveLocal(spec: string, path: string): ResolvedModel {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) throw new ModelPathError(spec, `${path} does not exist`);
  if (stat.isFile()) {
    if (!path.endsWith(".gguf")) {
      throw new ModelPathError(spec, "a model file must be a .gguf file (for safetensors, pass the folder holding config.json)");
    }
    return { dir: resolvePath(path, ".."), format: "gguf", ggufFile: path, source: "local" };
  }
  const check = inspectModelDir(path);
  if (!check.ok) throw new ModelPathError(spec, check.reason);
  return { dir: path, format: check.format, ggufFile: check.ggufFile, source: "local" };
}

/** Options of {@link resolveModel}; `revision` overrides one given with `@` in the spec. */
export type ResolveOptions = DownloadOptions & { cwd?: string };

/**
 * Finds a model: a local directory (config.json or a .gguf inside), a .gguf file, or a Hub repo id that is
 * looked up in the Hugging Face cache (mlx-lm's and huggingface_hub's downloads are reused in place) and
 * downloaded when missing or incomplete. A complete cached snapshot is used without any network request.
 *
 * @example
 *   const model = await resolveModel("mlx-community/Qwen3-0.6B-4bit");
 *   model.dir; // ".../models--mlx-community--Qwen3-0.6B-4bit/snapshots/<commit>"
 */
export async function resolveModel(spec: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const parsed = parseModelSpec(spec, opts.cwd);
  if (parsed.kind === "path") return resolveLocal(spec, parsed.path);
  const repo = parsed.repo;
  const revision = opts.revision ?? parsed.revision;
  const settings = hubSettings(opts);
  const repoDir = repoCacheDir(settings.cacheDir, repo);
  const cachedCommit = readRef(repoDir, revision);
  let reason = `no refs/${revision} or snapshot`;
  if (cachedCommit !== undefined) {
    const dir = snapshotDir(repoDir, cachedCommit);
    const check = inspectModelDir(dir);
    if (check.ok) {
      return { dir, format: check.format, ggufFile: check.ggufFile, source: "cache", repo, revision, commit: cachedCommit };
    }
    reason = `snapshot ${cachedCommit} is incomplete (${check.reason})`;
  }
  if (settings.offline) throw new OfflineModeError(repo, revision, settings.cacheDir, reason);
  const snap = await downloadModel(repo, { ...opts, revision });
  const check = inspectModelDir(snap.dir);
  if (!check.ok) throw new ModelPathError(spec, `downloaded snapshot is not loadable: ${check.reason}`);
  return { dir: snap.dir, format: check.format, ggufFile: check.ggufFile, source: snap.downloaded.length > 0 ? "download" : "cache", repo, revision, commit: snap.commit };
}
