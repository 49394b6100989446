/** Finding and running the ffmpeg executable, bounded in time and output. */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { cancelledError, MediaError, throwIfCancelled } from "./errors.ts";

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

/** One ffmpeg run's limits: its time, the request's cancellation, and where stdout goes (else collected). */
export interface FfmpegLimits {
  timeoutMs: number;
  signal?: AbortSignal;
  onStdout?: (chunk: Uint8Array) => void;
}

/**
 * Runs ffmpeg with `args`. The child is killed (SIGKILL) after `timeoutMs`, when `signal` aborts, or when
 * `onStdout` throws; the first two are a {@link MediaError}.
 *
 * @example
 *   const { stderr } = await runFfmpeg(findFfmpeg(), ["-i", file, "-f", "null", "-"], { timeoutMs: 60_000, signal });
 */
export async function runFfmpeg(ffmpeg: string, args: string[], limits: FfmpegLimits): Promise<FfmpegRun> {
  throwIfCancelled(limits.signal);
  const child = Bun.spawn([ffmpeg, "-hide_banner", "-nostdin", ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let stopped: "timeout" | "cancelled" | null = null;
  const stop = (why: "timeout" | "cancelled") => {
    stopped ??= why;
    child.kill("SIGKILL");
  };
  const timer = setTimeout(() => stop("timeout"), limits.timeoutMs);
  const onAbort = () => stop("cancelled");
  limits.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    const reading = (async () => {
      for await (const chunk of child.stdout) {
        if (limits.onStdout) limits.onStdout(chunk);
        else chunks.push(chunk);
      }
    })();
    const stderrText = new Response(child.stderr).text();
    const [exitCode, stderr] = await Promise.all([child.exited, stderrText, reading]);
    if (stopped === "cancelled") throw cancelledError();
    if (stopped === "timeout") throw new MediaError(`decoding the video took longer than ${limits.timeoutMs / 1000} s`);
    return { stdout: Buffer.concat(chunks), stderr: stderr.slice(-4000), exitCode };
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  } finally {
    clearTimeout(timer);
    limits.signal?.removeEventListener("abort", onAbort);
  }
}
