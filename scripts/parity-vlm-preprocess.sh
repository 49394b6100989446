#!/usr/bin/env bash
# Preprocessing parity against mlx-vlm 0.7.10 (pixel values, grids and image-token counts for every VLM family).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
python="$(bash scripts/vlm-venv.sh)"
bun scripts/parity-vlm-preprocess.ts "$python" .cache/parity-vlm-preprocess
