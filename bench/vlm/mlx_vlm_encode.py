"""mlx-vlm's side of bench/vlm/encode-host.ts: the host time of its Qwen-VL tower's call, not evaluated (the call
itself evaluates small arrays on the way: `grid_thw.tolist()`, `.item()` and the position-embedding indices'
`.tolist()`), and with --eval the evaluated call. Same fixture, same synthetic image size.

    python bench/vlm/mlx_vlm_encode.py --model DIR [--image 1024x1024] [--rounds 15] [--eval] [--device cpu|gpu]
"""

import argparse
import time

import mlx.core as mx
import numpy as np
from mlx_vlm.utils import load
from PIL import Image


def median_min(xs):
    s = sorted(xs)
    return f"{s[len(s) // 2]:.2f} ms (min {s[0]:.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--image", default="1024x1024")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    args = ap.parse_args()
    mx.set_default_device(mx.gpu if args.device == "gpu" else mx.cpu)
    w, h = (int(v) for v in args.image.split("x"))
    model, processor = load(args.model)
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8))
    inputs = processor(text=["<|vision_start|><|image_pad|><|vision_end|>"], images=[image], return_tensors="mlx")
    pixels, grid = inputs["pixel_values"], inputs["image_grid_thw"]
    tower = model.vision_tower
    build, evaluated = [], []
    for r in range(args.rounds + 2):
        tic = time.perf_counter()
        out = tower(pixels, grid)
        mid = time.perf_counter()
        if args.eval:
            mx.eval(out)
        end = time.perf_counter()
        del out
        if r >= 2:
            build.append((mid - tic) * 1000)
            evaluated.append((end - tic) * 1000)
    g = grid.tolist()[0]
    print(f"mlx-vlm encode host side: {args.model}, image {w}x{h} (grid {'x'.join(map(str, g))}), "
          f"{len(tower.blocks)} blocks, {args.rounds} rounds")
    print(f"  graph building (vision_tower call, not evaluated): {median_min(build)}")
    if args.eval:
        print(f"  encode evaluated:                                {median_min(evaluated)}")


if __name__ == "__main__":
    main()
