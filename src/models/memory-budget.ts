/** Whether a checkpoint's weights can fit in memory at all, known from its headers before anything loads. */
import * as mx from "../mlx/index.ts";
import { formatSize } from "./checkpoint-file.ts";

/** The weights alone exceed what MLX may allocate on this machine. */
export class ModelTooLargeError extends Error {
  override readonly name = "ModelTooLargeError";
  constructor(
    readonly path: string,
    readonly weightBytes: number,
    readonly budgetBytes: number,
  ) {
    super(`${path}: the weights take ${formatSize(weightBytes)}, more than the ${formatSize(budgetBytes)} ` +
      "this machine can hold (MLX's memory limit); pick a smaller or more quantized model");
  }
}

/**
 * Throws {@link ModelTooLargeError} when `weightBytes` exceed `budgetBytes` (default: MLX's memory limit,
 * which MLX sets from the device's memory).
 *
 * @example
 *   checkWeightsFit("/models/llama-70b", readSafetensorsHeader(file).totalBytes);
 */
export function checkWeightsFit(path: string, weightBytes: number, budgetBytes = mx.getMemoryLimit()): void {
  if (weightBytes > budgetBytes) throw new ModelTooLargeError(path, weightBytes, budgetBytes);
}
