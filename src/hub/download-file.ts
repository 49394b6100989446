/** Resumable download of one blob through `{blob}.incomplete`, with size (and, for LFS files, sha256) verification. */
import { statSync } from "node:fs";
import { mkdir, open, rename, truncate, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { DownloadError } from "./errors.ts";
import { requestHeaders } from "./http.ts";
import type { FileProgress } from "./progress.ts";
import type { HubSettings } from "./settings.ts";

/** What to fetch and where to put it. */
export interface BlobRequest {
  repo: string;
  file: string;
  url: string;
  blob: string;
  size: number;
  /** The content's sha256 where the Hub gives it (LFS files): a blob that does not match is not kept. */
  sha256?: string;
  settings: HubSettings;
  progress?: FileProgress;
  /** Extra attempts after a dropped connection or a 5xx; each resumes from the bytes on disk. */
  retries: number;
  signal?: AbortSignal;
}

function sizeOf(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

/** An attempt failed in a way that a retry may fix. */
class TransientError extends Error {}

/**
 * Downloads `req.url` into `req.blob`. A partial `{blob}.incomplete` left by an earlier attempt is resumed
 * with `Range: bytes=N-`; a server that answers 200 instead of 206 restarts the file.
 *
 * @example
 *   await downloadBlob({ repo, file, url, blob, size, settings, retries: 3 });
 */
export async function downloadBlob(req: BlobRequest): Promise<void> {
  const partial = `${req.blob}.incomplete`;
  await mkdir(dirname(req.blob), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      await attemptDownload(req, partial);
      break;
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (attempt >= req.retries || req.signal?.aborted) {
        throw new DownloadError(req.repo, req.file, `${error.message} (partial file kept for resuming)`, {
          cause: error.cause,
        });
      }
    }
  }
  const written = sizeOf(partial);
  if (written !== req.size) {
    await unlink(partial);
    throw new DownloadError(req.repo, req.file, `size mismatch: expected ${req.size} bytes, got ${written}`);
  }
  if (req.sha256 !== undefined) {
    // Kept under its hash, a corrupt blob would be "already cached" for good: it is removed, and the next try starts over.
    const got = await sha256Of(partial);
    if (got !== req.sha256) {
      await unlink(partial);
      throw new DownloadError(req.repo, req.file, `checksum mismatch: expected sha256 ${req.sha256}, got ${got} (the partial file was removed)`);
    }
  }
  await rename(partial, req.blob);
}

/** The sha256 of a file, read in chunks. */
async function sha256Of(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

async function attemptDownload(req: BlobRequest, partial: string): Promise<void> {
  let have = sizeOf(partial);
  if (have > req.size) {
    await truncate(partial, 0);
    have = 0;
  }
  if (have === req.size && have > 0) return;
  const extra: Record<string, string> = { "Accept-Encoding": "identity" };
  if (have > 0) extra.Range = `bytes=${have}-`;
  let res: Response;
  try {
    res = await fetch(req.url, { headers: requestHeaders(req.url, req.settings, extra), signal: req.signal });
  } catch (cause) {
    throw new TransientError(`request failed: ${String(cause)}`, { cause });
  }
  if (res.status >= 500) throw new TransientError(`HTTP ${res.status} ${res.statusText}`);
  if (res.status === 416 && have > 0) {
    await truncate(partial, 0);
    throw new TransientError("the server refused the resume range");
  }
  if (res.status !== 200 && res.status !== 206) {
    throw new DownloadError(req.repo, req.file, `HTTP ${res.status} ${res.statusText} from ${req.url}`);
  }
  const append = res.status === 206 && have > 0;
  if (append && !(res.headers.get("content-range") ?? "").startsWith(`bytes ${have}-`)) {
    throw new DownloadError(req.repo, req.file, `unexpected Content-Range '${res.headers.get("content-range")}'`);
  }
  if (!append) req.progress?.reset(0);
  await writeBody(res, partial, append, req.progress);
  const written = sizeOf(partial);
  if (written < req.size) throw new TransientError(`connection closed after ${written} of ${req.size} bytes`);
}

async function writeBody(res: Response, partial: string, append: boolean, progress?: FileProgress): Promise<void> {
  const handle = await open(partial, append ? "a" : "w");
  try {
    const reader = res.body?.getReader();
    for (;;) {
      let chunk: { done: boolean; value?: Uint8Array } | undefined;
      try {
        chunk = await reader?.read();
      } catch (cause) {
        throw new TransientError(`connection dropped: ${String(cause)}`, { cause });
      }
      if (chunk === undefined || chunk.done || chunk.value === undefined) break;
      await handle.write(chunk.value);
      progress?.advance(chunk.value.byteLength);
    }
  } finally {
    await handle.close();
  }
}
