/** The limits every media fetch and decode runs under; the server's flags fill it. */

export interface MediaPolicy {
  /** Fetch URLs whose host resolves to a private, loopback or link-local address (`--allow-private-media-urls`). */
  allowPrivateUrls: boolean;
  /** Local paths are read only under this folder (`--allowed-local-media-path`); null refuses every local path. */
  allowedLocalPath: string | null;
  /** Largest media file, in bytes, fetched, decoded from base64 or read from disk. */
  maxBytes: number;
  /** Time limit for one remote fetch (connect, redirects and body), in milliseconds. */
  fetchTimeoutMs: number;
  /** Redirects followed before a fetch fails. */
  maxRedirects: number;
  /** Largest image (or video frame), in pixels, checked from the header before decoding. */
  maxImagePixels: number;
  /** The ffmpeg executable (`--ffmpeg`); unset looks it up on PATH. */
  ffmpegPath?: string;
  /** Time limit for one ffmpeg run, in milliseconds. */
  decodeTimeoutMs: number;
}

/** Safe defaults: no private URLs, no local files, 64 MiB, 10 s, 5 redirects, 64 megapixels. */
export const DEFAULT_MEDIA_POLICY: MediaPolicy = {
  allowPrivateUrls: false,
  allowedLocalPath: null,
  maxBytes: 64 * 1024 * 1024,
  fetchTimeoutMs: 10_000,
  maxRedirects: 5,
  maxImagePixels: 64_000_000,
  decodeTimeoutMs: 60_000,
};
