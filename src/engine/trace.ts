/**
 * `VLLM_MLX_TRACE=1`: timestamped marks along a request's way from its HTTP arrival to its first streamed token,
 * written by the HTTP thread and the engine worker alike as one line each on stderr:
 * `vmlx-trace {"t":<epoch ms>,"ev":"<mark>","id":"<request id>",...}`. Times are `performance.timeOrigin + now()`,
 * comparable across threads. Off (the default), a mark costs one boolean test. bench/serve-ttft.ts reads them.
 */

/** Whether marks are written (read once, when the module loads; workers inherit the environment). */
export const TRACING = process.env.VLLM_MLX_TRACE === "1";

/** Epoch milliseconds with sub-millisecond precision, the same clock on every thread. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Writes one mark when tracing is on.
 *
 * @example
 *   traceMark("w.add", request.requestId);
 */
export function traceMark(event: string, id: string | null, data?: Record<string, unknown>): void {
  if (!TRACING) return;
  process.stderr.write(`vmlx-trace ${JSON.stringify({ t: epochMs(), ev: event, id, ...data })}\n`);
}

/** A parsed mark (see {@link parseTraceLine}). */
export interface TraceMark {
  t: number;
  ev: string;
  id: string | null;
  [key: string]: unknown;
}

/** The mark on a line of stderr, or null for any other line. */
export function parseTraceLine(line: string): TraceMark | null {
  const at = line.indexOf("vmlx-trace {");
  if (at < 0) return null;
  try {
    const mark = JSON.parse(line.slice(at + "vmlx-trace ".length)) as TraceMark;
    return typeof mark.t === "number" && typeof mark.ev === "string" ? mark : null;
  } catch {
    return null;
  }
}
