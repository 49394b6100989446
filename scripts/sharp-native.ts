/**
 * sharp's native pair for a build target: the addon package `@img/sharp-<platform>` and libvips,
 * `@img/sharp-libvips-<platform>`, at the versions bun.lock pins for package.json's sharp. For the host they are
 * node_modules' copies; for another platform (the darwin-arm64 cross build) the two npm tarballs are fetched from
 * the registry into `.cache/sharp-npm/<platform>/`, checked against bun.lock's sha512 integrity and unpacked in
 * node_modules' `@img/<name>/` layout.
 *
 * Either way the pair keeps that layout under `root`: the addon finds libvips through its relative RPATH
 * (`$ORIGIN/../../sharp-libvips-<platform>/lib`, `@loader_path/...` on macOS), so the build embeds both under
 * `sharp/` with their paths relative to `root`, and src/media/sharp.ts loads the unpacked addon.
 *
 * @example
 *   const pair = sharpNative("darwin-arm64"); // { root: ".cache/sharp-npm/darwin-arm64", addon: "@img/...", ... }
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.ts";

export interface SharpNative {
  /** The folder holding `@img/sharp-<platform>/` and `@img/sharp-libvips-<platform>/`. */
  root: string;
  /** The addon, relative to root: `@img/sharp-<platform>/lib/sharp-<platform>-<version>.node`. */
  addon: string;
  /** libvips, relative to root: `@img/sharp-libvips-<platform>/lib/libvips-cpp.<...>.(so.N|dylib)`. */
  libvips: string;
}

interface LockEntry {
  version: string;
  integrity: string;
}

/** A package's pinned version and integrity from bun.lock's `packages` section. */
export function lockEntry(lock: string, name: string): LockEntry {
  const quoted = name.replace(/[/.]/g, (c) => `\\${c}`);
  const m = new RegExp(`^\\s*"${quoted}": \\["${quoted}@([^"]+)",.*"(sha512-[^"]+)"\\],?$`, "m").exec(lock);
  if (!m) throw new Error(`sharp-native: bun.lock has no entry for ${name}`);
  return { version: m[1]!, integrity: m[2]! };
}

function only(dir: string, pattern: RegExp, what: string): string {
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => pattern.test(f)) : [];
  if (found.length !== 1) throw new Error(`sharp-native: expected one ${what} in ${dir}, found [${found.join(", ")}]`);
  return found[0]!;
}

/** The pair already unpacked under `root` (node_modules, or the cache folder {@link sharpNative} fills). */
export function sharpNativeAt(root: string, platform: string): SharpNative {
  const addonDir = join("@img", `sharp-${platform}`, "lib");
  const vipsDir = join("@img", `sharp-libvips-${platform}`, "lib");
  return {
    root,
    addon: join(addonDir, only(join(root, addonDir), /\.node$/, "addon")),
    libvips: join(vipsDir, only(join(root, vipsDir), /^libvips-cpp\.(so\.\d|\d.*\.dylib$)/, "libvips")),
  };
}

async function fetchPackage(name: string, entry: LockEntry, dest: string): Promise<void> {
  const registry = (process.env.NPM_CONFIG_REGISTRY || "https://registry.npmjs.org").replace(/\/$/, "");
  const url = `${registry}/${name}/-/${name.split("/")[1]}-${entry.version}.tgz`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`sharp-native: GET ${url}: ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const digest = `sha512-${new Bun.CryptoHasher("sha512").update(bytes).digest("base64")}`;
  if (digest !== entry.integrity) throw new Error(`sharp-native: ${url} is ${digest}, bun.lock pins ${entry.integrity}`);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const tgz = `${dest}.tgz`;
  writeFileSync(tgz, bytes);
  const tar = Bun.spawnSync(["tar", "xzf", tgz, "-C", dest, "--strip-components=1"], { stderr: "pipe" });
  rmSync(tgz, { force: true });
  if (tar.exitCode !== 0) throw new Error(`sharp-native: unpacking ${url}: ${tar.stderr.toString()}`);
}

/** Where {@link sharpNative} unpacks another platform's pair. */
export function sharpCacheDir(platform: string): string {
  return join(REPO_ROOT, ".cache", "sharp-npm", platform);
}

/**
 * The pair for `platform` (`linux-x64`, `darwin-arm64`, ...): node_modules' for the host, else fetched once into
 * .cache/sharp-npm/<platform> (a `.complete` marker names the two pinned versions).
 */
export async function sharpNative(platform: string): Promise<SharpNative> {
  if (platform === `${process.platform}-${process.arch}`) return sharpNativeAt(join(REPO_ROOT, "node_modules"), platform);
  const lock = readFileSync(join(REPO_ROOT, "bun.lock"), "utf8");
  const names = [`@img/sharp-${platform}`, `@img/sharp-libvips-${platform}`];
  const entries = names.map((n) => lockEntry(lock, n));
  const root = sharpCacheDir(platform);
  const marker = join(root, ".complete");
  const want = names.map((n, i) => `${n}@${entries[i]!.version} ${entries[i]!.integrity}`).join("\n");
  if (!existsSync(marker) || readFileSync(marker, "utf8") !== want) {
    for (const [i, name] of names.entries()) await fetchPackage(name, entries[i]!, join(root, name));
    writeFileSync(marker, want);
    console.log(`sharp-native: fetched ${names.map((n, i) => `${n}@${entries[i]!.version}`).join(", ")} into ${root}`);
  }
  return sharpNativeAt(root, platform);
}
