#!/usr/bin/env bash
# Parity against mlx-vlm (PyPI, pinned) for the VLM families: writes random-weight fixtures for every arch
# (fp32 and 4-bit) with `bun scripts/fixtures.ts vlm`, runs mlx-vlm on them (scripts/parity/vlm-oracle.py for
# Qwen-VL: its processor's inputs, tower features, first-step logits, 32 greedy tokens;
# scripts/parity/vlm_gemma3_llava.py for Gemma 3 and LLaVA: projected features, first-step logits, 32 greedy
# tokens), then compares with ours.
# Ends with "parity-vlm: N/N fixtures match mlx-vlm".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
python="$(bash scripts/vlm-venv.sh)"
out=.cache/parity-vlm
rm -rf "$out"
for arch in qwen2_vl qwen2_5_vl qwen3_vl; do
  bun scripts/fixtures.ts vlm --arch "$arch" --out "$out/$arch-fp32" --seed 1
  bun scripts/fixtures.ts vlm --arch "$arch" --out "$out/$arch-q4" --bits 4 --seed 2
done
images=.cache/parity-vlm-gemma-llava
rm -rf "$images"
for arch in gemma3 llava; do
  bun scripts/fixtures.ts vlm --arch "$arch" --out "$images/$arch-fp32" --seed 5 --tiny-vocab
  bun scripts/fixtures.ts vlm --arch "$arch" --out "$images/$arch-q4" --bits 4 --seed 6 --tiny-vocab
done
# Preprocessing first: pixel values, grids and image-token counts of every family's processor on generated images.
bun scripts/parity-vlm-preprocess.ts "$python" .cache/parity-vlm-preprocess
"$python" scripts/parity/vlm-oracle.py --fixtures "$out" --steps 32
"$python" scripts/parity/vlm_gemma3_llava.py --out "$images" --existing
bun scripts/parity-vlm.ts "$out" "$images"
