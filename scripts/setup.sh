#!/usr/bin/env bash
# One-shot set-up on a fresh machine: Bun (pinned, from npm), JS dependencies, the MLX backend wheel
# (from PyPI, pinned), our C-ABI library (CMake) and the single binary.
#   bash scripts/setup.sh            # everything
#   SKIP_BINARY=1 bash scripts/setup.sh   # no dist/vllm-mlx
# The backend comes from VLLM_MLX_BACKEND (cpu | cuda | metal), else from the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN_VERSION=1.4.5

if [ ! -x .tools/bin/bun ] || [ "$(.tools/bin/bun --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "setup: installing bun@$BUN_VERSION from npm"
  rm -rf .tools && mkdir -p .tools/bin
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "bun@$BUN_VERSION" >/dev/null
  ln -sf ../node_modules/.bin/bun .tools/bin/bun
fi
export PATH="$PWD/.tools/bin:$PATH"

# scripts/test.sh checks the release's Homebrew formula with `ruby -c`: Debian's ruby where it is missing.
if ! command -v ruby >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "setup: installing Debian's ruby (for the Homebrew formula's syntax check)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends ruby >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends ruby >/dev/null; }
fi

echo "setup: bun install"
bun install --frozen-lockfile >/dev/null
bun scripts/fetch-default-model.ts

backend="$(bash scripts/backend.sh)"
echo "setup: MLX backend $backend"
bash scripts/fetch-mlx.sh "$backend"
bun scripts/native.ts --backend "$backend"
if [ "${SKIP_BINARY:-0}" != "1" ]; then
  bun scripts/build.ts --backend "$backend"
fi
echo "setup: done"
