#!/usr/bin/env bash
# The runs made on the lent H100 (CUDA backend), one part per device call, after scripts/device/unstage.sh.
# Every log and result goes to $OUT. Parts:
#   correctness  op tests, paged-attention conformance, EngineCore (16 concurrent == solo) on the GPU
#   ffi          FFI and op benchmarks against MLX's Python package (both on the GPU)
#   generation   single-stream prefill/decode against mlx_lm (0.6B and 1B shapes, 4- and 8-bit)
#   engine       prefix-hit TTFT, batching gain (8 vs 1), EngineCore vs generate() at one request
#   single       EngineCore at one request, async scheduling on and off, against generate()
#   block        the fused paged attention block (VLLM_MLX_PAGED_BLOCK=off|on): FFI calls a step, EngineCore/generate()
#   profile      a step's time phase by phase (decode-only and mixed steps), Qwen3-0.6B shapes, batch 8
#   s7engine     session 7: EngineCore/generate() and the 0.6B prefix hit under graph settings and layer-group queueing
#   s7gen8b      session 7: Llama-3.1-8B shapes against mlx-lm under graphs and direct launches, then our qmv kernel
#   s8prefix     session 7: engine tests on the card, then the 0.6B prefix hit with steps from idle queued in groups
#   s8serve      session 7: served 0.6B against mlx_lm.server at c=1 and 8 with this session's defaults
#   s9gap        EngineCore at one request against generate(): both steps' primitives on the card, the engine's phases
#   s10direct    our kernels launched directly (ffi/src/cuda/direct.cpp, the default) against MLX's custom kernels
#                (VLLM_MLX_CUDA_LAUNCH=mlx): the paged and engine tests on the card, then EngineCore/generate() and the
#                prefix hit under each, alternating
#   s10struct    decode with a JSON schema over without under each launch path (the bitmask pinned with direct)
#   s11a         session 8's final code on the card: the paged, engine, grammar-bitmask and multimodal-engine tests, then
#                the split-K kernel's whole test file (VLLM_MLX_PAGED_KERNEL=split)
#   s11b         Llama-3.1-8B shapes against mlx-lm: MLX's 4-bit op, then our qmv kernel (launched directly, no reshapes
#                around it since session 8); the qmv kernel's GPU tests after
#   s11c         the chunk kernel's tests on the card, then the 2048-token prefix hit with it (the default), with the serial
#                kernel a row (VLLM_MLX_PAGED_CHUNK=off) and the split kernel; a hit's phases with and without it
#   s12          the hit's products at 1/8/16 rows (MLX's op, our qmv kernel) and its attention; the prefix hit with
#                each product; the qmv kernel's 4-bit cases on the card
#   s14          session 9's later kernels on the card: chunk cases (query rounds, pads), split partitions, prefix tests
#   s15          the engine's tests with our qmv kernel from 9 rows up (VLLM_MLX_QMV=9)
#   s12q         s12 for a short lease: the hit's products and attention, the prefix hit under VLLM_MLX_QMV unset, 9, kernel
#   chunkbench   no staging needed: the chunk kernel and merge against .dev/chunk-old's bodies (carried), nvcc and CUDA events
#   qmvbench     no staging needed: the qmv kernel at one row of Llama-3.1-8B's products and a whole token of them (split as
#                the checkpoint, and stacked as the engine loads them since session 13), every layout against the
#                launcher's, against the card's read bandwidth (nvcc and CUDA events)
#   s16          the rewritten chunk kernel and merge: conformance cases, the hit's attention, the prefix hit against split
#   s18          s16 for a short lease: the conformance cases, then the prefix hit (default, split, default)
#   s16e         the engine's prefix and paged tests over them
#   s17          a lone decode row at 2K and 8K keys through the chunk kernel (VLLM_MLX_PAGED_CHUNK=decode) or not
#   s13          Llama-3.1-8B shapes against mlx-lm with our qmv kernel (issue 12's 8B figure)
#   s19          session 13 (q, k and v stacked into one product): the 2048-token prefix hit, default, three times
#   s19g         session 13: Llama-3.1-8B shapes against mlx-lm, MLX's 4-bit op for one row (default), then our qmv kernel
#   build        FFI calls and host graph-building ms of one step's forward, Llama-3.1-8B shapes (32 layers), 4-bit:
#                generate()'s decode, the engine's batch-8 decode and mixed steps
#   prefix       a prefix hit's step phase by phase under each prefill attention path, then hit/cold TTFT with each
#   serving      us against mlx_lm.server, concurrency 1..64; ARCH (qwen3-0.6b | llama-3.2-1b), BITS (4 | 8)
#   structured   decode tok/s with a JSON schema over without, same prompt (EngineCore, Qwen3-0.6B shapes, Qwen3 vocabulary)
#   vlm          bench/vlm against mlx-vlm (Qwen2.5-VL-3B / Qwen3-VL-4B widths, full depth, 4-bit), then the repeated-image
#                TTFT through `serve`; needs .dev/p4 (mlx-vlm and its wheels, `bash scripts/device/stage.sh vlm`) carried
#   grammar-thread  the grammar thread's tests on the card, then decode with a JSON schema over without, the matchers on
#                the model thread ("") and on the grammar thread (--thread), alternating twice (masks ms/token: the
#                model thread's wait for the thread's mask plus its copy)
#   session4     round 2 session 4's changes (~3 min): the paged, qmv and engine tests, decode with a schema
#   prefix8b     prefix-hit over cold TTFT at Llama-3.1-8B shapes (4-bit, 32 layers)
#   structured5  session4's decode with a schema over without, alone (no tests)
#   graphs       ours at one request (0.6B, 8B shapes) under MLX's CUDA graphs, direct launches, one graph a step
#   split        the split-K paged kernel (VLLM_MLX_PAGED_KERNEL=split) under the paged and engine tests
#   session4b    then (~5 min): EngineCore/generate(), the prefix hit, serving c=1/8 against mlx_lm.server
#   pending      what session 3 changed and could not measure, in one call (~8 min): correctness, then structured,
#                block and prefix, each under its own time limit
#   ttft         where serve's time to first token goes at 1 and 8 concurrent (bench/serve-ttft.ts, VLLM_MLX_TRACE marks):
#                ARCH (qwen3-0.6b | llama-3.2-1b), BITS (4 | 8) random-weight shapes with the real tokenizer, phase medians,
#                the last burst's step timeline, EngineCore's own TTFT beside them
#   roofline     the 8B decode's matrix-vector products on the card (bench/cuda/qmv-roofline.ts): GB/s a shape, MLX's
#                4-bit kernel beside a bf16 gemv, and a primitive's floor (host µs in async_eval, device µs)
#   qmv          our 4/8-bit matrix-vector kernel (VLLM_MLX_QMV=kernel): its tests on the card, the roofline with it
#   gen8b        Llama-3.1-8B shapes 4-bit single stream against mlx-lm, with MLX's 4-bit op and with our kernel
#   step-inputs  a step's int32 inputs from one host array (views) and RoPE at the positions array (no host scalars in
#                fast::rope): the engine's tests on the card, a host-made array's cost in a GPU graph, EngineCore/generate()
#                with VLLM_MLX_STEP_INPUTS=separate (as before) and packed, alternating
set -uo pipefail
cd "$(dirname "$0")/../.."
part="${1:?a part named in the header}"
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
# Served Qwen3-0.6B 4-bit (random weights, made once) against mlx_lm.server at c=1 and 8, within $1 seconds.
serve_06b_c1_c8() {
  local model=/tmp/models/qwen3-0.6b-4bit-served
  [ -f "$model/config.json" ] || python3 bench/peers/make-model.py --arch qwen3-0.6b --bits 4 --out "$model" > "$OUT/make-model.log" 2>&1
  SERVERS="vllm-mlx-ts mlx-lm" ORACLE_PY=python3 RUNS=1 INPUT_LEN=128 OUTPUT_LEN=64 NUM_PROMPTS=4 PROMPTS_PER_CONCURRENCY=2 \
    CONCURRENCY=1,8 timeout "$1" bash bench/peers/run.sh "$model" /tmp/serving-out > "$OUT/serving.log" 2>&1
  tail -8 "$OUT/serving.log"
}
# The 2048-token prefix hit over cold TTFT under each environment given ("" is the default), one after another, each
# within $1 seconds and over $2 rounds, into $OUT/prefix-ttft.log.
prefix_hits() {
  local limit="$1" rounds="$2" v
  shift 2
  for v in "$@"; do
    echo "== ${v:-default}" | tee -a "$OUT/prefix-ttft.log"
    env $v timeout "$limit" bun bench/engine-batching.ts --prefix 2048 --rounds "$rounds" --prefix-only 2>&1 \
      | tee -a "$OUT/prefix-ttft.log" | grep -E "^prefix|rounds"
  done
}
case "$part" in
  correctness)
    MLX_ENABLE_TF32=0 bun test --timeout 180000 src/mlx src/engine/paged src/engine/core src/engine/engine-core src/engine/runner \
      src/engine/multimodal/mm-engine.test.ts src/engine/multimodal/mm-engine-image.test.ts src/engine/sampling \
      src/engine/structured/grammar-bitmask.test.ts \
      > "$OUT/correctness.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/correctness.log"
    ;;
  ffi)
    BENCH_DEVICE=gpu BENCH_ROUNDS=3 PYTHON_MLX=python3 BENCH_OUT="$OUT/ffi-h100.json" bun bench/ffi/run.ts 2>&1 | tee "$OUT/ffi.log" | tail -20
    ;;
  generation)
    bun bench/generation/run.ts --models "${GEN_MODELS:-qwen3-0.6b:4,qwen3-0.6b:8,llama-3.2-1b:4,llama-3.2-1b:8}" \
      --prompt 512 --decode 256 --runs 3 --backend cuda --models-dir /tmp/models 2>&1 | tee "$OUT/generation.log" | tail -30
    cp bench/generation/results.json "$OUT/generation-h100.json" 2>/dev/null
    cp bench/generation/RESULTS.md "$OUT/generation-h100.md" 2>/dev/null
    ;;
  engine)
    bun bench/engine-batching.ts --layers 28 --prefix 2048 --tokens 64 --concurrency 8 --rounds 3 2>&1 | tee "$OUT/engine-batching.log" | tail -5
    bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 3 2>&1 | tee "$OUT/engine-single.log" | tail -5
    ;;
  single)
    for flag in "" --sync; do
      bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 3 $flag 2>&1 | tee -a "$OUT/engine-single.log" | tail -4
    done
    ;;
  block)
    # The fused paged attention block (vmlx_paged_attention_block) against the step-by-step calls, same card.
    bun bench/engine-step-calls.ts --layers 14 2>&1 | tee "$OUT/engine-block.log"
    for m in off on off on; do
      echo "VLLM_MLX_PAGED_BLOCK=$m" | tee -a "$OUT/engine-block.log"
      VLLM_MLX_PAGED_BLOCK=$m bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 3 2>&1 | tee -a "$OUT/engine-block.log" | tail -2
    done
    ;;
  serving)
    arch="${ARCH:-qwen3-0.6b}" bits="${BITS:-4}"
    model="/tmp/models/$arch-${bits}bit-served"
    [ -f "$model/config.json" ] || python3 bench/peers/make-model.py --arch "$arch" --bits "$bits" --out "$model" > "$OUT/make-model.log" 2>&1
    SERVERS="vllm-mlx-ts mlx-lm" ORACLE_PY=python3 RUNS="${RUNS:-3}" INPUT_LEN="${INPUT_LEN:-128}" OUTPUT_LEN="${OUTPUT_LEN:-128}" \
      NUM_PROMPTS="${NUM_PROMPTS:-4}" PROMPTS_PER_CONCURRENCY="${PROMPTS_PER_CONCURRENCY:-2}" \
      CONCURRENCY="${CONCURRENCY:-1,2,4,8,16,32,64}" bash bench/peers/run.sh "$model" "$OUT/serving-$arch-${bits}bit" \
      > "$OUT/serving-$arch-${bits}bit.log" 2>&1
    tail -40 "$OUT/serving-$arch-${bits}bit.log"
    ;;
  structured)
    # Host µs of one masked sample, the op-by-op mask against the native one (vmlx_apply_token_bitmask), on the card
    bun bench/structured/masked-sample-host.ts --iters 300 2>&1 | tee -a "$OUT/structured.log" | tail -3
    # --plain: xgrammar's own grammar, without the lookaheads on bounded repetitions (the figure before them)
    for flag in "" --sync --plain; do
      bun bench/structured/engine-decode.ts --layers 28 --prompt 128 --tokens 128 --rounds 5 $flag 2>&1 | tee -a "$OUT/structured.log" | tail -2
    done
    ;;
  grammar-thread)
    bun test src/engine/structured/grammar-thread.test.ts src/engine/worker/worker-loop-grammar.test.ts 2>&1 | grep -v WARNING | tee "$OUT/grammar-thread-tests.log" | tail -8
    for flag in "" --thread "" --thread; do
      bun bench/structured/engine-decode.ts --layers 28 --prompt 128 --tokens 128 --rounds 5 $flag 2>&1 | grep -v WARNING | tee -a "$OUT/grammar-thread.log" | tail -2
    done
    ;;
  vlm)
    if [ ! -d /tmp/site-vlm/mlx_vlm ]; then
      python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site-vlm .dev/p4/wheels/*.whl || exit 1
    fi
    export PYTHONPATH="/tmp/site:/tmp/site-vlm"
    PYTHON_MLX_VLM=python3 bun bench/vlm/run.ts --backend cuda --archs "${VLM_ARCHS:-qwen2_5_vl,qwen3_vl}" --precisions "${VLM_PRECISIONS:-4bit}" \
      --image "${VLM_IMAGE:-1024x1024}" --max-tokens 128 --rounds "${VLM_ROUNDS:-3}" --text-layers 36 --vision-layers full \
      --models-dir /tmp/bench-vlm --out "$OUT" 2>&1 | tee "$OUT/vlm.log" | tail -30
    for arch in ${VLM_TTFT_ARCHS-qwen2_5_vl qwen3_vl}; do  # set and empty: none
      bun bench/vlm/cache-ttft.ts --model "/tmp/bench-vlm/$arch-t36-vfull-4bit" --image "${VLM_IMAGE:-1024x1024}" --rounds 3 \
        2>&1 | tee -a "$OUT/vlm-cache-ttft.log" | tail -8
    done
    ;;
  prefix)
    bun bench/engine-step-profile.ts --layers 28 --steps 16 --only hit --prefix 2048 --hit 16 --dtype bfloat16 2>&1 \
      | tee "$OUT/prefix-profile.log" | grep -E "^(machine|prefill)"
    for mode in default dense; do
      VLLM_MLX_PAGED_PREFILL=$mode bun bench/engine-batching.ts --layers 28 --prefix 2048 --tokens 64 --concurrency 8 \
        --rounds 5 2>&1 | tee -a "$OUT/prefix-ttft.log" | grep -E "^(prefix|  rounds)"
    done
    ;;
  pending)
    here="$(dirname "$0")/h100.sh"
    timeout 240 bash "$here" correctness
    timeout 120 bash -c "bun bench/structured/masked-sample-host.ts --iters 300 | tail -3; for f in '' --plain; do bun bench/structured/engine-decode.ts --layers 28 --prompt 128 --tokens 128 --rounds 5 \$f | tail -1; done" 2>&1 | tee "$OUT/structured.log"
    timeout 120 bash "$here" block 2>&1 | grep -E "FFI|ratio|BLOCK"
    timeout 100 bash "$here" prefix
    ;;
  step-inputs)
    MLX_ENABLE_TF32=0 timeout 240 bun test --timeout 180000 src/engine/paged src/engine/engine-core src/engine/runner \
      > "$OUT/step-inputs-tests.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/step-inputs-tests.log"
    timeout 120 python3 bench/cuda/host_arrays.py --ops 560 --rounds 15 2>&1 | tee "$OUT/host-arrays.log"
    # VLLM_MLX_STEP_INPUTS=separate: the step's inputs as before (three host arrays, RoPE at a number), same card
    for m in separate packed separate packed; do
      echo "VLLM_MLX_STEP_INPUTS=$m" | tee -a "$OUT/engine-single.log"
      VLLM_MLX_STEP_INPUTS=$m bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 3 2>&1 \
        | tee -a "$OUT/engine-single.log" | tail -2
    done
    ;;
  ttft)
    arch="${ARCH:-qwen3-0.6b}" bits="${BITS:-4}"
    model="/tmp/models/$arch-${bits}bit-served"
    [ -f "$model/config.json" ] || python3 bench/peers/make-model.py --arch "$arch" --bits "$bits" --out "$model" > "$OUT/make-model.log" 2>&1
    bun bench/serve-ttft.ts --model "$model" --kv-mib 2048 --input-len 128 --output-len 64 --concurrency 8 --rounds "${ROUNDS:-5}" \
      --timeline --log "$OUT/serve-ttft-server.log" 2>&1 | tee "$OUT/serve-ttft-$arch-${bits}bit.log" | tail -60
    ;;
  session4)
    # Round 2 session 4's changes: packed step inputs on the card, decode with a schema (matchers in-thread and on
    # the grammar thread); session4b: EngineCore/generate(), the prefix hit, and serving against mlx_lm.server at
    # c=1 and 8 (the stats probe no longer empties MLX's cache every served step).
    # The default (serial) paged kernel and our matrix-vector kernel under the engine's tests (split-K: part split)
    MLX_ENABLE_TF32=0 timeout 170 bun test --timeout 160000 src/mlx/ops/paged.test.ts src/mlx/ops/nn-quantized-gpu.test.ts \
      src/engine/paged src/engine/engine-core src/engine/runner > "$OUT/correctness.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/correctness.log"
    for flag in "" --thread; do
      timeout 60 bun bench/structured/engine-decode.ts --layers 28 --prompt 128 --tokens 128 --rounds 3 $flag 2>&1 \
        | grep -v WARNING | tee -a "$OUT/structured.log" | tail -2
    done
    ;;
  structured5)
    # Decode with a JSON schema over without, matchers on the grammar thread (--thread, as serve) and on the model
    # thread (""). The first run on a fresh machine compiles MLX's CUDA kernels (over a minute in session 5).
    for flag in --thread ""; do
      timeout 150 bun bench/structured/engine-decode.ts --layers 28 --prompt 128 --tokens 128 --rounds 5 $flag 2>&1 \
        | grep -v WARNING | tee -a "$OUT/structured.log" | tail -2
    done
    ;;
  graphs)
    # MLX's CUDA encoder commits every 100 nodes on sm_90 (MLX_MAX_OPS_PER_BUFFER) or ~1 GB of inputs: it builds a
    # cudaGraph node by node, updates the cached executable (cudaGraphExecUpdate) and launches it. Our steps are
    # host-bound, so against that: direct launches (MLX_USE_CUDA_GRAPHS=0) and one graph a step (1000 nodes). The
    # variables reach mlx-lm too (the same libmlx), so each line of gen8b is a fair pair.
    for v in "" "MLX_USE_CUDA_GRAPHS=0" "MLX_MAX_OPS_PER_BUFFER=1000 MLX_MAX_MB_PER_BUFFER=100000"; do
      echo "== ${v:-default}" | tee -a "$OUT/graphs.log"
      env $v timeout 80 bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 3 2>&1 \
        | tee -a "$OUT/graphs.log" | tail -4
      env $v timeout 150 bun bench/generation/run.ts --models llama-3.1-8b:4 --prompt 128 --decode 128 --runs 1 \
        --backend cuda --models-dir /tmp/models 2>&1 | tee -a "$OUT/graphs.log" | grep -E "^\| llama"
    done
    ;;
  split)
    # The split-K paged kernel (VLLM_MLX_PAGED_KERNEL=split, not yet the default) under the same tests
    VLLM_MLX_PAGED_KERNEL=split MLX_ENABLE_TF32=0 timeout 100 bun test --timeout 90000 src/mlx/ops/paged.test.ts \
      src/engine/paged src/engine/engine-core/engine-core.test.ts > "$OUT/correctness-split.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/correctness-split.log"
    ;;
  prefix8b)
    # The prefix hit at Llama-3.1-8B shapes, 4-bit, 32 layers (its cold prompt costs more than a 0.6B's, the hit about
    # one step)
    timeout 200 bun bench/engine-batching.ts --arch llama-3.1-8b --prefix 2048 --rounds 3 --prefix-only 2>&1 \
      | tee "$OUT/prefix-ttft-8b.log" | grep -E "^prefix|rounds"
    ;;
  session4b)
    timeout 75 bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 3 2>&1 | tee "$OUT/engine-single.log" | tail -2
    for k in serial split; do
      VLLM_MLX_PAGED_KERNEL=$k timeout 60 bun bench/engine-batching.ts --prefix 2048 --rounds 3 --prefix-only 2>&1 \
        | tee -a "$OUT/prefix-ttft.log" | grep -E "^prefix"
    done
    serve_06b_c1_c8 150
    ;;
  profile)
    bun bench/engine-step-profile.ts --layers 28 --batch 8 --chunk 64 --steps 24 --dtype bfloat16 2>&1 | tee "$OUT/step-profile.log" | tail -30
    ;;
  roofline)
    timeout 300 bun bench/cuda/qmv-roofline.ts 2>&1 | tee "$OUT/roofline.log" | tail -12
    ;;
  qmv)
    # Our matrix-vector kernel (ffi/kernels/qmv.cu): its tests on the card (each case compiles its variants: 20
    # cases took over 150 s in session 7), then the roofline with it and MLX's op
    MLX_ENABLE_TF32=0 timeout 280 bun test --timeout 270000 src/mlx/ops/nn-quantized-gpu.test.ts > "$OUT/qmv-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/qmv-test.log"
    timeout 150 bun bench/cuda/qmv-roofline.ts --path mlx 2>&1 | tee "$OUT/roofline-mlx.log" | tail -7
    timeout 150 bun bench/cuda/qmv-roofline.ts --path kernel --no-dense 2>&1 | tee "$OUT/roofline-kernel.log" | tail -7
    ;;
  gen8b)
    # Llama-3.1-8B shapes, 4-bit, single stream against mlx-lm: MLX's 4-bit op (VLLM_MLX_QMV unset), then our kernel
    for q in mlx kernel; do
      VLLM_MLX_QMV=$q timeout 280 bun bench/generation/run.ts --models llama-3.1-8b:4 --prompt 512 --decode 128 --runs 2 \
        --backend cuda --models-dir /tmp/models 2>&1 | tee "$OUT/gen-8b-$q.log" | grep -E "^\| llama|run [0-9]"
    done
    ;;
  s7engine)
    # 0.6B at one request (EngineCore/generate()) under MLX's graphs, direct launches, one graph a step; then the
    # 2048-token prefix hit over cold under graphs and direct launches, a step from idle queued every 7 layers or
    # as the default has it (every layer since this session; whole when it ran).
    for v in "" "MLX_USE_CUDA_GRAPHS=0" "MLX_MAX_OPS_PER_BUFFER=1000 MLX_MAX_MB_PER_BUFFER=100000"; do
      echo "== ${v:-graphs}" | tee -a "$OUT/engine-single.log"
      env $v timeout 70 bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 3 2>&1 \
        | tee -a "$OUT/engine-single.log" | tail -2
    done
    for v in "" "MLX_USE_CUDA_GRAPHS=0" "VLLM_MLX_QUEUE_LAYERS=7" "MLX_USE_CUDA_GRAPHS=0 VLLM_MLX_QUEUE_LAYERS=7"; do
      echo "== ${v:-graphs}" | tee -a "$OUT/prefix-ttft.log"
      env $v timeout 60 bun bench/engine-batching.ts --prefix 2048 --rounds 3 --prefix-only 2>&1 \
        | tee -a "$OUT/prefix-ttft.log" | grep -E "^prefix"
    done
    ;;
  s7gen8b)
    # Llama-3.1-8B shapes, 4-bit, single stream against mlx-lm (which reads the same variables) under MLX's graphs
    # and direct launches, MLX's 4-bit op; then our qmv kernel under direct launches.
    for v in "" "MLX_USE_CUDA_GRAPHS=0" "MLX_USE_CUDA_GRAPHS=0 VLLM_MLX_QMV=kernel"; do
      echo "== ${v:-graphs}" | tee -a "$OUT/gen-8b.log"
      env $v timeout 170 bun bench/generation/run.ts --models llama-3.1-8b:4 --prompt 512 --decode 128 --runs 1 \
        --backend cuda --models-dir /tmp/models 2>&1 | tee -a "$OUT/gen-8b.log" | grep -E "^\| llama"
    done
    ;;
  s8prefix)
    # The engine's tests on the card, then the 2048-token prefix hit over cold with a step from idle queued whole
    # (0, as before) and in groups of 7 (the default when it ran; 1 since), 4 and 2 layers
    MLX_ENABLE_TF32=0 timeout 100 bun test --timeout 90000 src/engine/engine-core src/engine/runner > "$OUT/correctness.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/correctness.log"
    for q in 0 "" 4 2 0 ""; do
      echo "== VLLM_MLX_QUEUE_LAYERS=${q:-default}" | tee -a "$OUT/prefix-ttft.log"
      VLLM_MLX_QUEUE_LAYERS=$q timeout 60 bun bench/engine-batching.ts --prefix 2048 --rounds 3 --prefix-only 2>&1 \
        | tee -a "$OUT/prefix-ttft.log" | grep -E "^prefix"
    done
    ;;
  s8serve)
    # Served Qwen3-0.6B 4-bit against mlx_lm.server at c=1 and 8 with this session's defaults
    serve_06b_c1_c8 200
    ;;
  s9gap)
    # EngineCore at one request trails generate() on the H100 (0.86, session 7): each decode step's primitives on the
    # card (generate()'s contiguous step, the engine's batch-1 paged step), the engine's phases at batch 1, the ratio.
    timeout 120 bun bench/generation/ffi-calls.ts --family qwen3 --layers 28 --batch 1 --vocab 32000 --steps 20 2>&1 \
      | tee "$OUT/ffi-calls-b1.log" | grep -E "^decode|primitives"
    timeout 120 bun bench/engine-step-profile.ts --layers 28 --batch 1 --steps 48 2>&1 | tee "$OUT/step-profile-b1.log" | tail -4
    # The paged kernels at batch 1 (16 blocks for Qwen3-0.6B's 16 heads; MLX's SDPA serves generate())
    for k in serial split serial split; do
      echo "== VLLM_MLX_PAGED_KERNEL=$k" | tee -a "$OUT/engine-single.log"
      VLLM_MLX_PAGED_KERNEL=$k timeout 90 bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 5 2>&1 \
        | tee -a "$OUT/engine-single.log" | tail -1
    done
    ;;
  s10direct)
    # (the split-K kernel's conformance tests, never run on a card before, under the direct launches too)
    MLX_ENABLE_TF32=0 timeout 150 bun test --timeout 120000 src/mlx/ops/paged.test.ts src/engine/paged \
      src/engine/engine-core src/engine/runner > "$OUT/correctness.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/correctness.log"
    VLLM_MLX_PAGED_KERNEL=split MLX_ENABLE_TF32=0 timeout 60 bun test --timeout 50000 src/mlx/ops/paged.test.ts \
      > "$OUT/split-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/split-test.log"
    for v in "VLLM_MLX_CUDA_LAUNCH=mlx" "VLLM_MLX_CUDA_LAUNCH=direct" "VLLM_MLX_PAGED_KERNEL=split" \
      "VLLM_MLX_CUDA_LAUNCH=mlx" "VLLM_MLX_CUDA_LAUNCH=direct" "VLLM_MLX_PAGED_KERNEL=split"; do
      echo "== $v" | tee -a "$OUT/engine-single.log"
      env $v timeout 80 bun bench/engine-single.ts --layers 28 --prompt 128 --tokens 128 --rounds 5 2>&1 \
        | tee -a "$OUT/engine-single.log" | tail -1
    done
    for v in "VLLM_MLX_CUDA_LAUNCH=mlx" "VLLM_MLX_CUDA_LAUNCH=direct" "VLLM_MLX_PAGED_KERNEL=split"; do
      echo "== $v" | tee -a "$OUT/prefix-ttft.log"
      env $v timeout 60 bun bench/engine-batching.ts --prefix 2048 --rounds 3 --prefix-only 2>&1 \
        | tee -a "$OUT/prefix-ttft.log" | grep -E "^prefix"
    done
    timeout 60 python3 bench/cuda/host_arrays.py --ops 200 --rounds 9 2>&1 | tee "$OUT/host-arrays.log" | tail -5
    ;;
  s10struct)
    # Issue 10 with the direct launches and the grammar's bitmask in pinned memory (the default) against MLX's custom
    # kernels and a managed-memory bitmask (VLLM_MLX_CUDA_LAUNCH=mlx), alternating; the bitmask test on the card first
    MLX_ENABLE_TF32=0 timeout 60 bun test src/engine/structured/grammar-bitmask.test.ts > "$OUT/bitmask-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/bitmask-test.log"
    for l in mlx direct mlx direct; do
      echo "== VLLM_MLX_CUDA_LAUNCH=$l" | tee -a "$OUT/structured.log"
      VLLM_MLX_CUDA_LAUNCH=$l timeout 110 bun bench/structured/engine-decode.ts --layers 28 --prompt 128 --tokens 256 \
        --rounds 8 --thread 2>&1 | grep -v WARNING | tee -a "$OUT/structured.log" | tail -2
    done
    ;;
  s11a)
    MLX_ENABLE_TF32=0 timeout 200 bun test --timeout 150000 src/mlx/ops/paged.test.ts src/engine/paged src/engine/engine-core \
      src/engine/runner src/engine/structured/grammar-bitmask.test.ts src/engine/multimodal/mm-engine.test.ts \
      src/engine/multimodal/mm-engine-image.test.ts > "$OUT/correctness.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/correctness.log"
    VLLM_MLX_PAGED_KERNEL=split MLX_ENABLE_TF32=0 timeout 300 bun test --timeout 290000 src/mlx/ops/paged.test.ts \
      > "$OUT/split-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/split-test.log"
    ;;
  s11b)
    for q in mlx kernel; do
      VLLM_MLX_QMV=$q timeout 200 bun bench/generation/run.ts --models llama-3.1-8b:4 --prompt 512 --decode 128 --runs 2 \
        --backend cuda --models-dir /tmp/models 2>&1 | tee "$OUT/gen-8b-$q.log" | grep -E "^\| llama|run [0-9]"
    done
    VLLM_MLX_QMV=kernel MLX_ENABLE_TF32=0 timeout 180 bun test --timeout 170000 src/mlx/ops/nn-quantized-gpu.test.ts \
      > "$OUT/qmv-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/qmv-test.log"
    ;;
  s11c)
    # The chunk kernel (ffi/kernels/paged_attention_chunk.cu) on the card first: paged op and engine tests, then the
    # 2048-token prefix hit with it (the default), without it (VLLM_MLX_PAGED_CHUNK=off: the serial decode kernel a row)
    # and with the split kernel instead, alternating; a hit's phases with and without it
    MLX_ENABLE_TF32=0 timeout 150 bun test --timeout 120000 src/mlx/ops/paged.test.ts -t "chunk of rows" \
      > "$OUT/chunk-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/chunk-test.log"
    MLX_ENABLE_TF32=0 timeout 120 bun test --timeout 100000 src/engine/paged src/engine/engine-core/engine-core-prefix.test.ts \
      > "$OUT/chunk-engine-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/chunk-engine-test.log"
    for v in "" "VLLM_MLX_PAGED_CHUNK=off" "VLLM_MLX_PAGED_CHUNK=off VLLM_MLX_PAGED_KERNEL=split" "" \
      "VLLM_MLX_PAGED_CHUNK=off" "VLLM_MLX_PAGED_CHUNK=off VLLM_MLX_PAGED_KERNEL=split"; do
      echo "== ${v:-default}" | tee -a "$OUT/prefix-ttft.log"
      env $v timeout 60 bun bench/engine-batching.ts --prefix 2048 --rounds 3 --prefix-only 2>&1 \
        | tee -a "$OUT/prefix-ttft.log" | grep -E "^prefix"
    done
    for v in "" "VLLM_MLX_PAGED_CHUNK=off"; do
      echo "== ${v:-default}" | tee -a "$OUT/prefix-profile.log"
      env $v timeout 90 bun bench/engine-step-profile.ts --layers 28 --steps 16 --only hit --prefix 2048 --hit 16 2>&1 \
        | tee -a "$OUT/prefix-profile.log" | grep -E "^(machine|prefill|hit|decode)"
    done
    ;;
  chunkbench)
    # Needs no staging: the chunk kernel and the merge against an earlier version's bodies in .dev/chunk-old (carried),
    # built with nvcc and timed with CUDA events at the 0.6B hit's shape (ffi/tests/paged_chunk_bench.cu)
    nvcc -std=c++20 -O3 -arch=sm_90a -I . -I ffi/kernels -DOLD_DIR=.dev/chunk-old -Xptxas -v \
      ffi/tests/paged_chunk_bench.cu -o /tmp/chunk-bench > "$OUT/chunk-bench-build.log" 2>&1 \
      || { tail -30 "$OUT/chunk-bench-build.log"; exit 1; }
    grep -E "registers|spill" "$OUT/chunk-bench-build.log" | sort | uniq -c | head -20
    /tmp/chunk-bench 2>&1 | tee "$OUT/chunk-bench.log"
    ;;
  qmvbench)
    # Needs no staging: the device's floor for an 8B token's products (ffi/tests/qmv_bench.cu)
    nvcc -std=c++20 -O3 -arch=sm_90a -I ffi/kernels -Xptxas -v ffi/tests/qmv_bench.cu -o /tmp/qmv-bench \
      > "$OUT/qmv-bench-build.log" 2>&1 || { tail -30 "$OUT/qmv-bench-build.log"; exit 1; }
    /tmp/qmv-bench 2>&1 | tee "$OUT/qmv-bench.log"
    ;;
  s16)
    # The chunk kernel and merge rewritten (session 11): their conformance cases on the card, the hit's attention alone,
    # then the 2048-token prefix hit with them (the default) and with the split kernel a row, alternating
    MLX_ENABLE_TF32=0 timeout 100 bun test --timeout 90000 src/mlx/ops/paged.test.ts -t "chunk of rows|split into partitions" \
      > "$OUT/chunk-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/chunk-test.log"
    timeout 40 bun bench/cuda/hit-products.ts --attention-only 2>&1 | tee "$OUT/hit-attention.log" | grep -v "^$"
    prefix_hits 75 4 "" "VLLM_MLX_PAGED_CHUNK=off VLLM_MLX_PAGED_KERNEL=split" "" "VLLM_MLX_PAGED_CHUNK=off VLLM_MLX_PAGED_KERNEL=split" ""
    ;;
  s18)
    MLX_ENABLE_TF32=0 timeout 100 bun test --timeout 90000 src/mlx/ops/paged.test.ts -t "chunk of rows|split into partitions" \
      > "$OUT/chunk-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/chunk-test.log"
    prefix_hits 100 3 "" "VLLM_MLX_PAGED_CHUNK=off VLLM_MLX_PAGED_KERNEL=split" ""
    ;;
  s16e)
    # The engine's prefix and paged tests over the rewritten chunk kernel and merge
    MLX_ENABLE_TF32=0 timeout 150 bun test --timeout 120000 src/engine/paged src/engine/engine-core/engine-core-prefix.test.ts \
      > "$OUT/chunk-engine-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/chunk-engine-test.log"
    ;;
  s17)
    # A lone decode row over a long context through the chunk kernel (VLLM_MLX_PAGED_CHUNK=decode) against the decode
    # kernel (default): the kernel cases under it, then a batch-1 decode step (and a hit) at 2,048 and 8,192 cached keys
    VLLM_MLX_PAGED_CHUNK=decode MLX_ENABLE_TF32=0 timeout 100 bun test --timeout 90000 src/mlx/ops/paged.test.ts \
      -t "split into partitions|chunk of rows" > "$OUT/chunk-decode-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/chunk-decode-test.log"
    for n in 2048 8192; do
      for v in "" "VLLM_MLX_PAGED_CHUNK=decode" "" "VLLM_MLX_PAGED_CHUNK=decode"; do
        echo "== ${v:-default}, $n" | tee -a "$OUT/decode-profile.log"
        env $v timeout 60 bun bench/engine-step-profile.ts --layers 28 --steps 16 --only hit --prefix $n --hit 16 2>&1 \
          | tee -a "$OUT/decode-profile.log" | grep -E "default: (prefix hit|decode)"
      done
    done
    ;;
  s12)
    # Where the hit's device time goes: its products at 1, 8 and 16 rows with MLX's op and with our qmv kernel (1 to 16
    # rows since session 9), and its attention (chunk kernel, a row each); the prefix hit with MLX's products and with
    # ours; the qmv kernel's cases at 4 bits, group 64 (rows 1 to 16) on the card
    timeout 80 bun bench/cuda/hit-products.ts --paths mlx,kernel 2>&1 | tee "$OUT/hit-products.log" | grep -v "^$"
    prefix_hits 70 3 "" "VLLM_MLX_QMV=kernel" "VLLM_MLX_QMV=9" "" "VLLM_MLX_QMV=kernel" "VLLM_MLX_QMV=9"
    VLLM_MLX_QMV=kernel MLX_ENABLE_TF32=0 timeout 100 bun test --timeout 90000 src/mlx/ops/nn-quantized-gpu.test.ts \
      -t "bits 4, group 64|seventeen" > "$OUT/qmv-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/qmv-test.log"
    ;;
  s14)
    # Session 9's kernels after the measured run, on the card: the chunk kernel's cases (rounds of queries over grid z,
    # pad rows), the split kernel's multi-partition cases, the engine's prefix tests (head dim 64 among them)
    MLX_ENABLE_TF32=0 timeout 150 bun test --timeout 120000 src/mlx/ops/paged.test.ts -t "chunk of rows|split into partitions" \
      > "$OUT/chunk-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/chunk-test.log"
    VLLM_MLX_PAGED_KERNEL=split MLX_ENABLE_TF32=0 timeout 120 bun test --timeout 100000 src/mlx/ops/paged.test.ts \
      -t "split into partitions" > "$OUT/split-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/split-test.log"
    MLX_ENABLE_TF32=0 timeout 120 bun test --timeout 100000 src/engine/paged src/engine/engine-core/engine-core-prefix.test.ts \
      > "$OUT/engine-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/engine-test.log"
    ;;
  s15)
    # The engine's tests with our qmv kernel for products of 9 or more rows (VLLM_MLX_QMV=9: a chunk's rows, batches past 8)
    VLLM_MLX_QMV=9 MLX_ENABLE_TF32=0 timeout 200 bun test --timeout 150000 src/engine/paged src/engine/engine-core \
      src/engine/runner > "$OUT/qmv9-engine-test.log" 2>&1
    grep -E "^\(fail\)|^ *[0-9]+ (pass|fail)$" "$OUT/qmv9-engine-test.log"
    ;;
  s12q)
    # s12 cut to what a short lease holds: the hit's products and attention, then the prefix hit with MLX's products, ours
    # from 9 rows up and ours for every product, alternating twice
    timeout 80 bun bench/cuda/hit-products.ts --paths mlx,kernel 2>&1 | tee "$OUT/hit-products.log" | grep -v "^$"
    prefix_hits 60 3 "" "VLLM_MLX_QMV=9" "VLLM_MLX_QMV=kernel" "" "VLLM_MLX_QMV=9"
    ;;
  s13)
    VLLM_MLX_QMV=kernel timeout 280 bun bench/generation/run.ts --models llama-3.1-8b:4 --prompt 512 --decode 128 --runs 2 \
      --backend cuda --models-dir /tmp/models 2>&1 | tee "$OUT/gen-8b-kernel.log" | grep -E "^\| llama|run [0-9]"
    ;;
  s19)
    prefix_hits 80 4 "" "" ""
    ;;
  s19g)
    for q in "" kernel; do
      echo "== VLLM_MLX_QMV=${q:-unset}" | tee -a "$OUT/gen-8b.log"
      VLLM_MLX_QMV=$q timeout 250 bun bench/generation/run.ts --models llama-3.1-8b:4 --prompt 512 --decode 128 --runs 2 \
        --backend cuda --models-dir /tmp/models 2>&1 | tee -a "$OUT/gen-8b.log" | grep -E "^\| llama|run [0-9]"
    done
    ;;
  build)
    bun bench/generation/ffi-calls.ts --family llama --layers 32 --vocab 128256 --steps 40 2>&1 | tee "$OUT/ffi-calls.log" | tail -8
    ;;
  *) echo "unknown part $part" >&2; exit 2 ;;
esac
