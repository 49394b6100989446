#!/usr/bin/env bash
# Fetches the darwin-arm64 cross toolchain on first use into .cache/darwin-toolchain/ (git-ignored) and prints its
# folder: a Python venv holding zig (PyPI ziglang) and LIEF, both pinned in scripts/darwin/pins.env. Only
# `bun run build --target darwin-arm64`, the release and the checks call it; serving never does.
#   bash scripts/darwin/toolchain.sh      # -> /abs/path/.cache/darwin-toolchain/zig-0.17.0-lief-1.0.0
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=pins.env
source scripts/darwin/pins.env
dir="$PWD/.cache/darwin-toolchain/zig-$ZIGLANG_VERSION-lief-$LIEF_VERSION"
if [ ! -f "$dir/.complete" ]; then
  echo "darwin toolchain: installing ziglang==$ZIGLANG_VERSION and lief==$LIEF_VERSION from PyPI into $dir" >&2
  rm -rf "$dir" && mkdir -p "$dir"
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
    "ziglang==$ZIGLANG_VERSION" "lief==$LIEF_VERSION" >&2
  zig="$(ls "$dir"/venv/lib/python3*/site-packages/ziglang/zig)"
  ln -s "$zig" "$dir/zig"
  test -f "$(dirname "$zig")/lib/libc/darwin/libSystem.tbd" || { echo "darwin toolchain: zig has no libSystem.tbd" >&2; exit 1; }
  touch "$dir/.complete"
fi
echo "$dir"
