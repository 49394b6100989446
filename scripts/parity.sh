#!/usr/bin/env bash
# Parity against mlx-lm (PyPI, pinned) on the same weights: makes a Python venv with the oracle, generates
# random-weight fixtures for every family (fp32 and 4-bit), runs mlx-lm on them, then compares with ours.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
MLX_VERSION="$(cat scripts/mlx-version.txt)"
MLX_LM_VERSION=0.32.2
venv=.cache/oracle-venv
if [ ! -f "$venv/.ok-$MLX_VERSION-$MLX_LM_VERSION" ]; then
  echo "parity: installing mlx==$MLX_VERSION, mlx-lm==$MLX_LM_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "mlx[cpu]==$MLX_VERSION" "mlx-lm==$MLX_LM_VERSION"
  touch "$venv/.ok-$MLX_VERSION-$MLX_LM_VERSION"
fi
rm -rf .cache/parity
"$venv/bin/python" scripts/parity/oracle.py --out .cache/parity --steps 64
bun scripts/parity.ts .cache/parity
