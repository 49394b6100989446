#!/usr/bin/env bash
# Fetches MLX's backend wheel from PyPI, pinned, without installing any Python package, and unpacks it into
# .cache/mlx/<version>/<backend>/ (git-ignored): mlx/include, mlx/lib, mlx/share/cmake and vendored libraries.
#   bash scripts/fetch-mlx.sh cpu|cuda|metal
set -euo pipefail
cd "$(dirname "$0")/.."
backend="${1:?usage: fetch-mlx.sh cpu|cuda|metal}"
version="$(cat scripts/mlx-version.txt)"
dest=".cache/mlx/$version/$backend"
if [ -f "$dest/.complete" ] && { [ "$backend" != metal ] || grep -q macosx_14_0_arm64 "$dest/.complete"; }; then
  echo "fetch-mlx: $dest present"; exit 0
fi
case "$backend" in
  cpu)   pkg=mlx-cpu;     platforms=(manylinux_2_35_x86_64 manylinux_2_35_aarch64) ;;
  cuda)  pkg=mlx-cuda-13; platforms=(manylinux_2_35_x86_64 manylinux_2_35_aarch64) ;;
  # mlx-metal has three macOS builds (minos 14.0, 15.0, 26.2); pip would pick the newest, which runs only on
  # macOS 26.2+. The 14.0 build is pinned by its platform tag (scripts/darwin/pins.env: MACOS_MIN).
  metal) pkg=mlx-metal;   platforms=(macosx_14_0_arm64) ;;
  *) echo "fetch-mlx: unknown backend '$backend'" >&2; exit 2 ;;
esac
arch="$(uname -m)"
platform_args=()
for p in "${platforms[@]}"; do
  case "$p" in *"$arch"*|*arm64*) platform_args+=(--platform "$p") ;; esac
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-mlx: $pkg==$version (${platform_args[*]})"
python3 -m pip download --quiet --no-deps --only-binary=:all: "${platform_args[@]}" -d "$tmp" "$pkg==$version"
wheel="$(ls "$tmp"/*.whl)"
rm -rf "$dest" && mkdir -p "$dest"
unzip -q "$wheel" -d "$dest"
test -d "$dest/mlx/include/mlx" || { echo "fetch-mlx: $wheel has no mlx/include" >&2; exit 1; }
basename "$wheel" > "$dest/.complete"
echo "fetch-mlx: unpacked $(basename "$wheel") into $dest"
