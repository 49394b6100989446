/** Memory stats and limits, device info. */
export {};
