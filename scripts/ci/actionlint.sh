#!/usr/bin/env bash
# Builds actionlint (the Go module github.com/rhysd/actionlint, pinned) on first use into .cache/actionlint
# (git-ignored) with the machine's Go toolchain, and prints the binary's path.
#   "$(bash scripts/ci/actionlint.sh)" .github/workflows/*.yml
set -euo pipefail
cd "$(dirname "$0")/../.."
ACTIONLINT_VERSION=v1.7.12
bin="$PWD/.cache/actionlint/$ACTIONLINT_VERSION/actionlint"
if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "actionlint: Go is needed to build it (https://go.dev/dl/)" >&2; exit 1; }
  echo "actionlint: go install github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
  GOBIN="$(dirname "$bin")" GOPATH="$PWD/.cache/go" GOCACHE="$PWD/.cache/go/build" GOFLAGS=-modcacherw \
    GOTOOLCHAIN=local go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
fi
echo "$bin"
