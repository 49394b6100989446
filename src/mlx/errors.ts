/** Typed errors of the array layer. */

/**
 * An error raised by MLX (or by our C layer over it), carrying MLX's own message.
 *
 * @example
 *   try { mx.matmul(a, b) } catch (e) { if (e instanceof MlxError) console.error(e.op, e.mlxMessage) }
 */
export class MlxError extends Error {
  override readonly name = "MlxError";
  constructor(
    /** The C symbol or operation that failed, e.g. `mlx_matmul`. */
    readonly op: string,
    /** MLX's message, verbatim. */
    readonly mlxMessage: string,
  ) {
    super(`${op}: ${mlxMessage || "failed without a message"}`);
  }
}

/** The native library could not be found or loaded. */
export class NativeLibraryError extends Error {
  override readonly name = "NativeLibraryError";
}
