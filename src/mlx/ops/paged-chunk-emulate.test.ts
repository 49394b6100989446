/**
 * The CUDA kernel for rows of one block table (ffi/kernels/paged_attention_chunk.cu, then the merge kernel) run on
 * the host by ffi/tests/paged_chunk_emulate.cpp: each warp's lanes as threads, shuffles and the block's barrier as
 * barriers, against a float64 causal attention. It checks the kernel's tiles, partitions, rounds of queries, GQA and
 * MQA, windows, soft-capping and unaligned pools on every machine; paged.test.ts checks it on a GPU. Needs a C++20
 * compiler (`CXX`, default `c++`), as the native build does.
 */
import { test } from "bun:test";
import { expectEmulationPasses } from "./emulate-testing.ts";

test("the chunk kernel body matches a float64 causal attention (head dims 64-256, bfloat16 and float32, GQA and MQA, windows, softcap, unaligned pools, pad rows)",
  () => expectEmulationPasses("paged_chunk_emulate.cpp", 12), 120_000);
