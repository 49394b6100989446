"""Host-side cost of building one decode step's graph in mlx-lm (no evaluation): model call on one token,
last-position slice, logprobs and the greedy sampler, as generate_step does. Prints JSON.

    python bench/generation/build_overhead.py --model DIR --steps 50
"""

import argparse
import json
import time
from pathlib import Path

import mlx.core as mx
from mlx_lm.models.cache import make_prompt_cache
from mlx_lm.utils import load_model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    args = ap.parse_args()
    mx.set_default_device(mx.gpu if args.device == "gpu" else mx.cpu)
    model, _ = load_model(Path(args.model))
    cache = make_prompt_cache(model)
    y = mx.array([1])
    times = []
    for _ in range(args.steps + 5):
        t = time.perf_counter()
        logits = model(y[None], cache=cache)[:, -1, :]
        logprobs = logits - mx.logsumexp(logits, keepdims=True)
        y = mx.argmax(logprobs, axis=-1)
        times.append(time.perf_counter() - t)
    times = sorted(times[5:])
    print(json.dumps(dict(median_ms=1000 * times[len(times) // 2], min_ms=1000 * times[0])))


if __name__ == "__main__":
    main()
