/**
 * One HTTP GET whose connection goes only to addresses that were resolved and checked beforehand. The host
 * name is not looked up again (node:http's `lookup` hook answers with the checked addresses), so a DNS answer
 * that changes between the check and the connect cannot redirect it. The URL keeps its host name: it is the
 * `Host` header, and for https the SNI name and the name the certificate is verified against.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";

/** A GET to `url`, connecting to one of `addresses` (already checked), aborted by `signal`. */
export interface PinnedGet {
  url: URL;
  addresses: readonly string[];
  signal: AbortSignal;
  headers?: Record<string, string>;
  /** Extra trusted roots for https (tests with a self-signed certificate); unset trusts the system's. */
  ca?: string;
}

/** A `lookup` that answers every query with `addresses` and never asks DNS. */
export function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const entries = addresses.map((address) => ({ address, family: isIP(address) }));
  const first = entries[0];
  if (!first || entries.some((e) => e.family === 0)) throw new Error(`pinnedLookup needs IP addresses, got ${addresses.join(", ")}`);
  const lookup = (_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, entries);
    else callback(null, first.address, first.family);
  };
  return lookup as unknown as LookupFunction;
}

/**
 * Sends the GET and resolves with the response head; its body is the returned stream. Aborting `signal`
 * destroys the request, the response and their socket, at any point.
 *
 * @example
 *   const response = await pinnedGet({ url: new URL("https://example.com/a.png"), addresses: ["93.184.215.14"], signal });
 *   for await (const chunk of response) consume(chunk);
 */
export function pinnedGet(get: PinnedGet): Promise<IncomingMessage> {
  const { url, signal } = get;
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const client = url.protocol === "https:" ? https : http;
    const request = client.request(url, {
      method: "GET",
      headers: get.headers ?? {},
      lookup: pinnedLookup(get.addresses),
      agent: false,
      ...(get.ca === undefined ? {} : { ca: get.ca }),
    });
    const onAbort = () => {
      const reason = signal.reason instanceof Error ? signal.reason : new Error("aborted");
      request.destroy(reason);
      reject(reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    request.on("response", (response) => {
      response.on("close", () => signal.removeEventListener("abort", onAbort));
      resolve(response);
    });
    request.on("error", (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
    request.end();
  });
}
