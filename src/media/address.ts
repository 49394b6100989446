/** Which IP addresses a server-side fetch must not reach: private, loopback, link-local and other special ranges. */
import { isIP } from "node:net";

function v4Octets(ip: string): number[] | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return octets.every((o) => o >= 0 && o <= 255) ? octets : null;
}

function isSpecialV4(octets: number[]): boolean {
  const [a = 0, b = 0, c = 0] = octets;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return true; // this-network, private, loopback, multicast, reserved
  if (a === 100 && b >= 64 && b <= 127) return true; // carrier-grade NAT
  if (a === 169 && b === 254) return true; // link-local (cloud metadata lives here)
  if (a === 172 && b >= 16 && b <= 31) return true;
  if (a === 192 && b === 168) return true;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return true; // IETF protocol assignments, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return true; // benchmarking
  if ((a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return true; // TEST-NET-2/3
  return false;
}

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail expanded), or null. */
function v6Groups(ip: string): number[] | null {
  let text = ip.toLowerCase().split("%")[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const o = v4Octets(tail[1]!);
    if (!o) return null;
    text = text.slice(0, -tail[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array<number>(Math.max(fill, 0)).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

function embeddedV4(g: number[]): number[] {
  return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff];
}

function isSpecialV6(g: number[]): boolean {
  if (g.every((x) => x === 0)) return true; // unspecified
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return true; // loopback
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return isSpecialV4(embeddedV4(g)); // v4-mapped/compatible
  if (g[0] === 0x64 && g[1] === 0xff9b) return isSpecialV4(embeddedV4(g)); // NAT64
  if (g[0] === 0x2002) return isSpecialV4([g[1]! >> 8, g[1]! & 0xff, g[2]! >> 8, g[2]! & 0xff]); // 6to4
  if ((g[0]! & 0xfe00) === 0xfc00) return true; // unique local
  if ((g[0]! & 0xffc0) === 0xfe80 || (g[0]! & 0xffc0) === 0xfec0) return true; // link-local, site-local
  if ((g[0]! & 0xff00) === 0xff00) return true; // multicast
  if (g[0] === 0x2001 && g[1] === 0xdb8) return true; // documentation
  return false;
}

/**
 * Whether a fetch to this address could reach the server's own machine or network: private, loopback,
 * link-local, multicast, reserved, or an IPv6 form that embeds such an IPv4 address. Unparseable input counts
 * as private.
 *
 * @example
 *   isPrivateAddress("169.254.169.254") // true
 *   isPrivateAddress("93.184.215.14") // false
 */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip.split("%")[0]!);
  if (family === 4) return isSpecialV4(v4Octets(ip)!);
  if (family === 6) {
    const groups = v6Groups(ip);
    return groups === null || isSpecialV6(groups);
  }
  return true;
}
