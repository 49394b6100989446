#!/usr/bin/env bash
# Makes .cache/nvrtc-venv (NVRTC and the CUDA runtime headers from PyPI, pinned, CUDA 13 as mlx-cuda-13 needs) and
# prints its include folder (nvidia/cu13/include: cuda.h, nvrtc.h, cuda_runtime.h). The CUDA build of libvmlx
# compiles against these headers (ffi/src/cuda/direct.cpp); scripts/check-cuda-kernels.sh uses the same venv.
#   bash scripts/cuda-headers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NVRTC_VERSION=13.0.88
CUDART_VERSION=13.0.96
CRT_VERSION=13.0.88  # crt/host_config.h, which cuda_runtime.h includes
venv=.cache/nvrtc-venv
source scripts/pinned-venv.sh
pinned_venv "$venv" "$NVRTC_VERSION-$CUDART_VERSION-$CRT_VERSION" cuda-headers \
  "nvidia-cuda-nvrtc==$NVRTC_VERSION" "nvidia-cuda-runtime==$CUDART_VERSION" "nvidia-cuda-crt==$CRT_VERSION"
include="$(ls -d "$PWD/$venv"/lib/python3*/site-packages/nvidia/cu13/include | head -1)"
test -f "$include/nvrtc.h" || { echo "cuda-headers: no nvrtc.h under $include" >&2; exit 1; }
echo "$include"
