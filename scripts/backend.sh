#!/usr/bin/env bash
# Prints the MLX backend for this machine: $VLLM_MLX_BACKEND if set, else metal on macOS,
# cuda where an NVIDIA driver answers, else cpu.
set -euo pipefail
if [ -n "${VLLM_MLX_BACKEND:-}" ]; then
  case "$VLLM_MLX_BACKEND" in cpu|cuda|metal) echo "$VLLM_MLX_BACKEND"; exit 0 ;;
  *) echo "unknown VLLM_MLX_BACKEND '$VLLM_MLX_BACKEND' (expected cpu, cuda or metal)" >&2; exit 2 ;; esac
fi
if [ "$(uname -s)" = "Darwin" ]; then echo metal
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then echo cuda
else echo cpu; fi
