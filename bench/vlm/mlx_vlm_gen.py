"""One side of bench/vlm: mlx-vlm's own generation (mlx_vlm.generate.generate_step, the loop under
mlx_vlm.stream_generate) on one image, timed as bench/vlm/ours.ts times ours. Prints one JSON object.

    python bench/vlm/mlx_vlm_gen.py --model DIR --image IMG.png --prompt-file P.json --max-tokens 16 [--device gpu]

encode_ms: model.vision_tower(pixel_values in the patch embedding's dtype, grid_thw), evaluated (preprocessing
excluded); the cast is the one mlx-vlm's Qwen-VL models make before their tower (ours makes it in the tower).
ttft_ms: generate_step from its call to the first token (it encodes the image itself, then prefills).
Each measured call gets pixel_values as a new mx.array made (untimed) from the processor's values on the host, as
ours makes one from its processor's Float32Array for every request: on the CUDA backend an array made from host
memory lives in managed memory and moves to the GPU on first use, which a reused array (already used by the
warm-up) would skip.
decode_tps: (generated - 1) / (last token time - first token time); end-of-sequence is not checked
(generate_step has no stop test), so every run decodes --max-tokens tokens, as ours does.

Needs only mlx and mlx-vlm (and what mlx-vlm pulls in: numpy, Pillow, transformers, ...).
"""

import argparse
import json
import time

import mlx.core as mx
import numpy as np
from mlx_vlm.generate.ar import generate_step
from mlx_vlm.utils import load
from PIL import Image


def reset_positions(model):
    # mlx-vlm keeps the last prompt's M-RoPE positions on the language model; each run starts clean.
    lm = model.language_model
    for name in ("_rope_deltas", "_position_ids"):
        if hasattr(lm, name):
            setattr(lm, name, None)


def fresh(inputs, host_pixels):
    """inputs with pixel_values a new mx.array from the host copy (made here, outside the timers)."""
    out = dict(inputs)
    out["pixel_values"] = mx.array(host_pixels)
    mx.eval(out["pixel_values"])
    return out


def encode(model, inputs):
    tic = time.perf_counter()
    # As the model's get_input_embeddings does before its tower: pixels in the patch embedding's dtype (a bfloat16
    # checkpoint's tower runs in bfloat16; float32 pixels would promote it to float32).
    pixels = inputs["pixel_values"].astype(model.vision_tower.patch_embed.proj.weight.dtype)
    out = model.vision_tower(pixels, inputs["image_grid_thw"])
    mx.eval(out)
    return (time.perf_counter() - tic) * 1000


def generate(model, inputs, max_tokens):
    reset_positions(model)
    times = []
    tic = time.perf_counter()
    for n, _ in enumerate(generate_step(inputs["input_ids"], model, inputs["pixel_values"], inputs.get("attention_mask"),
                                        max_tokens=max_tokens, temperature=0.0, image_grid_thw=inputs["image_grid_thw"])):
        times.append(time.perf_counter())
        if n + 1 == max_tokens:
            break
    ttft = (times[0] - tic) * 1000
    tps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    return ttft, tps, len(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--prompt-file", required=True)
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    args = ap.parse_args()
    mx.set_default_device(mx.gpu if args.device == "gpu" else mx.cpu)
    with open(args.prompt_file) as f:
        prompt = json.load(f)["text"]
    model, processor = load(args.model)
    image = Image.open(args.image).convert("RGB")
    inputs = processor(text=[prompt], images=[image], return_tensors="mlx")
    for _ in range(args.warmup):  # a short generation, which runs the tower once too
        generate(model, inputs, 2)
    host_pixels = np.array(inputs["pixel_values"])
    mx.reset_peak_memory()
    encode_ms = encode(model, fresh(inputs, host_pixels))
    ttft_ms, tps, n = generate(model, fresh(inputs, host_pixels), args.max_tokens)
    grid = inputs["image_grid_thw"].tolist()[0]
    merge = model.config.vision_config.spatial_merge_size
    print(json.dumps(dict(side="mlx-vlm", prompt_tokens=int(inputs["input_ids"].shape[1]),
                          media_tokens=int(grid[0] * grid[1] * grid[2] // (merge * merge)), generated=n,
                          encode_ms=encode_ms, ttft_ms=ttft_ms, decode_tps=tps, peak_bytes=int(mx.get_peak_memory()))))


if __name__ == "__main__":
    main()
