#!/usr/bin/env bash
# Device side of scripts/device/stage.sh. Call 1: `bash scripts/device/unstage.sh p1` keeps part 1 in /tmp/vm.
# Call 2: `bash scripts/device/unstage.sh p2` assembles the CUDA wheel layout and Bun. Call 3:
# `source scripts/device/unstage.sh p3` unpacks node_modules, the tokenizers and the Python wheels, and exports
# PATH, LD_LIBRARY_PATH and VLLM_MLX_BACKEND=cuda for the commands that follow. Later calls on the same warm
# machine: `source scripts/device/unstage.sh env`.
set -o pipefail
stage=/tmp/vm
mkdir -p "$stage"
# Exports what later commands need: Bun on PATH, the image's CUDA libraries, Python mlx in /tmp/site.
device_env() {
  v="$(cat scripts/mlx-version.txt)"
  w=".cache/mlx/$v/cuda"
  nv="$(python3 -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null || true)"
  libs="$(find "${nv:-/opt/torch/.venv}" -path '*nvidia*' -name 'lib' -type d 2>/dev/null | tr '\n' ':')"
  export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:-}"
  export PATH="/tmp/vm/bin:$PATH" VLLM_MLX_BACKEND=cuda
  # Python mlx + mlx-lm in /tmp/site, sharing our libmlx, its vendored libs, CCCL headers and the image's CUDA libs.
  if [ ! -f /tmp/site/mlx/lib/libmlx.so ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$stage"/wheels/*.whl
    mkdir -p /tmp/site/mlx/lib /tmp/site/mlx/include
    cp "$w/mlx/lib/libmlx.so" /tmp/site/mlx/lib/libmlx.so
  fi
  for d in cccl cute cutlass; do ln -sfn "$PWD/$w/mlx/include/$d" "/tmp/site/mlx/include/$d"; done
  ln -sfn "$PWD/$w/mlx_cuda_13.libs" /tmp/site/mlx_cuda_13.libs
  [ -n "$nv" ] && ln -sfn "$nv/nvidia" /tmp/site/nvidia
  export PYTHONPATH=/tmp/site PYTHON_MLX=python3
}

# q2/p2: libmlx from its two parts, the wheel's other files and libvmlx, Bun.
assemble() {
  v="$(cat scripts/mlx-version.txt)"
  w=".cache/mlx/$v/cuda"
  mkdir -p "$w/mlx/lib" /tmp/vm/bin
  cat "$stage"/libmlx.part.* | xz -T0 -d > "$w/mlx/lib/libmlx.so"
  xz -T0 -d -c "$stage/wheel-rest.tar.xz" | tar -C "$w" -xf -
  xz -T0 -d -c "$stage/bun.xz" > /tmp/vm/bin/bun && chmod +x /tmp/vm/bin/bun
  echo "unstage: libmlx $(du -h "$w/mlx/lib/libmlx.so" | cut -f1), bun $(/tmp/vm/bin/bun --version)"
}

# q3/p3: node_modules and the tokenizers into the tree, the Python wheels into /tmp/site, then device_env.
runtime() {
  xz -T0 -d -c "$1" | tar -xf -
  xz -T0 -d -c "$stage/tokenizers.tar.xz" | tar -xf -
  rm -rf /tmp/site
  device_env
  echo "unstage: node_modules $(ls node_modules | wc -l) entries, python mlx $(python3 -c 'import mlx.core as m; print(m.__version__)')"
}

case "${1:?p1, p2, p3, q1, q2, q3, q3s or env}" in
  env) device_env ;;
  p1) cp .dev/p1/* "$stage/" && ls -la "$stage" ;;
  q1) cp .dev/q1/* "$stage/" && ls -la "$stage" ;;
  p2) cp -r .dev/p2/* "$stage/" && assemble ;;
  q2) cp -r .dev/q2/* "$stage/" && assemble ;;
  p3)
    mkdir -p "$stage/wheels"
    cp .dev/p3/wheels/* "$stage/wheels/"
    cp .dev/p3/tokenizers.tar.xz "$stage/"
    runtime .dev/p3/node_modules.tar.xz
    ;;
  q3s)
    # q3 without mlx-vlm's wheels (h100.sh parts other than vlm): .dev/q3s holds q3's node_modules.tar.xz alone.
    runtime .dev/q3s/node_modules.tar.xz
    ;;
  q3)
    # (q2 left the wheels and the tokenizers in the stage.) mlx-vlm's wheels go to /tmp/site-vlm for h100.sh vlm.
    runtime .dev/q3/node_modules.tar.xz
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site-vlm .dev/q3/vlm-wheels/*.whl
    ;;
esac
