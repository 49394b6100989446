/** Local media files: read only under the allowed folder, after resolving every symlink. */
import { realpath, stat } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { MediaError } from "./errors.ts";
import type { MediaPolicy } from "./policy.ts";

/** The real path of `ref` (a path or `file://` URL), if it lies under the allowed folder once symlinks are resolved. */
export async function resolveLocalMedia(ref: string, policy: Pick<MediaPolicy, "allowedLocalPath">): Promise<string> {
  if (policy.allowedLocalPath === null) {
    throw new MediaError("local media paths are refused; start the server with --allowed-local-media-path DIR to allow a folder");
  }
  let path: string;
  try {
    path = ref.startsWith("file:") ? fileURLToPath(ref) : ref;
  } catch {
    throw new MediaError("the media file URL is not valid");
  }
  if (!isAbsolute(path)) throw new MediaError("local media paths must be absolute");
  const root = await realpath(policy.allowedLocalPath).catch(() => null);
  if (root === null) throw new MediaError("the allowed local media folder does not exist");
  const real = await realpath(path).catch(() => null);
  if (real === null) throw new MediaError("the local media file does not exist");
  const rel = relative(root, real);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
    throw new MediaError("the local media path is outside the folder allowed by --allowed-local-media-path");
  }
  return real;
}

/** The bytes of an allowed local file, refused when over the size cap. */
export async function readLocalMedia(ref: string, policy: Pick<MediaPolicy, "allowedLocalPath" | "maxBytes">): Promise<Uint8Array> {
  const real = await resolveLocalMedia(ref, policy);
  const info = await stat(real);
  if (!info.isFile()) throw new MediaError("the local media path is not a file");
  if (info.size > policy.maxBytes) throw new MediaError(`the media file is larger than the ${policy.maxBytes}-byte limit`);
  return new Uint8Array(await Bun.file(real).arrayBuffer());
}
