#!/usr/bin/env bash
# NVRTC compile check of ffi/kernels/*.cu without a GPU (scripts/check-cuda-kernels.py): makes .cache/nvrtc-venv
# with NVRTC and the CUDA runtime headers from PyPI (pinned, CUDA 13 as mlx-cuda-13 needs), fetches the CUDA wheel
# of MLX (its CCCL headers and the device headers libmlx embeds), then checks every variant the host launches.
#   bash scripts/check-cuda-kernels.sh [--legacy FILE] [--only NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
NVRTC_VERSION=13.0.88
CUDART_VERSION=13.0.96
venv=.cache/nvrtc-venv
source scripts/pinned-venv.sh
pinned_venv "$venv" "$NVRTC_VERSION-$CUDART_VERSION" check-cuda-kernels \
  "nvidia-cuda-nvrtc==$NVRTC_VERSION" "nvidia-cuda-runtime==$CUDART_VERSION"
bash scripts/fetch-mlx.sh cuda >/dev/null
exec "$venv/bin/python" scripts/check-cuda-kernels.py "$@"
