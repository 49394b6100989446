/**
 * The CUDA matrix-vector kernel's body (ffi/kernels/qmv.cu) run on the host by ffi/tests/qmv_emulate.cpp: each warp's
 * lanes as threads, shuffles and the block's barrier as barriers, against a float64 reference. It checks the kernel's
 * indexing, columns a warp, K slices, unrolled loads, remainders, unaligned fallbacks and reductions on every machine;
 * nn-quantized-gpu.test.ts checks it on a GPU. Needs a C++20 compiler (`CXX`, default `c++`), as the native build does.
 */
import { test } from "bun:test";
import { expectEmulationPasses } from "./emulate-testing.ts";

test("the qmv kernel body matches a float64 reference (4- and 8-bit, groups 32-128, 1-16 rows, 2-8 columns a warp, 1-8 K slices, float32 and bfloat16)",
  () => expectEmulationPasses("qmv_emulate.cpp", 16), 120_000);
