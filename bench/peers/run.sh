#!/usr/bin/env bash
# Starts each server in turn on the same model directory and runs `vllm-mlx bench serve` against it.
# The order rotates across runs; bench/peers/compare.ts takes medians over runs and writes the table.
#
#   bash bench/peers/run.sh .cache/bench-models/qwen3-0.6b-4bit-l4 .cache/peers-out
#
# Env: RUNS (3), INPUT_LEN (32), OUTPUT_LEN (8), NUM_PROMPTS (4), PROMPTS_PER_CONCURRENCY (1), WARMUP (1 per
#      slot), CONCURRENCY (1,2), SERVERS (all four),
#      ORACLE_PY (python with mlx-lm 0.32.2), PEERS_VENV (venv with vllm-mlx), START_TIMEOUT (180 s).
set -uo pipefail
cd "$(dirname "$0")/../.."
MODEL_DIR=$(realpath "${1:?usage: run.sh MODEL_DIR OUT_DIR}")
OUT=${2:?usage: run.sh MODEL_DIR OUT_DIR}
mkdir -p "$OUT"
RUNS=${RUNS:-3}
ORACLE_PY=${ORACLE_PY:-/work/main/.cache/oracle-venv/bin/python}
PEERS_VENV=${PEERS_VENV:-.cache/peers-venv}
SERVERS=${SERVERS:-"vllm-mlx-ts mlx-lm vllm-mlx-py vllm-mlx-py-cb"}
PORT=${PORT:-8190}
export PATH=$PWD/.tools/bin:$PATH
US=(dist/vllm-mlx); [[ -x dist/vllm-mlx ]] || US=(bun src/cli/main.ts)

server_cmd() {
  case "$1" in
    vllm-mlx-ts) echo "${US[*]} serve $MODEL_DIR --host 127.0.0.1 --port $PORT" ;;
    mlx-lm) echo "$ORACLE_PY -m mlx_lm server --model $MODEL_DIR --host 127.0.0.1 --port $PORT" ;;
    vllm-mlx-py) echo "$PEERS_VENV/bin/vllm-mlx serve $MODEL_DIR --host 127.0.0.1 --port $PORT" ;;
    vllm-mlx-py-cb) echo "$PEERS_VENV/bin/vllm-mlx serve $MODEL_DIR --host 127.0.0.1 --port $PORT --continuous-batching" ;;
    *) echo "unknown server $1" >&2; return 1 ;;
  esac
}

run_one() {
  local name=$1 run=$2 log="$OUT/$1.run$2.server.log" pid ready=0
  local cmd; cmd=$(server_cmd "$name") || return
  echo "== run $run: $name: $cmd" | tee -a "$OUT/commands.txt"
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "port $PORT is already serving: refusing to measure a stale server" | tee "$OUT/$name.run$run.txt"
    return
  fi
  setsid $cmd > "$log" 2>&1 &
  pid=$!
  current_pid=$pid
  for _ in $(seq 1 "${START_TIMEOUT:-180}"); do
    # Ready: /health says so (ours answers 503 while the weights load), or the server has no /health route.
    health=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/health")
    if [[ $health == 200 || ( $health == 404 && $(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/v1/models") == 200 ) ]]; then
      ready=1; break
    fi
    kill -0 "$pid" 2> /dev/null || break
    sleep 1
  done
  if [[ $ready == 1 ]]; then
    bun src/cli/main.ts bench serve --url "http://127.0.0.1:$PORT" --model "$MODEL_DIR" \
      --input-len "${INPUT_LEN:-32}" --output-len "${OUTPUT_LEN:-8}" --num-prompts "${NUM_PROMPTS:-4}" \
      --concurrency "${CONCURRENCY:-1,2}" --prompts-per-concurrency "${PROMPTS_PER_CONCURRENCY:-1}" \
      --warmup "${WARMUP:-1}" --seed "$run" --output "$OUT/$name.run$run.json" \
      > "$OUT/$name.run$run.txt" 2>&1
    tail -n +1 "$OUT/$name.run$run.txt"
  else
    echo "$name did not start; last lines of its log:" | tee "$OUT/$name.run$run.txt"
    tail -5 "$log" | tee -a "$OUT/$name.run$run.txt"
  fi
  curl -sf "http://127.0.0.1:$PORT/metrics" > "$OUT/$name.run$run.metrics.txt" 2> /dev/null || rm -f "$OUT/$name.run$run.metrics.txt"
  kill -- -"$pid" 2> /dev/null; wait "$pid" 2> /dev/null
  sleep 2
}

# A killed run (timeout, Ctrl-C) must not leave a server holding the port for the next one.
current_pid=""
trap '[[ -n $current_pid ]] && kill -- -"$current_pid" 2> /dev/null; exit 143' INT TERM
read -ra LIST <<< "$SERVERS"
for run in $(seq 1 "$RUNS"); do
  n=${#LIST[@]}
  for i in $(seq 0 $((n - 1))); do
    run_one "${LIST[$(((i + run - 1) % n))]}" "$run"
  done
done
bun bench/peers/compare.ts "$OUT" "$MODEL_DIR" > "$OUT/table.md"
cat "$OUT/table.md"
