/** Remote media over http(s): every hop's host resolved and checked, redirects bounded, size and time capped. */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { isPrivateAddress } from "./address.ts";
import { MediaError } from "./errors.ts";
import type { MediaPolicy } from "./policy.ts";

type FetchPolicy = Pick<MediaPolicy, "allowPrivateUrls" | "maxBytes" | "fetchTimeoutMs" | "maxRedirects">;

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

async function resolveHost(hostname: string): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    throw new MediaError(`the media host '${host}' could not be resolved`);
  }
}

/** Refuses a URL whose host resolves, in any of its addresses, to a private range (unless allowed). */
export async function checkHost(url: URL, allowPrivate: boolean): Promise<void> {
  const addresses = await resolveHost(url.hostname);
  if (addresses.length === 0) throw new MediaError(`the media host '${url.hostname}' has no address`);
  if (allowPrivate) return;
  if (addresses.some(isPrivateAddress)) {
    throw new MediaError(`the media URL's host '${url.hostname}' is a private, loopback or link-local address, which this server refuses (--allow-private-media-urls)`);
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const tooBig = () => new MediaError(`the media file is larger than the ${maxBytes}-byte limit`);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooBig();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (!response.body) return new Uint8Array();
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function followRedirects(start: URL, policy: FetchPolicy, signal: AbortSignal): Promise<Response> {
  let url = start;
  for (let hop = 0; ; hop++) {
    await checkHost(url, policy.allowPrivateUrls);
    signal.throwIfAborted();
    const response = await fetch(url, { redirect: "manual", signal, headers: { accept: "image/*, video/*" } });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || location === null) return response;
    await response.body?.cancel();
    if (hop >= policy.maxRedirects) throw new MediaError(`the media URL redirected more than ${policy.maxRedirects} times`);
    url = parseHttpUrl(new URL(location, url).href);
  }
}

/**
 * The bytes at an http(s) URL. Throws {@link MediaError} for a bad scheme, a private host (checked for every
 * resolved address, again after each redirect), too many redirects, a non-2xx status, a body over the size
 * cap, or the time limit.
 *
 * @example
 *   const bytes = await fetchRemoteMedia("https://example.com/cat.png", DEFAULT_MEDIA_POLICY);
 */
export async function fetchRemoteMedia(text: string, policy: FetchPolicy): Promise<Uint8Array> {
  const url = parseHttpUrl(text);
  const signal = AbortSignal.timeout(policy.fetchTimeoutMs);
  const timedOut = () => new MediaError(`fetching the media URL took longer than ${policy.fetchTimeoutMs / 1000} s`);
  try {
    const response = await Promise.race([
      followRedirects(url, policy, signal),
      new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(timedOut()), { once: true })),
    ]);
    if (!response.ok) {
      await response.body?.cancel();
      throw new MediaError(`fetching the media URL failed with HTTP ${response.status}`);
    }
    return await readCapped(response, policy.maxBytes);
  } catch (e) {
    if (e instanceof MediaError) throw e;
    if (signal.aborted) throw timedOut();
    throw new MediaError(`fetching the media URL failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
