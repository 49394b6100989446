#!/usr/bin/env bash
# Parity against mlx-lm (PyPI, pinned) on the same weights: makes a Python venv with the oracle, generates
# random-weight fixtures for every family (fp32 and 4-bit), runs mlx-lm on them, then compares with ours.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
MLX_VERSION="$(cat scripts/mlx-version.txt)"
MLX_LM_VERSION=0.32.2
venv=.cache/oracle-venv
source scripts/pinned-venv.sh
pinned_venv "$venv" "$MLX_VERSION-$MLX_LM_VERSION" parity "mlx[cpu]==$MLX_VERSION" "mlx-lm==$MLX_LM_VERSION"
rm -rf .cache/parity
"$venv/bin/python" scripts/parity/oracle.py --out .cache/parity --steps 64
bun scripts/parity.ts .cache/parity
