/**
 * Where a thread's entry module is, for `new Worker(...)`: from source, the file beside the module that starts it;
 * inside a compiled binary, its repository path under Bun's virtual root (scripts/build.ts builds with `--root` = the
 * repository and lists every such file as an entrypoint).
 *
 * @example
 *   new Worker(threadEntry("./src/engine/worker/worker.ts", "./worker.ts", import.meta.url));
 */
export function threadEntry(compiledPath: string, sourcePath: string, moduleUrl: string): string {
  if (moduleUrl.includes("/$bunfs/") || moduleUrl.includes("~BUN")) return compiledPath;
  return new URL(sourcePath, moduleUrl).href;
}
