/**
 * sharp, loaded on first use. In the source tree it is the npm package. In a compiled binary, sharp's addon
 * (`@img/sharp-<platform>/sharp.node`, which Bun embeds and extracts to a temporary file) needs libvips, which
 * it finds through an `$ORIGIN`-relative RPATH that a temporary file breaks: the build embeds libvips beside the
 * native libraries (scripts/build.ts), and it is loaded here first, so the addon's dependency on it resolves by
 * soname. The CommonJS entry is required on purpose: its static `require` of the addon is what Bun embeds.
 */
import { dlopen } from "bun:ffi";
import type sharpType from "sharp";
import { embeddedPath } from "../mlx/ffi/embedded.ts";

type Sharp = typeof sharpType;

/** Where the build puts libvips among the embedded native files. */
export const EMBEDDED_LIBVIPS_DIR = "sharp";

let sharp: Sharp | null = null;

/**
 * @example
 *   const { data, info } = await loadSharp()(bytes).raw().toBuffer({ resolveWithObject: true });
 */
export function loadSharp(): Sharp {
  if (sharp) return sharp;
  const libvips = embeddedPath(EMBEDDED_LIBVIPS_DIR);
  // Loaded for the process: every thread's sharp addon then finds it. The symbol only satisfies dlopen's API.
  if (libvips) dlopen(libvips, { vips_version: { args: ["int"], returns: "int" } });
  sharp = require("sharp") as Sharp;
  return sharp;
}
