#!/usr/bin/env bash
# NVRTC compile check of ffi/kernels/*.cu without a GPU (scripts/check-cuda-kernels.py): makes .cache/nvrtc-venv
# with NVRTC and the CUDA runtime headers from PyPI (pinned, CUDA 13 as mlx-cuda-13 needs), fetches the CUDA wheel
# of MLX (its CCCL headers and the device headers libmlx embeds), then checks every variant the host launches.
# With no arguments it then compiles the same kernels as ffi/src/cuda/direct.cpp wraps them
# (ffi/tests/direct_source_check.cpp).
#   bash scripts/check-cuda-kernels.sh [--legacy FILE] [--only NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/nvrtc-venv
bash scripts/cuda-headers.sh >/dev/null
bash scripts/fetch-mlx.sh cuda >/dev/null
"$venv/bin/python" scripts/check-cuda-kernels.py "$@"
# The same kernels as ffi/src/cuda/direct.cpp wraps and compiles them (direct launches, the default on CUDA).
[ $# -eq 0 ] || exit 0
site="$(ls -d "$PWD/$venv"/lib/python3*/site-packages/nvidia/cu13 | head -1)"
wheel="$PWD/.cache/mlx/$(cat scripts/mlx-version.txt)/cuda/mlx"
exe=.cache/direct-source-check
g++ -std=c++20 -O1 ffi/tests/direct_source_check.cpp -ldl -o "$exe"
LD_PRELOAD="$(ls "$site"/lib/libnvrtc-builtins.so.* | head -1)" "$exe" "$site/lib/libnvrtc.so.13" sm_90a "$PWD" \
  "$wheel/include" "$wheel/include/cccl" "$site/include" | grep -v "^ok "
