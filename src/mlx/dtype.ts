/** MLX dtypes, their mlx-c codes and their sizes. */

export const DTYPE_CODES = {
  bool: 0,
  uint8: 1,
  uint16: 2,
  uint32: 3,
  uint64: 4,
  int8: 5,
  int16: 6,
  int32: 7,
  int64: 8,
  float16: 9,
  float32: 10,
  float64: 11,
  bfloat16: 12,
  complex64: 13,
} as const;

export type Dtype = keyof typeof DTYPE_CODES;

const BY_CODE = Object.fromEntries(Object.entries(DTYPE_CODES).map(([k, v]) => [v, k])) as Record<number, Dtype>;

export const ITEM_SIZE: Record<Dtype, number> = {
  bool: 1, uint8: 1, uint16: 2, uint32: 4, uint64: 8, int8: 1, int16: 2, int32: 4, int64: 8,
  float16: 2, float32: 4, float64: 8, bfloat16: 2, complex64: 8,
};

export function dtypeFromCode(code: number): Dtype {
  const d = BY_CODE[code];
  if (d === undefined) throw new TypeError(`unknown MLX dtype code ${code}`);
  return d;
}

export function isDtype(value: string): value is Dtype {
  return Object.hasOwn(DTYPE_CODES, value);
}

export function isFloating(d: Dtype): boolean {
  return d === "float16" || d === "float32" || d === "float64" || d === "bfloat16";
}
