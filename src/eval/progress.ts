/**
 * Progress of an evaluation on stderr: a bar redrawn in place on a TTY; on anything else (a log file, CI)
 * a plain line at every tenth of the way and at the end.
 */
import { progressLine } from "../bench/progress.ts";

/** Where progress goes: stderr, or anything with `write` (tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export class EvalProgress {
  #stream: ProgressStream;
  #active = false;
  #lastStep = 0;

  constructor(stream: ProgressStream = process.stderr) {
    this.#stream = stream;
  }

  /**
   * Shows `done` of `total` with a label.
   *
   * @example
   *   progress.update(5, 50, "strict 20.0% flexible 40.0%");
   */
  update(done: number, total: number, label: string): void {
    const line = progressLine(done, total, label);
    if (this.#stream.isTTY) {
      this.#stream.write(`\r\x1b[2K${line}`);
      this.#active = true;
      if (done >= total) this.finish();
      return;
    }
    const step = Math.floor((done * 10) / Math.max(total, 1));
    if (step > this.#lastStep || done >= total) {
      this.#lastStep = step;
      this.#stream.write(`${line}\n`);
    }
  }

  /** Ends a TTY bar's line (idempotent). */
  finish(): void {
    if (this.#active) this.#stream.write("\n");
    this.#active = false;
  }
}
