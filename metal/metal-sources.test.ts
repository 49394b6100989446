/**
 * Every metal/*.metal kernel body compiled as C++14 (Metal 3.1, macOS 14, is C++14-based) with the host compiler
 * and metal/shim/metal_shim.h, inside the signature MLX's `fast::metal_kernel` writes for it: the inputs and
 * outputs ffi/src/metal/*.cpp name, each input's `_shape`/`_strides`/`_ndim` where the body uses them, the
 * built-in thread-position arguments it uses, and the template arguments ffi passes, instantiated for every dtype
 * and head dim the kernel is launched with. No Metal compiler runs here: metal/README.md says what this catches.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

const METAL = import.meta.dir;
const REPO = join(METAL, "..");
const CXX = Bun.which("c++") ?? Bun.which("g++") ?? Bun.which("clang++");

// MLX's kernel built-ins (mlx/backend/metal/custom_kernel.cpp), with their Metal types.
const BUILTINS: Record<string, "uint" | "uint3"> = {
  dispatch_quadgroups_per_threadgroup: "uint", dispatch_simdgroups_per_threadgroup: "uint",
  dispatch_threads_per_threadgroup: "uint3", grid_origin: "uint3", grid_size: "uint3",
  quadgroup_index_in_threadgroup: "uint", quadgroups_per_threadgroup: "uint", simdgroup_index_in_threadgroup: "uint",
  simdgroups_per_threadgroup: "uint", thread_execution_width: "uint", thread_index_in_quadgroup: "uint",
  thread_index_in_simdgroup: "uint", thread_index_in_threadgroup: "uint", thread_position_in_grid: "uint3",
  thread_position_in_threadgroup: "uint3", threadgroup_position_in_grid: "uint3", threadgroups_per_grid: "uint3",
  threads_per_grid: "uint3", threads_per_simdgroup: "uint", threads_per_threadgroup: "uint3",
};

interface KernelSpec {
  file: string;
  /** The dtype each input has when ffi launches the kernel (T: the template dtype). */
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  template: string;
  /** Every instantiation ffi can launch. */
  instances: string[];
}

const DTYPES = ["float", "half", "bfloat16_t"];
const HEAD_DIMS = [64, 80, 96, 128, 256]; // ffi/src/paged_kernel.cpp: head_dim_supported

const KERNELS: Record<string, KernelSpec> = {
  vmlx_paged_attention_decode: {
    file: "paged_attention.metal",
    inputs: { q: "T", k_pool: "T", v_pool: "T", block_tables: "int", seq_lens: "int", params: "float", window: "int",
      after: "int" },
    outputs: { out: "T" },
    template: "typename T, int D, int NSG",
    instances: DTYPES.flatMap((t) => HEAD_DIMS.map((d) => `${t}, ${d}, 4`)),
  },
  vmlx_reshape_and_cache: {
    file: "reshape_and_cache.metal",
    inputs: { k_pool: "T", v_pool: "T", k: "T", v: "T", slot_mapping: "int" },
    outputs: { done: "int" },
    template: "typename T",
    instances: DTYPES,
  },
};

/** `metal_kernel("name", {inputs}, {outputs}, ...)` calls in ffi/src/metal/*.cpp. */
function ffiKernels(): Map<string, { inputs: string[]; outputs: string[] }> {
  const found = new Map<string, { inputs: string[]; outputs: string[] }>();
  const dir = join(REPO, "ffi", "src", "metal");
  const names = (list: string) => [...list.matchAll(/"(\w+)"/g)].map((m) => m[1]!);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpp"))) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const m of text.matchAll(/metal_kernel\(\s*"(\w+)",\s*\{([^}]*)\},\s*\{([^}]*)\}/g)) {
      found.set(m[1]!, { inputs: names(m[2]!), outputs: names(m[3]!) });
    }
  }
  return found;
}

/** The translation unit: MLX's signature around the body, then explicit instantiations. */
function translationUnit(name: string, spec: KernelSpec, body: string): string {
  const uses = (word: string) => new RegExp(`\\b${word}\\b`).test(body);
  const params: string[] = [];
  for (const [input, type] of Object.entries(spec.inputs)) {
    params.push(`const device ${type}* ${input}`);
    if (uses(`${input}_shape`)) params.push(`const constant int* ${input}_shape`);
    if (uses(`${input}_strides`)) params.push(`const constant int64_t* ${input}_strides`);
    if (uses(`${input}_ndim`)) params.push(`const constant int& ${input}_ndim`);
  }
  for (const [output, type] of Object.entries(spec.outputs)) params.push(`device ${type}* ${output}`);
  for (const [builtin, type] of Object.entries(BUILTINS)) if (uses(builtin)) params.push(`${type} ${builtin}`);
  return [
    `#include "metal_shim.h"`,
    `template <${spec.template}>`,
    `void ${name}(${params.join(", ")}) {`,
    `#line 1 "${spec.file}"`,
    body,
    `}`,
    ...spec.instances.map((args) => `template decltype(${name}<${args}>) ${name}<${args}>;`),
    "",
  ].join("\n");
}

/** Compiles a translation unit; returns the compiler's exit code and messages. */
function compile(source: string): { code: number; messages: string } {
  const dir = mkdtempSync(join(os.tmpdir(), "metal-shim-"));
  try {
    const file = join(dir, "kernel.cpp");
    writeFileSync(file, source);
    const p = Bun.spawnSync([CXX!, "-std=c++14", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
      "-I", join(METAL, "shim"), file], { stdout: "pipe", stderr: "pipe" });
    return { code: p.exitCode ?? 1, messages: p.stderr.toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("metal/*.metal as C++ with the Metal shim", () => {
  test("a host C++ compiler is present", () => expect(CXX).not.toBeNull());

  test("every kernel ffi builds is described here, with the inputs and outputs ffi passes", () => {
    const ffi = ffiKernels();
    expect([...ffi.keys()].sort()).toEqual(Object.keys(KERNELS).sort());
    for (const [name, spec] of Object.entries(KERNELS)) {
      expect(ffi.get(name)).toEqual({ inputs: Object.keys(spec.inputs), outputs: Object.keys(spec.outputs) });
    }
    const files = readdirSync(METAL).filter((f) => f.endsWith(".metal")).sort();
    expect(Object.values(KERNELS).map((k) => k.file).sort()).toEqual(files);
  });

  for (const [name, spec] of Object.entries(KERNELS)) {
    test(`${spec.file} compiles for ${spec.instances.length} instantiations`, () => {
      const body = readFileSync(join(METAL, spec.file), "utf8");
      const r = compile(translationUnit(name, spec, body));
      expect(r.messages).toBe("");
      expect(r.code).toBe(0);
    });
  }

  test("the check fails on a write through a const device pointer", () => {
    const spec = KERNELS.vmlx_reshape_and_cache!;
    const body = readFileSync(join(METAL, spec.file), "utf8").replace("const_cast<device T*>(k_pool)", "k_pool");
    const r = compile(translationUnit("vmlx_reshape_and_cache", spec, body));
    expect(r.code).not.toBe(0);
    expect(r.messages).toContain("reshape_and_cache.metal:");
  });

  test("the check fails on a Metal function the kernel calls wrongly and on an unknown name", () => {
    const spec = KERNELS.vmlx_paged_attention_decode!;
    const source = readFileSync(join(METAL, spec.file), "utf8");
    const badCall = source.replace("metal::simd_sum(partial)", "metal::simd_sum(partial, 1)");
    expect(badCall).not.toBe(source);
    expect(compile(translationUnit("vmlx_paged_attention_decode", spec, badCall)).code).not.toBe(0);
    const unknown = source.replace("const int lane = thread_index_in_simdgroup;", "const int lane = thread_lane;");
    expect(unknown).not.toBe(source);
    expect(compile(translationUnit("vmlx_paged_attention_decode", spec, unknown)).code).not.toBe(0);
  });
});
