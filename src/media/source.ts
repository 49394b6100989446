/** One media reference (data URL, http(s) URL or local path) to checked bytes of a supported type. */
import { MediaError, throwIfCancelled } from "./errors.ts";
import { type FetchOptions, fetchRemoteMedia } from "./fetch.ts";
import { readLocalMedia } from "./local.ts";
import type { MediaPolicy } from "./policy.ts";
import { isSupportedMime, type MediaKind, sniffMime } from "./sniff.ts";

/** Bytes of one media item and the type sniffed from them. */
export interface MediaBytes {
  bytes: Uint8Array;
  mime: string;
}

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)?((?:;[a-z0-9-]+=[^;,]*)*);base64,/i;

/** Decodes a `data:<mime>;base64,` URL; the declared type must be of `kind` (the bytes are sniffed later). */
export function decodeDataUrl(url: string, kind: MediaKind, maxBytes: number): Uint8Array {
  const match = DATA_URL.exec(url);
  if (!match) throw new MediaError(`a data URL must have the form data:${kind}/<type>;base64,<data>`);
  const declared = (match[1] ?? "").toLowerCase();
  const a = kind === "image" ? "an" : "a";
  if (!declared.startsWith(`${kind}/`)) throw new MediaError(`a data URL for ${a} ${kind} must declare ${a} ${kind}/ type (got '${declared || "none"}')`);
  const payload = url.slice(match[0].length).replace(/\s+/g, "");
  if (payload.length * 0.75 > maxBytes + 3) throw new MediaError(`the media file is larger than the ${maxBytes}-byte limit`);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload)) throw new MediaError("the data URL's base64 payload is not valid base64");
  return new Uint8Array(Buffer.from(payload, "base64"));
}

async function rawBytes(ref: string, kind: MediaKind, policy: MediaPolicy, options: FetchOptions): Promise<Uint8Array> {
  if (/^data:/i.test(ref)) return decodeDataUrl(ref, kind, policy.maxBytes);
  if (/^https?:\/\//i.test(ref)) return fetchRemoteMedia(ref, policy, options);
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) && !/^file:/i.test(ref)) {
    throw new MediaError(`unsupported media URL scheme '${ref.slice(0, ref.indexOf(":"))}'; use http(s), data: or a local path`);
  }
  if (!/^file:/i.test(ref) && !ref.startsWith("/")) {
    const shown = ref.length > 40 ? `${ref.slice(0, 40)}…` : ref;
    throw new MediaError(`'${shown}' is not an http(s) URL, a data: URL or an absolute local path`);
  }
  return readLocalMedia(ref, policy);
}

/**
 * Loads a media reference and checks what its bytes are: empty files and types this server does not decode as
 * `kind` are a {@link MediaError}. `options.signal` cancels a remote fetch (see {@link fetchRemoteMedia}).
 *
 * @example
 *   const { bytes, mime } = await loadMediaBytes("data:image/png;base64,iVBOR...", "image", DEFAULT_MEDIA_POLICY);
 */
export async function loadMediaBytes(ref: string, kind: MediaKind, policy: MediaPolicy, options: FetchOptions = {}): Promise<MediaBytes> {
  const bytes = await rawBytes(ref, kind, policy, options);
  throwIfCancelled(options.signal);
  if (bytes.length === 0) throw new MediaError(`the ${kind} file is empty`);
  const mime = sniffMime(bytes);
  if (mime === null) throw new MediaError(`the ${kind} data is not a recognised ${kind} format`);
  if (!isSupportedMime(mime, kind)) throw new MediaError(`unsupported media type ${mime} for ${kind === "image" ? "an" : "a"} ${kind} part`);
  return { bytes, mime };
}
