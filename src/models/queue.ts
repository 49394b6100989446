/**
 * Queueing a stack's hidden state as its graph is built: shared by the text decoder and the vision towers.
 */
import * as mx from "../mlx/index.ts";

/**
 * Queues `h` (`async_eval`) after layer `i` of `count` at every `every`th layer, never after the last (`every` 0:
 * never), so the device runs the first layers while the host still builds the graph of the later ones, instead of
 * starting only once the whole stack's graph is built.
 *
 * @example
 * layers.forEach((layer, i) => { h = layer.forward(h); queueAfterLayer(h, i, layers.length, 4); });
 */
export function queueAfterLayer(h: mx.Array, i: number, count: number, every: number): void {
  if (every > 0 && (i + 1) % every === 0 && i + 1 < count) mx.asyncEval(h);
}
