/** A one-line progress bar for stderr (redrawn in place on a TTY, one line per update step otherwise). */

/**
 * Renders `[#####.....] 5/10 label` at `width` cells.
 *
 * @example
 *   progressLine(3, 4, "c=2", 8); // "[######..] 3/4 c=2"
 */
export function progressLine(done: number, total: number, label: string, width = 30): string {
  const filled = total > 0 ? Math.round((Math.min(done, total) / total) * width) : width;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${label}`.trimEnd();
}

/** Writes progress to a stream; on a non-TTY it prints only at completion, to keep logs short. */
export class ProgressBar {
  #stream: NodeJS.WriteStream;
  #active = false;

  constructor(stream: NodeJS.WriteStream = process.stderr, readonly enabled = true) {
    this.#stream = stream;
  }

  update(done: number, total: number, label: string): void {
    if (!this.enabled) return;
    const line = progressLine(done, total, label);
    if (this.#stream.isTTY) {
      this.#stream.write(`\r\x1b[2K${line}`);
      this.#active = true;
      if (done >= total) this.finish();
    } else if (done >= total) {
      this.#stream.write(`${line}\n`);
    }
  }

  finish(): void {
    if (this.#active) this.#stream.write("\n");
    this.#active = false;
  }
}
