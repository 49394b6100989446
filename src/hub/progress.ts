/** Download progress: a callback for callers and a compact one-line bar per file on stderr. */

/** One progress event of one file. */
export interface DownloadProgress {
  /** Repository-relative file name. */
  file: string;
  /** Bytes on disk so far (resumed bytes included). */
  downloaded: number;
  /** Expected size in bytes. */
  total: number;
  /** True on the last event of the file. */
  done: boolean;
}

/** Receives progress events. */
export type ProgressCallback = (progress: DownloadProgress) => void;

const RENDER_INTERVAL_MS = 100;
const BAR_WIDTH = 20;

/**
 * Human-readable byte count.
 *
 * @example
 *   formatBytes(1536); // "1.5 KB"
 */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * One bar line: name, percent, bar, bytes, rate and ETA.
 *
 * @example
 *   renderBar("model.safetensors", 512, 1024, 256, 2); // "model.safetensors  50% |██████████          | 512 B/1.0 KB 256 B/s ETA 00:02"
 */
export function renderBar(file: string, downloaded: number, total: number, rate: number, eta: number): string {
  const fraction = total > 0 ? Math.min(1, downloaded / total) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = "█".repeat(filled) + " ".repeat(BAR_WIDTH - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${file} ${percent} |${bar}| ${formatBytes(downloaded)}/${formatBytes(total)} ${formatBytes(Math.round(rate))}/s ETA ${formatEta(eta)}`;
}

/** A writable text sink with a TTY flag, like `process.stderr`. */
export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Tracks one file's progress: forwards events to the callback and draws a bar when enabled. */
export class FileProgress {
  readonly #started = performance.now();
  readonly #initial: number;
  #downloaded: number;
  #lastRender = 0;

  constructor(
    readonly file: string,
    readonly total: number,
    initial: number,
    private readonly callback: ProgressCallback | undefined,
    private readonly sink: ProgressSink | undefined,
  ) {
    this.#initial = initial;
    this.#downloaded = initial;
  }

  /** Restarts the count (a server that ignored a Range request sends the file again). */
  reset(downloaded: number): void {
    this.#downloaded = downloaded;
  }

  /** Adds received bytes. */
  advance(bytes: number): void {
    this.#downloaded += bytes;
    this.callback?.({ file: this.file, downloaded: this.#downloaded, total: this.total, done: false });
    const now = performance.now();
    if (now - this.#lastRender >= RENDER_INTERVAL_MS) this.#render(now, false);
  }

  /** Ends the file's line. */
  finish(): void {
    this.callback?.({ file: this.file, downloaded: this.#downloaded, total: this.total, done: true });
    this.#render(performance.now(), true);
  }

  #render(now: number, last: boolean): void {
    if (this.sink === undefined) return;
    this.#lastRender = now;
    const seconds = Math.max((now - this.#started) / 1000, 1e-3);
    const rate = Math.max(0, this.#downloaded - this.#initial) / seconds;
    const eta = rate > 0 ? (this.total - this.#downloaded) / rate : Infinity;
    this.sink.write(`\r\x1b[2K${renderBar(this.file, this.#downloaded, this.total, rate, eta)}${last ? "\n" : ""}`);
  }
}

/** The sink to draw on: stderr when it is a TTY and `quiet` is off. */
export function progressSink(quiet: boolean | undefined, sink: ProgressSink = process.stderr): ProgressSink | undefined {
  return !quiet && sink.isTTY === true ? sink : undefined;
}
