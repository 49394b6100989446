/** Matmul, quantization, gather, fast.* and compiled kernels. Every op takes an optional stream last. */
export * from "./nn-matmul.ts";
export * from "./nn-quantized.ts";
export * from "./nn-fast.ts";
export * from "./fused.ts";
export * from "../compiled.ts";
