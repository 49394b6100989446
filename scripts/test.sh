#!/usr/bin/env bash
# The test command: every `bun test` suite, then the mlx-lm parity run when its Python oracle is present, then the
# reliability suite's short form.
# Ends with one plain line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

bun test --timeout 60000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # a crash or load error counts as a failure

if [ "$#" -eq 0 ] && [ -x scripts/parity.sh ]; then
  if bash scripts/parity.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

# The reliability suite's short form (bench/reliability/README.md): its hard invariants count as one check.
if [ "$#" -eq 0 ]; then
  if bun bench/reliability/run.ts --short; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
