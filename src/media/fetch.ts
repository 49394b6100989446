/**
 * Remote media over http(s): each hop's host resolved once, every address checked, the connection made to a
 * checked address (pinned-get.ts), redirects bounded and checked the same way, size and time capped, and the
 * whole fetch cancelled with its request.
 */
import { lookup } from "node:dns/promises";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { isPrivateAddress } from "./address.ts";
import { cancelledError, MediaError } from "./errors.ts";
import { pinnedGet } from "./pinned-get.ts";
import type { MediaPolicy } from "./policy.ts";

type FetchPolicy = Pick<MediaPolicy, "allowPrivateUrls" | "maxBytes" | "fetchTimeoutMs" | "maxRedirects">;

/** How host names become addresses and which addresses are refused. Tests replace them; the server uses {@link SYSTEM_NETWORK}. */
export interface MediaNetwork {
  /** Every address of `host` (a name, never an IP literal). */
  resolve(host: string): Promise<string[]>;
  isPrivate(ip: string): boolean;
  /** Extra trusted roots for https. */
  ca?: string;
}

/** The system resolver (getaddrinfo, every address) and {@link isPrivateAddress}. */
export const SYSTEM_NETWORK: MediaNetwork = {
  resolve: async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
  isPrivate: isPrivateAddress,
};

/** A remote fetch's request signal (the client went away) and network. */
export interface FetchOptions {
  signal?: AbortSignal;
  network?: MediaNetwork;
}

function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MediaError("the media URL is not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new MediaError(`media URLs must be http or https (got '${url.protocol}')`);
  if (url.username || url.password) throw new MediaError("media URLs must not carry credentials");
  return url;
}

/**
 * The addresses to connect to for `url`: its host resolved once, and refused when any address is private
 * (unless allowed). The caller connects only to these.
 */
export async function checkedAddresses(url: URL, allowPrivate: boolean, network: MediaNetwork = SYSTEM_NETWORK): Promise<string[]> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await network.resolve(host);
    } catch {
      throw new MediaError(`the media host '${host}' could not be resolved`);
    }
  }
  if (addresses.length === 0) throw new MediaError(`the media host '${host}' has no address`);
  if (!allowPrivate && addresses.some((a) => network.isPrivate(a))) {
    throw new MediaError(`the media URL's host '${host}' is a private, loopback or link-local address, which this server refuses (--allow-private-media-urls)`);
  }
  return addresses;
}

async function readCapped(response: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers["content-length"] ?? NaN);
  const tooBig = () => new MediaError(`the media file is larger than the ${maxBytes}-byte limit`);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    throw tooBig();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      response.destroy();
      throw tooBig();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function followRedirects(start: URL, policy: FetchPolicy, signal: AbortSignal, network: MediaNetwork): Promise<IncomingMessage> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const addresses = await checkedAddresses(url, policy.allowPrivateUrls, network);
    signal.throwIfAborted();
    const response = await pinnedGet({ url, addresses, signal, headers: { accept: "image/*, video/*" }, ...(network.ca ? { ca: network.ca } : {}) });
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status < 300 || status >= 400 || location === undefined) return response;
    response.destroy();
    if (hop >= policy.maxRedirects) throw new MediaError(`the media URL redirected more than ${policy.maxRedirects} times`);
    url = parseHttpUrl(new URL(location, url).href);
  }
}

/** Rejects when `signal` aborts, so a stalled resolve or connect cannot outlive it. */
function abortRace(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener("abort", onAbort) };
}

/**
 * The bytes at an http(s) URL. Throws {@link MediaError} for a bad scheme, a private host (every resolved
 * address, on every hop; the connection goes to a checked address), too many redirects, a non-2xx status, a
 * body over the size cap, the time limit, or `options.signal` aborting (the socket is closed at once).
 *
 * @example
 *   const bytes = await fetchRemoteMedia("https://example.com/cat.png", DEFAULT_MEDIA_POLICY, { signal });
 */
export async function fetchRemoteMedia(text: string, policy: FetchPolicy, options: FetchOptions = {}): Promise<Uint8Array> {
  const url = parseHttpUrl(text);
  const timeout = AbortSignal.timeout(policy.fetchTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const timedOut = () => new MediaError(`fetching the media URL took longer than ${policy.fetchTimeoutMs / 1000} s`);
  const race = abortRace(signal);
  try {
    const response = await Promise.race([followRedirects(url, policy, signal, options.network ?? SYSTEM_NETWORK), race.promise]);
    if ((response.statusCode ?? 0) < 200 || (response.statusCode ?? 0) >= 300) {
      response.destroy();
      throw new MediaError(`fetching the media URL failed with HTTP ${response.statusCode}`);
    }
    return await Promise.race([readCapped(response, policy.maxBytes), race.promise]);
  } catch (e) {
    if (options.signal?.aborted) throw cancelledError();
    if (e instanceof MediaError) throw e;
    if (timeout.aborted) throw timedOut();
    throw new MediaError(`fetching the media URL failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    race.dispose();
  }
}
