/** Requests to the Hub API: repository listing and per-file metadata (commit, etag, size, download URL). */
import { DownloadError, HubError, RepoNotFoundError, RevisionNotFoundError } from "./errors.ts";
import type { RepoType } from "./cache.ts";
import type { HubSettings } from "./settings.ts";

const USER_AGENT = "vllm-mlx/0.1";
const MAX_RELATIVE_REDIRECTS = 10;

/** Headers for a request to `url`; the token goes only to the endpoint's own host, never to a CDN. */
export function requestHeaders(url: string, settings: HubSettings, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { "User-Agent": USER_AGENT, ...extra };
  if (settings.token !== undefined && new URL(url).host === new URL(settings.endpoint).host) {
    headers.Authorization = `Bearer ${settings.token}`;
  }
  return headers;
}

function quotePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/**
 * The URL of a file at a revision (dataset repositories live under `/datasets/`).
 *
 * @example
 *   resolveUrl("https://huggingface.co", "org/name", "main", "config.json");
 *   // "https://huggingface.co/org/name/resolve/main/config.json"
 */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string,
  repoType: RepoType = "model"): string {
  const prefix = repoType === "dataset" ? "/datasets" : "";
  return `${endpoint}${prefix}/${repo}/resolve/${encodeURIComponent(revision)}/${quotePath(file)}`;
}

/** Turns a failed Hub response into a typed error (401/403/404 into RepoNotFoundError or finer). */
function statusError(res: Response, repo: string, revision: string, file: string, settings: HubSettings): HubError {
  const code = res.headers.get("x-error-code");
  if (code === "RevisionNotFound") return new RevisionNotFoundError(repo, revision);
  if (code === "EntryNotFound") return new DownloadError(repo, file, `file not found at revision '${revision}'`);
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    return new RepoNotFoundError(repo, res.status, settings.token !== undefined);
  }
  return new DownloadError(repo, file, `HTTP ${res.status} ${res.statusText}`);
}

async function send(url: string, init: RequestInit, repo: string, file: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (cause) {
    throw new DownloadError(repo, file, `request to ${url} failed: ${String(cause)}`, { cause });
  }
}

/** A repository's file list at a revision. */
export interface RepoListing {
  /** The commit the revision resolved to. */
  sha: string;
  /** Repository-relative paths of every file. */
  files: string[];
}

/**
 * Lists a repository's files: `GET {endpoint}/api/models/{repo}/revision/{revision}` (`api/datasets` for a
 * dataset).
 *
 * @example
 *   const { sha, files } = await listRepoFiles("org/name", "main", hubSettings());
 */
export async function listRepoFiles(
  repo: string,
  revision: string,
  settings: HubSettings,
  signal?: AbortSignal,
  repoType: RepoType = "model",
): Promise<RepoListing> {
  const url = `${settings.endpoint}/api/${repoType}s/${repo}/revision/${encodeURIComponent(revision)}`;
  const what = "(repository file list)";
  const res = await send(url, { headers: requestHeaders(url, settings), signal }, repo, what);
  if (!res.ok) throw statusError(res, repo, revision, what, settings);
  const body = (await res.json().catch(() => undefined)) as
    | { sha?: unknown; siblings?: Array<{ rfilename?: unknown }> }
    | undefined;
  if (typeof body?.sha !== "string" || !Array.isArray(body.siblings)) {
    throw new DownloadError(repo, what, "the Hub answered without 'sha' and 'siblings'");
  }
  const files = body.siblings.map((s) => s.rfilename).filter((f): f is string => typeof f === "string");
  return { sha: body.sha, files };
}

/** What a HEAD on a file's resolve URL tells, read the way huggingface_hub reads it. */
export interface FileMetadata {
  /** `X-Repo-Commit`. */
  commit: string;
  /** `X-Linked-Etag` (LFS files: the content's sha256) else `ETag`, without quotes or `W/`. */
  etag: string;
  /** An LFS file's sha256 (from `X-Linked-Etag`), which the downloaded bytes must match. */
  sha256?: string;
  /** `X-Linked-Size` else `Content-Length`. */
  size: number;
  /** Where to GET the bytes: an absolute redirect target (the CDN), else the resolve URL. */
  downloadUrl: string;
}

/** Strips a weak marker and quotes from an ETag so it can name a blob file. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/**
 * HEADs a file's resolve URL, following only relative redirects (a renamed repo), so that the headers of the
 * Hub's own answer (not the CDN's) give the commit, etag and size.
 *
 * @example
 *   const meta = await fileMetadata("org/name", "config.json", "main", hubSettings());
 */
export async function fileMetadata(
  repo: string,
  file: string,
  revision: string,
  settings: HubSettings,
  signal?: AbortSignal,
  repoType: RepoType = "model",
): Promise<FileMetadata> {
  let url = resolveUrl(settings.endpoint, repo, revision, file, repoType);
  for (let hop = 0; hop <= MAX_RELATIVE_REDIRECTS; hop++) {
    const headers = requestHeaders(url, settings, { "Accept-Encoding": "identity" });
    const res = await send(url, { method: "HEAD", headers, redirect: "manual", signal }, repo, file);
    const location = res.headers.get("location");
    const isRedirect = res.status >= 300 && res.status < 400 && location !== null;
    if (isRedirect && !/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
      url = new URL(location, url).toString();
      continue;
    }
    if (!res.ok && !isRedirect) throw statusError(res, repo, revision, file, settings);
    return readMetadata(res, repo, file, isRedirect ? location! : url);
  }
  throw new DownloadError(repo, file, "too many redirects");
}

function readMetadata(res: Response, repo: string, file: string, downloadUrl: string): FileMetadata {
  const commit = res.headers.get("x-repo-commit");
  const etag = res.headers.get("x-linked-etag") ?? res.headers.get("etag");
  const size = Number(res.headers.get("x-linked-size") ?? res.headers.get("content-length") ?? NaN);
  if (commit === null) throw new DownloadError(repo, file, "the Hub sent no X-Repo-Commit header");
  if (etag === null) throw new DownloadError(repo, file, "the Hub sent no ETag header");
  if (!Number.isSafeInteger(size) || size < 0) throw new DownloadError(repo, file, "the Hub sent no file size");
  // An LFS file's X-Linked-Etag is its content's sha256 (its LFS object id): the download is checked against it.
  const linked = res.headers.get("x-linked-etag");
  const sha256 = linked === null ? null : normalizeEtag(linked).toLowerCase();
  return { commit, etag: normalizeEtag(etag), size, downloadUrl, ...(sha256 && /^[0-9a-f]{64}$/.test(sha256) ? { sha256 } : {}) };
}
