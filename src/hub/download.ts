/** Snapshot download of a Hub repository into the shared Hugging Face cache. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { blobPath, isFile, linkSnapshotFile, readRef, type RepoType, repoCacheDir, snapshotDir, writeRef } from "./cache.ts";
import { downloadBlob } from "./download-file.ts";
import { DownloadError, OfflineModeError } from "./errors.ts";
import { fileMetadata, listRepoFiles } from "./http.ts";
import { type FileSelection, selectFiles } from "./patterns.ts";
import { FileProgress, type ProgressCallback, progressSink } from "./progress.ts";
import { type HubOptions, type HubSettings, hubSettings } from "./settings.ts";

/** Options of a repository download. */
export interface DownloadOptions extends HubOptions, FileSelection {
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** A model repository (the default) or a dataset repository. */
  repoType?: RepoType;
  /** No progress bar on stderr. */
  quiet?: boolean;
  /** Called as bytes arrive. */
  onProgress?: ProgressCallback;
  /** Extra attempts per file after a dropped connection, each resuming (default 3). */
  retries?: number;
  signal?: AbortSignal;
}

/** A downloaded (or already cached) snapshot. */
export interface SnapshotResult {
  repo: string;
  revision: string;
  commit: string;
  /** `snapshots/{commit}` inside the cache. */
  dir: string;
  /** Files of the selection, repository-relative. */
  files: string[];
  /** The subset that was fetched by this call. */
  downloaded: string[];
}

interface FileJob {
  repo: string;
  file: string;
  commit: string;
  repoDir: string;
  settings: HubSettings;
  opts: DownloadOptions;
}

async function fetchFile(job: FileJob): Promise<boolean> {
  const pointer = join(snapshotDir(job.repoDir, job.commit), job.file);
  if (isFile(pointer)) return false;
  const { settings, opts } = job;
  const meta = await fileMetadata(job.repo, job.file, job.commit, settings, opts.signal, opts.repoType);
  if (meta.commit !== job.commit) {
    throw new DownloadError(job.repo, job.file, `the Hub served commit ${meta.commit}, expected ${job.commit}`);
  }
  const blob = blobPath(job.repoDir, meta.etag);
  if (!isFile(blob)) {
    const initial = Math.min(Bun.file(`${blob}.incomplete`).size, meta.size);
    const progress = new FileProgress(job.file, meta.size, initial, opts.onProgress, progressSink(opts.quiet));
    await downloadBlob({
      repo: job.repo,
      file: job.file,
      url: meta.downloadUrl,
      blob,
      size: meta.size,
      ...(meta.sha256 ? { sha256: meta.sha256 } : {}),
      settings,
      progress,
      retries: opts.retries ?? 3,
      signal: opts.signal,
    });
    progress.finish();
  }
  await linkSnapshotFile(blob, pointer);
  return true;
}

function fromCacheOffline(
  repo: string,
  revision: string,
  repoDir: string,
  settings: HubSettings,
  opts: FileSelection & { repoType?: RepoType },
): SnapshotResult {
  const commit = readRef(repoDir, revision);
  const dir = commit === undefined ? undefined : snapshotDir(repoDir, commit);
  const present = dir === undefined ? [] : snapshotFiles(dir);
  const files = selectFiles(present, opts);
  if (commit === undefined || dir === undefined || files.length === 0) {
    const detail = commit === undefined ? `no refs/${revision} or snapshot` : "no matching files in the snapshot";
    throw new OfflineModeError(repo, revision, settings.cacheDir, detail, opts.repoType);
  }
  return { repo, revision, commit, dir, files, downloaded: [] };
}

function snapshotFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => isFile(join(dir, f)));
  } catch {
    return [];
  }
}

/**
 * Downloads the files a text model needs (or those `allowPatterns` names) into the Hugging Face cache,
 * skipping files already in the snapshot and resuming partial ones. Always asks the Hub for the current
 * commit of the revision; offline, answers from the cache or throws OfflineModeError.
 *
 * @example
 *   const snap = await downloadModel("Qwen/Qwen3-0.6B", { revision: "main" });
 *   console.log(snap.dir); // ~/.cache/huggingface/hub/models--Qwen--Qwen3-0.6B/snapshots/<commit>
 */
export async function downloadModel(repo: string, opts: DownloadOptions = {}): Promise<SnapshotResult> {
  const settings = hubSettings(opts);
  const revision = opts.revision ?? "main";
  const repoDir = repoCacheDir(settings.cacheDir, repo, opts.repoType);
  if (settings.offline) return fromCacheOffline(repo, revision, repoDir, settings, opts);
  const listing = await listRepoFiles(repo, revision, settings, opts.signal, opts.repoType);
  const files = selectFiles(listing.files, opts);
  if (files.length === 0) {
    throw new DownloadError(repo, "(selection)", "no file of the repository matches the requested patterns");
  }
  const downloaded: string[] = [];
  for (const file of files) {
    if (await fetchFile({ repo, file, commit: listing.sha, repoDir, settings, opts })) downloaded.push(file);
  }
  await writeRef(repoDir, revision, listing.sha);
  return { repo, revision, commit: listing.sha, dir: snapshotDir(repoDir, listing.sha), files, downloaded };
}
