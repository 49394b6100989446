/** Local media files: read only under the allowed folder, after resolving every symlink. */
import { realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, sep } from "node:path";
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
  const outside = () => new MediaError("the local media path is outside the folder allowed by --allowed-local-media-path");
  const real = await realpath(path).catch(() => null);
  if (real === null) {
    // "Does not exist" only where the path leads into the folder: said of any path, it would tell clients which
    // files exist elsewhere on the machine.
    const ancestor = await nearestRealAncestor(path);
    if (ancestor === null || !isInside(root, ancestor)) throw outside();
    throw new MediaError("the local media file does not exist");
  }
  if (!isInside(root, real)) throw outside();
  return real;
}

/** Whether the real path `real` is `root` or under it (a name such as `..cat.png` is under it). */
function isInside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return !isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`);
}

/** The real path of the nearest ancestor of `path` that resolves (`..` segments are left to the file system). */
async function nearestRealAncestor(path: string): Promise<string | null> {
  for (let parent = dirname(path); ; parent = dirname(parent)) {
    const real = await realpath(parent).catch(() => null);
    if (real !== null) return real;
    if (dirname(parent) === parent) return null;
  }
}

/** The bytes of an allowed local file, refused when over the size cap. */
export async function readLocalMedia(ref: string, policy: Pick<MediaPolicy, "allowedLocalPath" | "maxBytes">): Promise<Uint8Array> {
  const real = await resolveLocalMedia(ref, policy);
  const info = await stat(real);
  if (!info.isFile()) throw new MediaError("the local media path is not a file");
  if (info.size > policy.maxBytes) throw new MediaError(`the media file is larger than the ${policy.maxBytes}-byte limit`);
  return new Uint8Array(await Bun.file(real).arrayBuffer());
}
