"""One mlx-lm generation run on a model directory, timed the way mlx_lm.stream_generate times it.

prompt_tps = prompt tokens / (start -> first generated token available)
generation_tps = generated tokens / (first token -> last token available)   (stream_generate's definition)

Prints one JSON object on stdout.

    python bench/generation/mlx_lm_gen.py --model DIR --prompt-file ids.json --max-tokens 256 [--device gpu]
"""

import argparse
import json
import platform
import time

import mlx.core as mx
from mlx_lm.generate import generate_step
from mlx_lm.utils import load_model
from pathlib import Path


def run(model, prompt_ids, max_tokens, prefill_step_size):
    prompt = mx.array(prompt_ids)
    tokens = []
    tic = time.perf_counter()
    prompt_time = 0.0
    for n, (token, _) in enumerate(
        generate_step(prompt, model, max_tokens=max_tokens, prefill_step_size=prefill_step_size)
    ):
        if n == 0:
            prompt_time = time.perf_counter() - tic
            tic = time.perf_counter()
        tokens.append(token)
        if n + 1 == max_tokens:
            break
    gen_time = time.perf_counter() - tic
    return dict(
        prompt_tokens=len(prompt_ids),
        generation_tokens=len(tokens),
        prefill_s=prompt_time,
        decode_s=gen_time,
        prompt_tps=len(prompt_ids) / prompt_time,
        generation_tps=len(tokens) / gen_time,
        tokens=tokens,
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt-file", required=True)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--prefill-step-size", type=int, default=2048)
    ap.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    ap.add_argument("--warmup", type=int, default=1, help="short warm-up generations before the timed one")
    args = ap.parse_args()
    mx.set_default_device(mx.gpu if args.device == "gpu" else mx.cpu)
    with open(args.prompt_file) as f:
        prompt_ids = json.load(f)
    model, _ = load_model(Path(args.model))
    for _ in range(args.warmup):
        run(model, prompt_ids[:16], 4, args.prefill_step_size)
    result = run(model, prompt_ids, args.max_tokens, args.prefill_step_size)
    mx.synchronize()
    result["mlx_version"] = mx.__version__
    result["device"] = str(mx.default_device())
    result["python"] = platform.python_version()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
