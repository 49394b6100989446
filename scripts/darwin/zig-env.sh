# Sourced by the zig-* wrappers: finds the toolchain's zig (scripts/darwin/toolchain.sh) and keeps zig's caches
# under .cache/darwin-toolchain, beside it.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=pins.env
source "$_root/scripts/darwin/pins.env"
_dir="$_root/.cache/darwin-toolchain/zig-$ZIGLANG_VERSION-lief-$LIEF_VERSION"
if [ ! -f "$_dir/.complete" ]; then
  echo "zig: the darwin toolchain is missing; run: bash scripts/darwin/toolchain.sh" >&2
  exit 1
fi
ZIG="$_dir/zig"
export ZIG_GLOBAL_CACHE_DIR="$_root/.cache/darwin-toolchain/zig-cache"
export ZIG_LOCAL_CACHE_DIR="$ZIG_GLOBAL_CACHE_DIR"
