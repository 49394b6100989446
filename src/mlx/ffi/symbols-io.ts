/** Symbols of ffi/src/io*.cpp. */
export const IO_SYMBOLS = {} as const;
