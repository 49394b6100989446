/**
 * The Hugging Face cache layout, shared with huggingface_hub and mlx-lm:
 * `models--{org}--{name}/refs/{revision}` holds a commit hash, `snapshots/{commit}/{file}` are relative
 * symlinks into `blobs/{etag}`.
 */
import { lstatSync, readFileSync, statSync } from "node:fs";
import { mkdir, rename, symlink, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** True for a full 40-hex-digit commit hash. */
export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/** The kind of Hub repository: models (the default everywhere) or datasets. */
export type RepoType = "model" | "dataset";

/**
 * The cache folder of a repository (`models--…` or `datasets--…`, as huggingface_hub names them).
 *
 * @example
 *   repoCacheDir("/c", "Qwen/Qwen3-0.6B"); // "/c/models--Qwen--Qwen3-0.6B"
 *   repoCacheDir("/c", "openai/gsm8k", "dataset"); // "/c/datasets--openai--gsm8k"
 */
export function repoCacheDir(cacheDir: string, repo: string, repoType: RepoType = "model"): string {
  return join(cacheDir, `${repoType}s--${repo.split("/").join("--")}`);
}

/** The commit a revision points to in the cache, or undefined when no ref was recorded. */
export function readRef(repoDir: string, revision: string): string | undefined {
  if (isCommitHash(revision)) return revision;
  try {
    const commit = readFileSync(join(repoDir, "refs", revision), "utf8").trim();
    return commit === "" ? undefined : commit;
  } catch {
    return undefined;
  }
}

/** Records `refs/{revision}` -> commit (nothing to record when the revision is the commit itself). */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const path = join(repoDir, "refs", revision);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, commit);
  await rename(tmp, path);
}

/** The snapshot folder of a commit. */
export function snapshotDir(repoDir: string, commit: string): string {
  return join(repoDir, "snapshots", commit);
}

/** The blob path of an etag. */
export function blobPath(repoDir: string, etag: string): string {
  return join(repoDir, "blobs", etag);
}

/** True when `path` exists and, through any symlinks, is a regular file. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Points `snapshots/{commit}/{file}` at its blob with a relative symlink, as huggingface_hub does. */
export async function linkSnapshotFile(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  if (lstatSync(pointer, { throwIfNoEntry: false }) !== undefined) await unlink(pointer);
  await symlink(relative(dirname(pointer), blob), pointer);
}
