/**
 * The MLX array API. Import it as a namespace:
 *
 * @example
 *   import * as mx from "./mlx/index.ts";
 *   using y = mx.matmul(mx.array([[1, 2]]), mx.array([[3], [4]]));
 *   y.item(); // 11
 */
export { Array } from "./array.ts";
export { array, scalar, type ArrayOptions } from "./creation.ts";
export { type Dtype, isDtype, ITEM_SIZE } from "./dtype.ts";
export { MlxError, NativeLibraryError } from "./errors.ts";
export * from "./ops/core.ts";
export * from "./ops/nn.ts";
export * from "./ops/paged.ts";
export * from "./ops/paged-block.ts";
export * from "./io.ts";
export * from "./memory.ts";
export * from "./host-heap.ts";
export { cpuStream, defaultStream, gpuAvailable, gpuStream, Stream } from "./stream.ts";
export { asyncEval, evaluate, graphPrimitives } from "./transforms.ts";
export { info } from "./info.ts";
