/** Safetensors and GGUF loading and saving. */
export {};
