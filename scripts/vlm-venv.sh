#!/usr/bin/env bash
# The mlx-vlm oracle venv shared by the VLM parity runs: .cache/vlm-venv with mlx-vlm[cpu]==0.7.10 and
# mlx[cpu]==0.32.4 (PyPI, pinned), marked done by .cache/vlm-venv/.ok-0.7.10. Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
MLX_VLM_VERSION=0.7.10
MLX_VERSION=0.32.4
venv=.cache/vlm-venv
source scripts/pinned-venv.sh
pinned_venv "$venv" "$MLX_VLM_VERSION" vlm-venv "mlx-vlm[cpu]==$MLX_VLM_VERSION" "mlx[cpu]==$MLX_VERSION"
echo "$venv/bin/python"
