/**
 * sharp, loaded on first use. In the source tree it is the npm package. In a compiled binary the build
 * (scripts/build.ts) keeps sharp's addon packages (`@img/sharp-<platform>`) external and embeds the target's
 * addon and libvips under `sharp/`, in their node_modules layout, among the native files that are unpacked into
 * the private cache folder. There the addon finds libvips through its own relative RPATH (`$ORIGIN/../../
 * sharp-libvips-<platform>/lib` on Linux, `@loader_path/...` on macOS). sharp's loader requires
 * `@img/sharp-<platform>/sharp.node`; that one request is resolved to the unpacked addon, in every thread
 * that loads sharp (a Worker has its own module registry, so each thread calls this). Only the main thread has
 * the build's manifest: it hands {@link sharpAddonPath} to a Worker, which passes it to {@link useSharpAddon}.
 */
import Module from "node:module";
import type sharpType from "sharp";
import { embeddedPath } from "../mlx/ffi/embedded.ts";

type Sharp = typeof sharpType;

/** Where the build puts sharp's addon and libvips among the embedded native files. */
export const EMBEDDED_SHARP_DIR = "sharp";

/** The request sharp's loader makes for its platform's addon. */
const ADDON_REQUEST = /^@img\/sharp-[a-z0-9]+-[a-z0-9]+\/sharp\.node$/;

type Resolve = (request: string, ...rest: unknown[]) => string;

let sharp: Sharp | null = null;
let givenAddon: string | null = null;

/** The unpacked addon in a compiled binary (from the manifest, or as a Worker was told), else null. */
export function sharpAddonPath(): string | null {
  return givenAddon ?? embeddedPath(EMBEDDED_SHARP_DIR, /\.node$/);
}

/** In a Worker of a compiled binary: the addon path the main thread's {@link sharpAddonPath} gave. */
export function useSharpAddon(path: string): void {
  givenAddon = path;
}

/** Resolves sharp's addon request to `addon`; every other request as before. */
export function redirectSharpAddon(addon: string): void {
  const mod = Module as unknown as { _resolveFilename: Resolve };
  const previous = mod._resolveFilename;
  mod._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return ADDON_REQUEST.test(request) ? addon : previous.call(this, request, ...rest);
  };
}

/**
 * @example
 *   const { data, info } = await loadSharp()(bytes).raw().toBuffer({ resolveWithObject: true });
 */
export function loadSharp(): Sharp {
  if (sharp) return sharp;
  const addon = sharpAddonPath();
  if (addon) redirectSharpAddon(addon);
  // The CommonJS entry, whose loader makes the addon request redirected above.
  sharp = require("sharp") as Sharp;
  return sharp;
}
