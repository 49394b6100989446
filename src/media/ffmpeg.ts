/** Finding and running the ffmpeg executable, bounded in time and output. */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { MediaError } from "./errors.ts";

const INSTALL_HINT =
  "ffmpeg is needed for video input and was not found; install it (Debian/Ubuntu: apt-get install ffmpeg, macOS: brew install ffmpeg) or pass --ffmpeg PATH";

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The ffmpeg executable: `explicit` when given (it must exist), else the first `ffmpeg` on PATH. Throws a
 * {@link MediaError} that says how to install it.
 *
 * @example
 *   findFfmpeg() // "/usr/bin/ffmpeg"
 */
export function findFfmpeg(explicit?: string, pathEnv: string = process.env.PATH ?? ""): string {
  if (explicit !== undefined) {
    if (isExecutable(explicit)) return explicit;
    throw new MediaError(`--ffmpeg ${explicit} is not an executable file; ${INSTALL_HINT}`);
  }
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "ffmpeg");
    if (isExecutable(candidate)) return candidate;
  }
  throw new MediaError(INSTALL_HINT);
}

export interface FfmpegRun {
  stdout: Uint8Array;
  stderr: string;
  exitCode: number;
}

/** Runs ffmpeg with `args`, killing it after `timeoutMs` or when `onStdout` throws. */
export async function runFfmpeg(ffmpeg: string, args: string[], timeoutMs: number, onStdout?: (chunk: Uint8Array) => void): Promise<FfmpegRun> {
  const child = Bun.spawn([ffmpeg, "-hide_banner", "-nostdin", ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const chunks: Uint8Array[] = [];
    const reading = (async () => {
      for await (const chunk of child.stdout) {
        if (onStdout) onStdout(chunk);
        else chunks.push(chunk);
      }
    })();
    const stderrText = new Response(child.stderr).text();
    const [exitCode, stderr] = await Promise.all([child.exited, stderrText, reading]);
    if (child.signalCode === "SIGKILL") throw new MediaError(`decoding the video took longer than ${timeoutMs / 1000} s`);
    return { stdout: Buffer.concat(chunks), stderr: stderr.slice(-4000), exitCode };
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
