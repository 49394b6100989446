/** Symbols of ffi/src/memory.cpp. */
export const MEMORY_SYMBOLS = {} as const;
