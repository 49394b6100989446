/** `serve`'s listening address: checked before the model loads, and bind failures as one readable sentence. */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * Why `host` cannot be listened on, or null when it is an IP address or a name that resolves. A name that
 * does not resolve would otherwise surface as a misleading bind error.
 *
 * @example
 *   await hostProblem("999.1.1.1"); // "--host '999.1.1.1' is neither an IP address nor a host name that resolves"
 */
export async function hostProblem(host: string): Promise<string | null> {
  if (host === "" || /\s/.test(host)) return `--host '${host}' is not an address`;
  if (isIP(host) !== 0) return null;
  try {
    await lookup(host);
    return null;
  } catch {
    return `--host '${host}' is neither an IP address nor a host name that resolves`;
  }
}

/**
 * The sentence for a failed bind, from the error's `code` (EADDRINUSE, EADDRNOTAVAIL, EACCES, ENOTFOUND).
 *
 * @example
 *   listenErrorMessage(Object.assign(new Error("listen"), { code: "EADDRINUSE" }), "127.0.0.1", 8000);
 *   // "port 8000 on 127.0.0.1 is already in use (pass --port to pick another)"
 */
export function listenErrorMessage(error: unknown, host: string, port: number): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "EADDRINUSE":
      return `port ${port} on ${host} is already in use (pass --port to pick another)`;
    case "EADDRNOTAVAIL":
      return `--host '${host}' is not an address of this machine (pass --host 127.0.0.1, or 0.0.0.0 for every interface)`;
    case "EACCES":
      return `no permission to listen on port ${port} of ${host} (ports below 1024 need privileges; pass --port to pick another)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `--host '${host}' is neither an IP address nor a host name that resolves`;
    default:
      return `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
