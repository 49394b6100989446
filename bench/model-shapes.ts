/**
 * The real models' shapes (their config.json) that the in-process engine benches build random 4-bit weights at
 * (`tinyModel(family, { ...shape, numLayers, dtype, quantBits: 4 })`).
 *
 * @example
 *   const { family, ...shape } = MODEL_SHAPES["qwen3-0.6b"];
 *   const model = await tinyModel(family, { ...shape, seed: 1, numLayers: 4, quantBits: 4 });
 */
export const MODEL_SHAPES = {
  "qwen3-0.6b": { family: "qwen3", hiddenSize: 1024, numLayers: 28, numHeads: 16, numKvHeads: 8, headDim: 128, intermediateSize: 3072, vocabSize: 151936 },
  "llama-3.2-1b": { family: "llama", hiddenSize: 2048, numLayers: 16, numHeads: 32, numKvHeads: 8, headDim: 64, intermediateSize: 8192, vocabSize: 128256 },
  "llama-3.1-8b": { family: "llama", hiddenSize: 4096, numLayers: 32, numHeads: 32, numKvHeads: 8, headDim: 128, intermediateSize: 14336, vocabSize: 128256 },
} as const;

/** Qwen3-0.6B's shape without its family, to spread into `tinyModel("qwen3", ...)`. */
const { family: _qwen3, ...qwen3 } = MODEL_SHAPES["qwen3-0.6b"];
export const QWEN3_06B = qwen3;
