#!/usr/bin/env bash
# The test command: every `bun test` suite, then the mlx-lm and embedding parity runs, then the
# reliability suite's short form.
# Ends with one plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# The browser tests (tests/e2e/ui-browser.test.ts) drive the system's Chromium through playwright-core: installed
# here from Debian's packages when missing, never downloaded by a test, never needed to serve.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing chromium from Debian's packages (apt-get) for the browser tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "test: chromium is missing (apt-get install -y chromium); the browser tests will fail" >&2
  fi
fi

# The desktop app's window test (tests/e2e/app-window.test.ts) opens `vllm-mlx app` under Xvfb: webview-bun's
# libwebview needs WebKitGTK 6.0 (GTK 4) and the Vulkan loader, installed the same way when missing.
if ! command -v Xvfb >/dev/null 2>&1 || ! ldconfig -p 2>/dev/null | grep -q 'libwebkitgtk-6.0.so.4' || ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing xvfb and WebKitGTK from Debian's packages (apt-get) for the desktop app test"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xvfb libwebkitgtk-6.0-4 libvulkan1 >/dev/null
  else
    echo "test: Xvfb or WebKitGTK is missing (apt-get install -y xvfb libwebkitgtk-6.0-4 libvulkan1); the desktop app test will fail" >&2
  fi
fi

# Video input (src/media/video.ts) decodes with the ffmpeg executable; its tests make clips with it. Installed the
# same way when missing; serving finds it on PATH or at --ffmpeg.
if ! command -v ffmpeg >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing ffmpeg from Debian's packages (apt-get) for the video tests"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  else
    echo "test: ffmpeg is missing (apt-get install -y ffmpeg); the video tests will fail" >&2
  fi
fi

bun test --timeout 60000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a crash or load error counts as a failure

if [ "$#" -eq 0 ] && [ -x scripts/parity.sh ]; then
  if bash scripts/parity.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

# Embedding parity: the packaged all-MiniLM-L6-v2 served by us against mlx-embeddings (scripts/embed-parity.sh).
if [ "$#" -eq 0 ] && [ -x scripts/embed-parity.sh ]; then
  if bash scripts/embed-parity.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

# VLM parity: the Qwen-VL fixtures (fp32 and 4-bit, images and video) against mlx-vlm (scripts/parity-vlm.sh).
if [ "$#" -eq 0 ] && [ -x scripts/parity-vlm.sh ]; then
  if bash scripts/parity-vlm.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

# The release (scripts/release.ts): dist/vllm-mlx-linux-x64 and the darwin-arm64 binary cross-built with zig, their
# tarballs, sums and Homebrew formula; then the darwin binary's structural checks, the release's and the macOS app bundle's
# (scripts/app/app-bundle.check.ts runs bun run package:app), whose tests
# count like the suites above.
if [ "$#" -eq 0 ]; then
  if bun run release; then
    bun test --timeout 120000 ./scripts/darwin/darwin.check.ts ./packaging/homebrew/release.check.ts ./scripts/app/app-bundle.check.ts 2>&1 | tee "$log"
    release_status=${PIPESTATUS[0]}
    release_passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
    release_failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
    if [ "$release_status" -ne 0 ] && [ "$release_failed" -eq 0 ]; then release_failed=1; fi
    passed=$((passed + release_passed)); failed=$((failed + release_failed))
  else
    failed=$((failed + 1))
  fi
fi

# The reliability suite's short form (bench/reliability/README.md): its hard invariants count as one check.
if [ "$#" -eq 0 ]; then
  if bun bench/reliability/run.ts --short; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
