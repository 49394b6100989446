/**
 * Native libraries carried inside the compiled binary. In the source tree nothing is embedded; the build
 * (scripts/build.ts) swaps this module for one that lists the embedded files.
 */

/** Copies embedded libraries to a private cache and returns libvmlx's path, or null when none are embedded. */
export function materializeEmbedded(): string | null {
  return null;
}
