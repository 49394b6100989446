/** Typed errors of the model hub layer: finding, resolving and downloading models. */

/** Base class of every hub error, so callers can catch the whole family at once. */
export class HubError extends Error {
  override readonly name: string = "HubError";
}

const GATED_HINT =
  "If the repository is private or gated, set HF_TOKEN to a token that has access " +
  "(and accept the model's license on its Hugging Face page).";

/**
 * The Hub answered 401, 403 or 404 for a repository: it does not exist, or it is private or gated.
 *
 * @example
 *   try { await downloadModel("org/missing") } catch (e) { if (e instanceof RepoNotFoundError) console.error(e.hint) }
 */
export class RepoNotFoundError extends HubError {
  override readonly name: string = "RepoNotFoundError";
  /** What the user can do about it. */
  readonly hint: string;
  constructor(
    readonly repo: string,
    readonly status: number,
    tokenSent: boolean,
  ) {
    const hint = tokenSent
      ? `The token given (HF_TOKEN) was sent; it may lack access to this repository. ${GATED_HINT}`
      : GATED_HINT;
    super(`Repository '${repo}' not found or not accessible (HTTP ${status}). ${hint}`);
    this.hint = hint;
  }
}

/**
 * The repository exists but the revision (branch, tag or commit) does not.
 *
 * @example
 *   await downloadModel("org/name", { revision: "no-such-branch" }); // throws RevisionNotFoundError
 */
export class RevisionNotFoundError extends HubError {
  override readonly name = "RevisionNotFoundError";
  constructor(
    readonly repo: string,
    readonly revision: string,
  ) {
    super(`Revision '${revision}' not found in repository '${repo}'.`);
  }
}

/**
 * Offline mode (HF_HUB_OFFLINE=1 or `offline: true`) is on and the model is not (fully) in the local cache.
 *
 * @example
 *   await resolveModel("org/name", { offline: true }); // throws OfflineModeError when not cached
 */
export class OfflineModeError extends HubError {
  override readonly name = "OfflineModeError";
  constructor(
    readonly repo: string,
    readonly revision: string,
    readonly cacheDir: string,
    detail: string,
    repoType: "model" | "dataset" = "model",
  ) {
    // `vllm-mlx download` fetches models only; a dataset is cached by the command that reads it, run online once.
    const hint = repoType === "dataset" ? "Run once without HF_HUB_OFFLINE to download it" : `Download it first (vllm-mlx download ${repo}) or unset HF_HUB_OFFLINE`;
    super(`Offline mode (HF_HUB_OFFLINE) is on and '${repo}@${revision}' is not available in the cache ${cacheDir}: ${detail}. ${hint}.`);
  }
}

/**
 * A file could not be downloaded (network failure, bad status, size mismatch).
 *
 * @example
 *   try { await downloadModel("org/name") } catch (e) { if (e instanceof DownloadError) console.error(e.file) }
 */
export class DownloadError extends HubError {
  override readonly name = "DownloadError";
  constructor(
    readonly repo: string,
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Downloading '${file}' from '${repo}' failed: ${reason}`, options);
  }
}

/**
 * A model spec names neither a usable local path nor a Hugging Face repo id.
 *
 * @example
 *   await resolveModel("./empty-dir"); // throws ModelPathError: no config.json or .gguf file
 */
export class ModelPathError extends HubError {
  override readonly name = "ModelPathError";
  constructor(
    readonly spec: string,
    reason: string,
  ) {
    super(`cannot use model '${spec}': ${reason}`);
  }
}
