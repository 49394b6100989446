/**
 * Where models come from: local paths, the Hugging Face cache, and Hub downloads.
 *
 * @example
 *   import { resolveModel } from "./hub/index.ts";
 *   const { dir, format } = await resolveModel("mlx-community/Qwen3-0.6B-4bit");
 */
export { resolveModel, parseModelSpec, type ResolvedModel, type ResolveOptions, type ModelSpec } from "./resolve.ts";
export { downloadModel, type DownloadOptions, type SnapshotResult } from "./download.ts";
export { hubSettings, type HubOptions, type HubSettings, type Env, DEFAULT_ENDPOINT } from "./settings.ts";
export { selectFiles, matchesPattern, TEXT_MODEL_PATTERNS, type FileSelection } from "./patterns.ts";
export { inspectModelDir, type ModelFormat, type ModelDirCheck } from "./model-dir.ts";
export { modelDisplayName } from "./model-name.ts";
export { repoCacheDir, isCommitHash, type RepoType } from "./cache.ts";
export { type DownloadProgress, type ProgressCallback, formatBytes } from "./progress.ts";
export {
  HubError,
  RepoNotFoundError,
  RevisionNotFoundError,
  OfflineModeError,
  DownloadError,
  ModelPathError,
} from "./errors.ts";
