/**
 * Paged attention conformance: every path this build offers (mx.pagedAttentionPaths(): the reference path
 * everywhere, the decode kernel on Metal and CUDA builds) against a naive float64 JS attention, and the kernel
 * against the reference path; the float32 CPU kernel (path "cpu") the same way, on prefill chunks and decode. Block 0 of every pool is poison (keys 0, values 50), as are the slots of each row's
 * last block past its length: a masked key read by mistake scores like any other and drags the output far off.
 */
import { describe, expect, test } from "bun:test";
import * as mx from "../index.ts";
import { expectClose, seeded } from "./nn-test-util.ts";

type FloatDtype = "float32" | "float16" | "bfloat16";

interface Case {
  name: string;
  hq: number;
  hkv: number;
  d: number;
  blockSize: number;
  seqLens: number[];
  /** Query length: 1 is decode, more is a causal prefill ending at seqLen - 1. */
  l?: number;
  scale?: number;
  slidingWindow?: number;
  softcap?: number;
}

const CASES: Case[] = [
  { name: "seqLen 1, MHA", hq: 2, hkv: 2, d: 64, blockSize: 16, seqLens: [1] },
  { name: "GQA 4:1, lengths off the block grid", hq: 8, hkv: 2, d: 128, blockSize: 16, seqLens: [1, 17, 40] },
  { name: "head dim 80, MQA, sliding window", hq: 4, hkv: 1, d: 80, blockSize: 8, seqLens: [33, 9], slidingWindow: 10 },
  { name: "head dim 96, softcap", hq: 4, hkv: 4, d: 96, blockSize: 32, seqLens: [70, 5], scale: 1, softcap: 5 },
  { name: "head dim 256, window and softcap", hq: 16, hkv: 8, d: 256, blockSize: 16, seqLens: [50, 31, 16],
    scale: 0.5, slidingWindow: 20, softcap: 3 },
];

const PREFILL_CASES: Case[] = [
  { name: "prefill L=3", hq: 4, hkv: 2, d: 64, blockSize: 8, seqLens: [3, 21], l: 3 },
  { name: "prefill L=5, window and softcap", hq: 4, hkv: 2, d: 64, blockSize: 4, seqLens: [12, 5], l: 5,
    scale: 1, slidingWindow: 4, softcap: 4 },
];

const POISON_VALUE = 50;

interface Inputs {
  q: mx.Array;
  kPool: mx.Array;
  vPool: mx.Array;
  blockTables: mx.Array;
  seqLens: mx.Array;
  /** The values as stored (rounded to the dtype), for the JS attention. */
  host: { q: number[]; k: number[]; v: number[]; table: number[]; maxBlocks: number };
}

/** Random q and pools, each row's blocks a shuffled set of distinct blocks >= 1, tables padded with block 0. */
function makeInputs(c: Case, dtype: FloatDtype, seed: number): Inputs {
  const B = c.seqLens.length;
  const L = c.l ?? 1;
  const counts = c.seqLens.map((n) => Math.ceil(n / c.blockSize));
  const maxBlocks = Math.max(...counts) + 1;
  const numBlocks = 1 + counts.reduce((a, b) => a + b, 0) + 2;
  const order = seeded(numBlocks - 1, seed + 7).map((r, i) => ({ r, id: i + 1 })).sort((a, b) => a.r - b.r);
  const table: number[] = [];
  let next = 0;
  counts.forEach((n) => {
    for (let j = 0; j < maxBlocks; j++) table.push(j < n ? order[next++]!.id : 0);
  });
  const slot = c.blockSize * c.hkv * c.d;
  const k = seeded(numBlocks * slot, seed + 1);
  const v = seeded(numBlocks * slot, seed + 2);
  const poison = (at: number) => {
    k[at] = 0;
    v[at] = POISON_VALUE;
  };
  for (let i = 0; i < slot; i++) poison(i);
  c.seqLens.forEach((n, b) => {
    if (n % c.blockSize === 0) return;
    const last = table[b * maxBlocks + counts[b]! - 1]!;
    for (let i = (n % c.blockSize) * c.hkv * c.d; i < slot; i++) poison(last * slot + i);
  });
  const poolShape = [numBlocks, c.blockSize, c.hkv, c.d];
  const q = mx.array(seeded(B * c.hq * L * c.d, seed), { shape: [B, c.hq, L, c.d], dtype });
  const kPool = mx.array(k, { shape: poolShape, dtype });
  const vPool = mx.array(v, { shape: poolShape, dtype });
  const blockTables = mx.array(table, { shape: [B, maxBlocks], dtype: "int32" });
  const seqLens = mx.array(c.seqLens, { dtype: "int32" });
  return { q, kPool, vPool, blockTables, seqLens,
    host: { q: q.toList(), k: kPool.toList(), v: vPool.toList(), table, maxBlocks } };
}

function dispose(x: Inputs): void {
  for (const a of [x.q, x.kPool, x.vPool, x.blockTables, x.seqLens]) a.dispose();
}

function scaleOf(c: Case): number {
  return c.scale ?? 1 / Math.sqrt(c.d);
}

/** softmax(mask(softcap(q k^T * scale))) v in float64, straight from the definition. */
function naivePagedAttention(c: Case, x: Inputs["host"]): number[] {
  const { hq, hkv, d, blockSize } = c;
  const L = c.l ?? 1;
  const out: number[] = [];
  c.seqLens.forEach((len, b) => {
    const keyAt = (pool: number[], t: number, kvh: number, i: number) => {
      const block = x.table[b * x.maxBlocks + Math.floor(t / blockSize)]!;
      return pool[((block * blockSize + (t % blockSize)) * hkv + kvh) * d + i]!;
    };
    for (let h = 0; h < hq; h++) {
      const kvh = Math.floor(h / (hq / hkv));
      for (let r = 0; r < L; r++) {
        const pos = len - L + r;
        const first = c.slidingWindow ? Math.max(0, pos - c.slidingWindow + 1) : 0;
        const qOff = ((b * hq + h) * L + r) * d;
        const scores: number[] = [];
        for (let t = first; t <= pos; t++) {
          let s = 0;
          for (let i = 0; i < d; i++) s += x.q[qOff + i]! * keyAt(x.k, t, kvh, i);
          s *= scaleOf(c);
          scores.push(c.softcap ? c.softcap * Math.tanh(s / c.softcap) : s);
        }
        const m = Math.max(...scores);
        const p = scores.map((s) => Math.exp(s - m));
        const z = p.reduce((a, e) => a + e, 0);
        for (let i = 0; i < d; i++) {
          let o = 0;
          p.forEach((w, j) => (o += w * keyAt(x.v, first + j, kvh, i)));
          out.push(o / z);
        }
      }
    }
  });
  return out;
}

const PATHS = mx.pagedAttentionPaths();
const GPU_BUILD = mx.info().backend !== "cpu";
const DTYPES: FloatDtype[] = ["float32", "float16", "bfloat16"];
/** Absolute tolerance against values of magnitude up to 1 (outputs are convex combinations of v in [-1, 1]). */
const TOLERANCE: Record<FloatDtype, number> = { float32: 1e-4, float16: 2e-2, bfloat16: 2e-2 };
/**
 * MLX runs float32 matmuls and SDPA in TF32 on GPUs that have it unless MLX_ENABLE_TF32=0 (about 1e-3 relative
 * per product). The reference path is made of those ops, so on a GPU build with TF32 allowed its float32
 * results are held to 5e-3; the kernel accumulates in plain float32 and keeps 1e-4 against the naive attention.
 */
const TF32_ALLOWED = GPU_BUILD && process.env.MLX_ENABLE_TF32 !== "0";

function tolerance(dtype: FloatDtype, involvesReference: boolean): number {
  return dtype === "float32" && involvesReference && TF32_ALLOWED ? 5e-3 : TOLERANCE[dtype];
}

function run(c: Case, x: Inputs, path: mx.PagedAttentionPath): mx.Array {
  return mx.pagedAttention(x.q, x.kPool, x.vPool, x.blockTables, x.seqLens, scaleOf(c),
    { slidingWindow: c.slidingWindow ?? null, softcap: c.softcap ?? null, path });
}

describe("pagedAttention paths", () => {
  test("the path set follows the backend: exactly ['reference'] on CPU", () => {
    expect(PATHS).toEqual(GPU_BUILD ? ["reference", "kernel"] : ["reference"]);
  });

  test("the kernel path on a build without a kernel throws a typed error", () => {
    const c = CASES[0]!;
    const x = makeInputs(c, "float32", 3);
    try {
      if (GPU_BUILD) {
        using out = run(c, x, "kernel");
        expect(out.shape).toEqual([1, 2, 1, 64]);
      } else {
        expect(() => run(c, x, "kernel")).toThrow(mx.MlxError);
        expect(() => run(c, x, "kernel")).toThrow(/has no paged-attention kernel/);
      }
    } finally {
      dispose(x);
    }
  });
});

for (const path of PATHS) {
  describe(`pagedAttention (${path}) matches a naive attention`, () => {
    for (const c of CASES) {
      for (const dtype of DTYPES) {
        test(`${c.name}, ${dtype}`, () => {
          const x = makeInputs(c, dtype, c.d + c.hq);
          try {
            using out = run(c, x, path);
            expect(out.shape).toEqual([c.seqLens.length, c.hq, 1, c.d]);
            expect(out.dtype).toBe(dtype);
            expectClose(out.toList(), naivePagedAttention(c, x.host), tolerance(dtype, path === "reference"));
          } finally {
            dispose(x);
          }
        });
      }
    }
  });
}

describe("pagedAttention prefill (reference path)", () => {
  for (const c of PREFILL_CASES) {
    test(`${c.name} matches a naive causal attention`, () => {
      const x = makeInputs(c, "float32", 11);
      try {
        using out = run(c, x, "auto");
        expect(out.shape).toEqual([c.seqLens.length, c.hq, c.l!, c.d]);
        expectClose(out.toList(), naivePagedAttention(c, x.host), tolerance("float32", true));
      } finally {
        dispose(x);
      }
    });
  }

  test("the kernel path refuses a prefill", () => {
    const c = PREFILL_CASES[0]!;
    const x = makeInputs(c, "float32", 5);
    try {
      expect(() => run(c, x, "kernel")).toThrow(GPU_BUILD ? /query length 1/ : /has no paged-attention kernel/);
    } finally {
      dispose(x);
    }
  });
});

if (PATHS.includes("kernel")) {
  describe("pagedAttention kernel vs reference", () => {
    for (const c of CASES) {
      for (const dtype of DTYPES) {
        test(`${c.name}, ${dtype}`, () => {
          const x = makeInputs(c, dtype, 2 * c.d + 1);
          try {
            using ref = run(c, x, "reference");
            using ker = run(c, x, "kernel");
            using auto = run(c, x, "auto");
            expectClose(ker.toList(), ref.toList(), tolerance(dtype, true));
            expect(auto.toList()).toEqual(ker.toList());
          } finally {
            dispose(x);
          }
        });
      }
    }

    // On CUDA the kernel's launch makes such an input row-contiguous on the device first (ffi/src/cuda/direct.cpp).
    test("queries given as a strided view (not row-contiguous) give the same output as contiguous ones", () => {
      const c = CASES[1]!;
      const x = makeInputs(c, "float32", 5);
      try {
        // the same values, stored as [B, D, L, Hq] and viewed back as [B, Hq, L, D]
        using stored = mx.contiguous(mx.transpose(x.q, [0, 3, 2, 1]));
        using view = mx.transpose(stored, [0, 3, 2, 1]);
        mx.evaluate(view);
        using fromView = mx.pagedAttention(view, x.kPool, x.vPool, x.blockTables, x.seqLens, scaleOf(c),
          { path: "kernel" });
        using plain = run(c, x, "kernel");
        expect(fromView.toList()).toEqual(plain.toList());
      } finally {
        dispose(x);
      }
    });

    test("an unsupported head dim falls back to the reference under auto and is refused by the kernel", () => {
      const c: Case = { name: "d72", hq: 2, hkv: 1, d: 72, blockSize: 8, seqLens: [13] };
      const x = makeInputs(c, "float32", 9);
      try {
        using out = run(c, x, "auto");
        expectClose(out.toList(), naivePagedAttention(c, x.host), tolerance("float32", true));
        expect(() => run(c, x, "kernel")).toThrow(/head dim 72/);
      } finally {
        dispose(x);
      }
    });
  });
}

/**
 * Rows past one partition of the CUDA kernel (256 keys: ffi/src/cuda/paged_cuda.cpp), so it splits them and merges:
 * ends off the partition grid, rows with empty partitions, windows starting mid-partition or leaving partitions
 * empty, GQA, soft-capping, every head dim. GPU builds only (the kernel path).
 */
const SPLIT_CASES: Case[] = [
  { name: "3 partitions, uneven ends, a row with empty ones, GQA 2:1", hq: 4, hkv: 2, d: 128, blockSize: 16,
    seqLens: [257, 600, 3] },
  { name: "window across partitions, softcap, GQA 4:1", hq: 8, hkv: 2, d: 64, blockSize: 16, seqLens: [1100, 700],
    scale: 0.2, slidingWindow: 300, softcap: 5 },
  { name: "head dim 80, window inside one partition", hq: 2, hkv: 1, d: 80, blockSize: 8, seqLens: [512, 513, 260],
    slidingWindow: 100 },
  { name: "head dim 96, a row ending on the partition grid", hq: 3, hkv: 1, d: 96, blockSize: 32, seqLens: [512, 511] },
  { name: "head dim 256, softcap", hq: 4, hkv: 4, d: 256, blockSize: 16, seqLens: [300, 45], scale: 0.1, softcap: 3 },
  // One row alone: under VLLM_MLX_PAGED_CHUNK=decode a row over 1,024 keys takes the chunk kernel.
  { name: "one row over 1,500 keys, GQA 4:1, window", hq: 8, hkv: 2, d: 128, blockSize: 16, seqLens: [1500],
    slidingWindow: 1200 },
];

if (PATHS.includes("kernel")) {
  describe("pagedAttention kernel over rows split into partitions", () => {
    for (const c of SPLIT_CASES) {
      for (const dtype of DTYPES) {
        test(`${c.name}, ${dtype}: matches a naive attention and the reference path`, () => {
          const x = makeInputs(c, dtype, c.d + 3 * c.hq);
          try {
            using ker = run(c, x, "kernel");
            using ref = run(c, x, "reference");
            expect(ker.shape).toEqual([c.seqLens.length, c.hq, 1, c.d]);
            expect(ker.dtype).toBe(dtype);
            expectClose(ker.toList(), naivePagedAttention(c, x.host), tolerance(dtype, false));
            expectClose(ker.toList(), ref.toList(), tolerance(dtype, true));
          } finally {
            dispose(x);
          }
        });
      }
    }
  });
}

/**
 * One sequence's prefill chunk split into single-query rows (`oneSequence`: the CUDA build's chunk kernel, which reads
 * each key once for all rows, in tiles, over partitions of 64 keys, merged): a prefix hit's shape, more queries than
 * one round of the kernel's warps holds (MQA), windows and softcap, head dims 256 and 96, a chunk at the sequence's
 * start, and head dim 80, which the chunk kernel does not serve (the decode kernel takes it). `l` rows end at
 * seqLens[0]. GPU builds only (the kernel path).
 */
const CHUNK_CASES: Case[] = [
  { name: "16 rows over 2,048 cached keys, GQA 2:1", hq: 4, hkv: 2, d: 128, blockSize: 16, seqLens: [2064], l: 16 },
  { name: "40 rows, MQA, window across partitions, softcap", hq: 8, hkv: 1, d: 64, blockSize: 16, seqLens: [300], l: 40,
    scale: 0.2, slidingWindow: 100, softcap: 5 },
  { name: "head dim 256, GQA 2:1", hq: 4, hkv: 2, d: 256, blockSize: 16, seqLens: [97], l: 5 },
  { name: "head dim 96, a chunk at the start", hq: 2, hkv: 1, d: 96, blockSize: 32, seqLens: [3], l: 3 },
  { name: "head dim 80 (the decode kernel)", hq: 2, hkv: 1, d: 80, blockSize: 8, seqLens: [50], l: 6 },
];

if (PATHS.includes("kernel")) {
  describe("pagedAttention kernel over one sequence's chunk of rows (oneSequence)", () => {
    for (const c of CHUNK_CASES) {
      for (const dtype of DTYPES) {
        test(`${c.name}, ${dtype}: matches a naive attention and the same rows without the flag`, () => {
          const x = makeInputs(c, dtype, c.d + c.l!);
          const R = c.l!;
          const len = c.seqLens[0]!;
          try {
            using rows = mx.contiguous(mx.transpose(x.q, [2, 1, 0, 3])); // [R, Hq, 1, D]
            using tables = mx.array(Array.from({ length: R }, () => x.host.table).flat(),
              { shape: [R, x.host.maxBlocks], dtype: "int32" });
            using lens = mx.array(Array.from({ length: R }, (_, r) => len - R + 1 + r), { dtype: "int32" });
            const opts = { slidingWindow: c.slidingWindow ?? null, softcap: c.softcap ?? null, path: "kernel" as const };
            using chunk = mx.pagedAttention(rows, x.kPool, x.vPool, tables, lens, scaleOf(c), { ...opts, oneSequence: true });
            using each = mx.pagedAttention(rows, x.kPool, x.vPool, tables, lens, scaleOf(c), opts);
            using asRow = mx.transpose(chunk, [2, 1, 0, 3]); // [1, Hq, R, D], the naive attention's order
            expect(chunk.shape).toEqual([R, c.hq, 1, c.d]);
            expect(chunk.dtype).toBe(dtype);
            expectClose(asRow.toList(), naivePagedAttention(c, x.host), tolerance(dtype, false));
            expectClose(chunk.toList(), each.toList(), 2 * tolerance(dtype, false));
          } finally {
            dispose(x);
          }
        });
      }
    }
  });
}

/** The CPU kernel's cases: prefill chunks at several offsets (offset = seqLen - l), ragged decode, GQA, windows. */
const CPU_CASES: Case[] = [
  ...CASES.filter((c) => c.softcap === undefined),
  { name: "prefill chunk at offset 0, GQA 3:1", hq: 9, hkv: 3, d: 64, blockSize: 16, seqLens: [37], l: 37 },
  { name: "prefill chunk at offset 7", hq: 9, hkv: 3, d: 64, blockSize: 16, seqLens: [23], l: 16 },
  { name: "prefill chunk at offset 100, GQA 4:1", hq: 8, hkv: 2, d: 128, blockSize: 16, seqLens: [133], l: 33 },
  { name: "prefill chunk at offset 250, window 40", hq: 4, hkv: 2, d: 64, blockSize: 16, seqLens: [290], l: 40,
    slidingWindow: 40 },
  { name: "prefill of two rows, lengths off the grid", hq: 4, hkv: 1, d: 36, blockSize: 8, seqLens: [19, 9], l: 9 },
  { name: "ragged decode of 8 rows, GQA 3:1", hq: 9, hkv: 3, d: 64, blockSize: 16,
    seqLens: [300, 5, 41, 16, 17, 129, 1, 64] },
  { name: "decode, head dim 8, window 3", hq: 2, hkv: 1, d: 8, blockSize: 4, seqLens: [2, 11, 7], slidingWindow: 3 },
];

describe("pagedAttention CPU kernel (path cpu)", () => {
  for (const c of CPU_CASES) {
    for (const dtype of ["float32", "float16", "bfloat16"] as const) {
      test(`${c.name}, ${dtype}: matches a naive attention and the reference path; auto takes it`, () => {
        const x = makeInputs(c, dtype, 3 * c.d + c.seqLens.length);
        try {
          expect(mx.pagedCpuKernelServes(x.q, x.kPool, x.vPool)).toBe(!GPU_BUILD);
          using cpu = mx.pagedAttention(x.q, x.kPool, x.vPool, x.blockTables, x.seqLens, scaleOf(c),
            { slidingWindow: c.slidingWindow ?? null, path: "cpu" }, mx.cpuStream());
          using ref = mx.pagedAttention(x.q, x.kPool, x.vPool, x.blockTables, x.seqLens, scaleOf(c),
            { slidingWindow: c.slidingWindow ?? null, path: "reference" }, mx.cpuStream());
          expect(cpu.shape).toEqual([c.seqLens.length, c.hq, c.l ?? 1, c.d]);
          expect(cpu.dtype).toBe(dtype);
          expectClose(cpu.toList(), naivePagedAttention(c, x.host), TOLERANCE[dtype]);
          expectClose(cpu.toList(), ref.toList(), 2 * TOLERANCE[dtype]);
          if (!GPU_BUILD) {
            using auto = run(c, x, "auto");
            expect(auto.toList()).toEqual(cpu.toList());
          }
        } finally {
          dispose(x);
        }
      });
    }
  }

  test("soft-capping and mixed dtypes fall back (auto: the reference path; cpu refuses); bfloat16 runs the kernel", () => {
    const capped = CASES[3]!;
    const x = makeInputs(capped, "float32", 4);
    const y = makeInputs(CASES[1]!, "bfloat16", 5);
    const qf = mx.astype(y.q, "float32");
    const mixed = { ...y, q: qf };
    try {
      expect(mx.pagedCpuKernelServes(x.q, x.kPool, x.vPool, { softcap: capped.softcap })).toBe(false);
      expect(mx.pagedCpuKernelServes(mixed.q, mixed.kPool, mixed.vPool)).toBe(false);
      expect(mx.pagedCpuKernelServes(y.q, y.kPool, y.vPool)).toBe(!GPU_BUILD);
      expect(() => run(capped, x, "cpu")).toThrow(GPU_BUILD ? /CPU stream/ : /does not soft-cap/);
      expect(() => run(CASES[1]!, mixed, "cpu")).toThrow(GPU_BUILD ? /CPU stream/ : /one dtype/);
      if (!GPU_BUILD) {
        using auto = run(capped, x, "auto");
        using ref = run(capped, x, "reference");
        expect(auto.toList()).toEqual(ref.toList());
        using ker = run(CASES[1]!, y, "cpu");
        expect(ker.dtype).toBe("bfloat16");
        expectClose(ker.toList(), naivePagedAttention(CASES[1]!, y.host), tolerance("bfloat16", false));
        using autoMixed = run(CASES[1]!, mixed, "auto");
        using refMixed = run(CASES[1]!, mixed, "reference");
        expect(autoMixed.toList()).toEqual(refMixed.toList());
      }
    } finally {
      qf.dispose();
      dispose(x);
      dispose(y);
    }
  });

  test("a row shorter than its queries leaves the unseen queries at zero; bad block ids stay inside the pool", () => {
    const c: Case = { name: "short", hq: 2, hkv: 1, d: 8, blockSize: 4, seqLens: [2], l: 3 };
    const x = makeInputs(c, "float32", 6);
    using badTables = mx.array([1000, -5], { dtype: "int32", shape: [1, 2] });
    try {
      using out = mx.pagedAttention(x.q, x.kPool, x.vPool, x.blockTables, x.seqLens, 1, { path: "cpu" }, mx.cpuStream());
      const flat = out.toList();
      expect(flat.length).toBe(2 * 3 * 8);
      for (let h = 0; h < 2; h++) expect(flat.slice(h * 24, h * 24 + 8)).toEqual(new Array<number>(8).fill(0));
      using odd = mx.pagedAttention(x.q, x.kPool, x.vPool, badTables, x.seqLens, 1, { path: "cpu" }, mx.cpuStream());
      expect(odd.toList().every(Number.isFinite)).toBe(true);
    } finally {
      dispose(x);
    }
  });
});

describe("pagedAttention argument checks", () => {
  const c = CASES[1]!;
  test("mismatched pools, tables and options throw MlxError", () => {
    const x = makeInputs(c, "float32", 1);
    try {
      using badPool = mx.zeros([2, 16, 2, 64]);
      using badTables = mx.zeros([2, 4], "int32");
      using floatLens = mx.zeros([3]);
      const scale = scaleOf(c);
      expect(() => mx.pagedAttention(x.q, badPool, badPool, x.blockTables, x.seqLens, scale)).toThrow(/head dim/);
      expect(() => mx.pagedAttention(x.q, x.kPool, x.vPool, badTables, x.seqLens, scale)).toThrow(/block_tables/);
      expect(() => mx.pagedAttention(x.q, x.kPool, x.vPool, x.blockTables, floatLens, scale)).toThrow(/integer/);
      expect(() => mx.pagedAttention(x.q, x.kPool, x.vPool, x.blockTables, x.seqLens, scale, { softcap: -1 }))
        .toThrow(/softcap/);
      expect(() => mx.pagedAttention(x.q, x.kPool, x.vPool, x.blockTables, x.seqLens, scale, { slidingWindow: 0 }))
        .toThrow(mx.MlxError);
      expect(() => mx.pagedAttention(x.q, x.kPool, x.vPool, x.blockTables, x.seqLens, scale,
        { path: "fast" as mx.PagedAttentionPath })).toThrow(/path must be/);
    } finally {
      dispose(x);
    }
  });
});
