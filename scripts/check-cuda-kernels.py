#!/usr/bin/env python3
"""Compile-checks ffi/kernels/*.cu with NVRTC on a machine without a GPU, wrapped as MLX's `fast::cuda_kernel`
wraps them (mlx/backend/cuda/custom_kernel.cpp, build_kernel: MLX's default header, the kernel's header, then
`__global__ void custom_kernel_<name><template hash>(inputs [+ _shape/_strides/_ndim where the body names them],
outputs)` in namespace mlx::core::cu with the template arguments as constexpr ints and `using` dtypes), for every
template combination ffi/src/cuda/*.cpp can launch, with MLX's NVRTC options (jit_module.cpp) for an H100
(--gpu-architecture=sm_90a). Exits 1 on any NVRTC error.

MLX's device headers (utils.cuh, complex.cuh) are not in the wheel's include/: MLX embeds them in libmlx as
strings, and they are read from there, so they are the wheel's own. The variants of one kernel go into one NVRTC
program (each wrapped exactly as MLX wraps it; the prefix once), so the headers are parsed once a kernel.

  bash scripts/check-cuda-kernels.sh                     # makes .cache/nvrtc-venv (PyPI, pinned), then runs this
  .cache/nvrtc-venv/bin/python scripts/check-cuda-kernels.py [--only NAME] [--legacy FILE] [--registers] [--arch sm_90a]
"""
import argparse
import ctypes
import itertools
import re
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MLX_VERSION = (ROOT / "scripts/mlx-version.txt").read_text().strip()
WHEEL = ROOT / f".cache/mlx/{MLX_VERSION}/cuda/mlx"
DEFAULT_HEADER = '\n#include "mlx/backend/cuda/device/utils.cuh"\n\n#include <cooperative_groups.h>\n\n'
DTYPES = {"float16": "__half", "bfloat16": "__nv_bfloat16", "float32": "float", "int32": "int32_t", "uint32": "uint32_t"}
HEAD_DIMS = [64, 80, 96, 128, 256]  # ffi/src/paged_kernel.cpp: head_dim_supported
FLOATS = ["float16", "bfloat16", "float32"]


def bits(x: float) -> int:
    return struct.unpack("<i", struct.pack("<f", x))[0]


# Scale, softcap, window triples as the host passes them (ffi/src/cuda/paged_cuda.cpp): the constants change no
# code path but softcap 0 / non-0 and window 0 / non-0, so two of each suffice.
CONSTANTS = [(bits(128 ** -0.5), 0, 0), (bits(0.0625), bits(30.0), 4096)]
DECODE_INPUTS = [("q", "T"), ("k_pool", "T"), ("v_pool", "T"), ("block_tables", "int32"), ("seq_lens", "int32"),
                 ("after", "int32")]


def chunk_qw(dtype: str, d: int) -> int:
    size = 4 if dtype == "float32" else 2
    if d % 32 != 0:
        return 0
    tiles = 2 * 32 * (d + 16 // size) * size
    return next((qw for qw in (4, 2, 1) if tiles + 8 * qw * (d + 32) * 4 <= 48 * 1024), 0)


# name -> (body, header, inputs, outputs, template-argument combinations as ordered [(name, value)])
KERNELS = {
    "vmlx_paged_attention_decode": (
        "ffi/kernels/paged_attention.cu", "ffi/kernels/paged_attention.cuh", DECODE_INPUTS, [("out", "T")],
        [[("T", t), ("D", d), ("NW", 8), ("SCALE_BITS", s), ("SOFTCAP_BITS", c), ("WINDOW", w)]
         for t, d, (s, c, w) in itertools.product(FLOATS, HEAD_DIMS, CONSTANTS)]),
    "vmlx_paged_attention_partition": (
        "ffi/kernels/paged_attention_split.cu", "ffi/kernels/paged_attention.cuh", DECODE_INPUTS,
        [("part_ml", "float32"), ("part_acc", "float32")],
        [[("T", t), ("D", d), ("NW", 8), ("SCALE_BITS", s), ("SOFTCAP_BITS", c), ("WINDOW", w), ("PART", 256)]
         for t, d, (s, c, w) in itertools.product(FLOATS, HEAD_DIMS, CONSTANTS)]),
    # Every queries a warp the host may pick (ffi/src/cuda/paged_cuda.cpp, chunk_queries_per_warp): up to 4 where the
    # tiles, queries and weights fit 48 KB, else 2 or 1, fewer for few queries; head dims that are multiples of 32;
    # float32 at 256 is not served.
    "vmlx_paged_attention_chunk": (
        "ffi/kernels/paged_attention_chunk.cu", "ffi/kernels/paged_attention.cuh", DECODE_INPUTS,
        [("part_ml", "float32"), ("part_acc", "float32")],
        [[("T", t), ("D", d), ("NW", 8), ("TK", 32), ("QW", qw), ("PART", 64), ("SCALE_BITS", s),
          ("SOFTCAP_BITS", c), ("WINDOW", w)]
         for t, d, (s, c, w) in itertools.product(FLOATS, HEAD_DIMS, CONSTANTS)
         for qw in (4, 2, 1) if qw <= chunk_qw(t, d)]),
    "vmlx_paged_attention_merge": (
        "ffi/kernels/paged_attention_merge.cu", None, [("part_ml", "float32"), ("part_acc", "float32")],
        [("out", "T")], [[("T", t), ("D", d)] for t, d in itertools.product(FLOATS, HEAD_DIMS)]),
    "vmlx_reshape_and_cache": (
        "ffi/kernels/reshape_and_cache.cu", None,
        [("k_pool", "T"), ("v_pool", "T"), ("k", "T"), ("v", "T"), ("slot_mapping", "int32")],
        [("done", "int32")], [[("T", t)] for t in FLOATS]),
    # ffi/src/cuda/qmv_cuda.cpp (layout): 8 warps a block, rows 1 to 16, (COLS, UNROLL) = (8, 1) to 4 rows, (4, 2)
    # to 8, (2, 4) past; the K split is blockDim.y, no template constant: every variant it can launch
    "vmlx_qmv": (
        "ffi/kernels/qmv.cu", None, [("x", "T"), ("w", "uint32"), ("scales", "T"), ("biases", "T")], [("out", "T")],
        [[("T", t), ("BITS", b), ("G", g), ("M", m), ("NW", 8), ("COLS", 8 if m <= 4 else 4 if m <= 8 else 2),
          ("UNROLL", 1 if m <= 4 else 2 if m <= 8 else 4)]
         for t, b, g, m in itertools.product(FLOATS, [4, 8], [32, 64, 128], range(1, 17))]),
}
# The serial kernel (CUDA's default; the kernel before the split): also --legacy FILE checks another copy of it.
LEGACY = ("vmlx_paged_attention_serial", None, DECODE_INPUTS, [("out", "T")],
          [[("T", t), ("D", d), ("NSG", n), ("SCALE_BITS", s), ("SOFTCAP_BITS", c), ("WINDOW", w)]
           for t, d, n, (s, c, w) in itertools.product(FLOATS, HEAD_DIMS, [4, 8, 16], CONSTANTS)])
KERNELS[LEGACY[0]] = ("ffi/kernels/paged_attention_serial.cu",) + LEGACY[1:]


def cuda_type(dtype: str, targs: dict) -> str:
    return DTYPES[targs["T"]] if dtype == "T" else DTYPES[dtype]


def wrap(name: str, body: str, inputs, outputs, targs) -> str:
    """One kernel as build_kernel writes it, without the shared prefix (default header and kernel header)."""
    values = dict(targs)
    suffix = "".join(f"_{v}" for _, v in targs)
    params = []
    for arg, dtype in inputs:
        params.append(f"    const {cuda_type(dtype, values)}* {arg},\n")
        if f"{arg}_shape" in body:
            params.append(f"    const __grid_constant__ Shape {arg}_shape,\n")
        if f"{arg}_strides" in body:
            params.append(f"    const __grid_constant__ Strides {arg}_strides,\n")
        if f"{arg}_ndim" in body:
            params.append(f"    const __grid_constant__ int {arg}_ndim,\n")
    outs = [f"    {cuda_type(dtype, values)}* {arg}" for arg, dtype in outputs]
    consts = "".join(f"  using {k} = {DTYPES[v]};\n" if k == "T" else f"  constexpr int {k} = {v};\n"
                     for k, v in targs)
    src = "namespace mlx::core::cu {\n\nnamespace cg = cooperative_groups;\n\n"
    src += f"__global__ void custom_kernel_{name}{suffix}(\n" + "".join(params) + ",\n".join(outs) + ") {\n"
    src += consts + "\n" + body + "\n}\n\n} // namespace mlx::core::cu\n"
    return src, f"mlx::core::cu::custom_kernel_{name}{suffix}"


def embedded_headers() -> list[tuple[str, str]]:
    """utils.cuh and complex.cuh as libmlx embeds them (NUL-terminated strings, found by their first lines)."""
    data = (WHEEL / "lib/libmlx.so").read_bytes()
    found = []
    for header, marker in [("utils.cuh", b"// This file must not include any host-only code"),
                           ("complex.cuh", b"// Make multiplication and division faster.")]:
        at = data.find(marker)
        if at < 0:
            sys.exit(f"check-cuda-kernels: {header} not found in {WHEEL}/lib/libmlx.so")
        text = data[data.rfind(b"\0", 0, at) + 1:data.find(b"\0", at)]
        found.append((f"mlx/backend/cuda/device/{header}", text.decode("utf-8", "replace")))
    return found


class Nvrtc:
    def __init__(self, lib: Path):
        # libnvrtc dlopens its builtins by name: load them first, from beside it
        ctypes.CDLL(str(next(lib.parent.glob("libnvrtc-builtins.so.*"))), mode=ctypes.RTLD_GLOBAL)
        self.lib = ctypes.CDLL(str(lib))
        self.lib.nvrtcGetErrorString.restype = ctypes.c_char_p

    def check(self, status: int, what: str) -> None:
        if status != 0:
            raise RuntimeError(f"{what}: {self.lib.nvrtcGetErrorString(status).decode()}")

    def compile(self, source: str, names: list[str], headers, options: list[str]) -> tuple[bool, str, list[str]]:
        lib, prog = self.lib, ctypes.c_void_p()
        hs = (ctypes.c_char_p * len(headers))(*[h[1].encode() for h in headers])
        hn = (ctypes.c_char_p * len(headers))(*[h[0].encode() for h in headers])
        self.check(lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), b"check.cu", len(headers), hs, hn),
                   "nvrtcCreateProgram")
        for n in names:
            self.check(lib.nvrtcAddNameExpression(prog, n.encode()), "nvrtcAddNameExpression")
        opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
        status = lib.nvrtcCompileProgram(prog, len(options), opts)
        size = ctypes.c_size_t()
        self.check(lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size)), "nvrtcGetProgramLogSize")
        log = ctypes.create_string_buffer(size.value)
        self.check(lib.nvrtcGetProgramLog(prog, log), "nvrtcGetProgramLog")
        lowered = []
        if status == 0:
            for n in names:
                out = ctypes.c_char_p()
                self.check(lib.nvrtcGetLoweredName(prog, n.encode(), ctypes.byref(out)), "nvrtcGetLoweredName")
                lowered.append(out.value.decode())
        lib.nvrtcDestroyProgram(ctypes.byref(prog))
        return status == 0, log.value.decode(errors="replace"), lowered


def registers(log: str) -> str:
    """ptxas -v's log as one line a kernel (its template arguments from the mangled name), other lines kept."""
    lines, name, spills = [], "?", "?"
    for line in log.splitlines():
        if m := re.search(r"Compiling entry function '_ZN3mlx4core2cu\d+custom_kernel_(\w+?)E", line):
            name = m.group(1)
        elif m := re.search(r"(\d+) bytes spill stores", line):
            spills = m.group(1)
        elif m := re.search(r"Used (\d+) registers", line):
            lines.append(f"  {name}: {m.group(1)} registers, {spills} bytes spilled")
        elif "ptxas" not in line:
            lines.append(line)
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="sm_90a", help="NVRTC --gpu-architecture (MLX: sm_<cc>a on cc >= 9)")
    ap.add_argument("--legacy", type=Path, help="also check this file as the pre-split decode kernel")
    ap.add_argument("--only", help="check only this kernel name")
    ap.add_argument("--registers", action="store_true",
                    help="print each variant's registers and spill bytes (ptxas -v) instead of ptxas's log")
    args = ap.parse_args()
    site = next((ROOT / ".cache/nvrtc-venv/lib").glob("python3*/site-packages/nvidia/cu13"), None)
    if site is None or not (WHEEL / "lib/libmlx.so").exists():
        sys.exit("check-cuda-kernels: run scripts/check-cuda-kernels.sh (needs .cache/nvrtc-venv and the CUDA wheel)")
    nvrtc = Nvrtc(site / "lib/libnvrtc.so.13")
    options = ["--device-as-default-execution-space", f"--gpu-architecture={args.arch}",
               f"--include-path={WHEEL / 'include'}", f"--include-path={WHEEL / 'include/cccl'}",
               f"--include-path={site / 'include'}"] + (["--ptxas-options=-v"] if args.registers else [])
    headers = embedded_headers()
    checks = [(n, ROOT / body, header and ROOT / header, i, o, combos)
              for n, (body, header, i, o, combos) in KERNELS.items() if args.only in (None, n)]
    if args.legacy:
        n, _, i, o, combos = LEGACY
        checks.append((n, args.legacy, None, i, o, combos))
    failed = 0
    for name, body_path, header_path, inputs, outputs, combos in checks:
        body = body_path.read_text()
        prefix = DEFAULT_HEADER + (header_path.read_text() if header_path else "")
        wrapped = [wrap(name, body, inputs, outputs, c) for c in combos]
        started = time.time()
        ok, log, lowered = nvrtc.compile(prefix + "".join(w[0] for w in wrapped), [w[1] for w in wrapped], headers,
                                         options)
        took = time.time() - started
        rel = body_path.relative_to(ROOT) if body_path.is_relative_to(ROOT) else body_path
        print(f"{'ok  ' if ok else 'FAIL'} {name} ({rel}): {len(combos)} variants, {took:.1f} s")
        if args.registers:
            log = registers(log)
        if not ok or log.strip():
            print(log.strip() if args.registers else log.strip()[:6000])
        failed += 0 if ok and len(lowered) == len(combos) else 1
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
