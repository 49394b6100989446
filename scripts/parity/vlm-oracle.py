"""The mlx-vlm oracle for the Qwen-VL fixtures.

For every fixture folder under --fixtures (written by `bun scripts/fixtures.ts vlm`), loads it with
mlx-vlm (model and processor), preprocesses a synthetic image (and a video for Qwen2.5-VL and Qwen3-VL)
with a chat prompt, and records what our side must reproduce:
  <fixture>/<case>/inputs.safetensors  input_ids, pixel_values, grid_thw (the model's inputs, so parity
                                       isolates the model from preprocessing)
  <fixture>/<case>/vision.safetensors  the tower's merged features (and Qwen3-VL's deepstack features)
  <fixture>/<case>/oracle.json         kind, first-step logits and the greedy tokens

    python scripts/parity/vlm-oracle.py --fixtures .cache/parity-vlm --steps 32
"""

import argparse
import json
import os

import mlx.core as mx
import numpy as np
from mlx_vlm.models.cache import make_prompt_cache
from mlx_vlm.utils import load
from PIL import Image

TEXT = "<|im_start|>user\n{media}Describe this in detail.<|im_end|>\n<|im_start|>assistant\n"
IMAGE = "<|vision_start|><|image_pad|><|vision_end|>"
VIDEO = "<|vision_start|><|video_pad|><|vision_end|>"


def synthetic_image(h, w, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255) // max(w - 1, 1), (y * 255) // max(h - 1, 1), ((x + y) * 127) // max(h + w, 1)], -1)
    noise = rng.integers(0, 40, size=(h, w, 3))
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def run(model, inputs, kind, steps):
    ids = inputs["input_ids"]
    pixels = inputs["pixel_values" if kind == "image" else "pixel_values_videos"]
    grid = inputs["image_grid_thw" if kind == "image" else "video_grid_thw"]
    tower = model.vision_tower(pixels, grid)
    features, deepstack = (tower if isinstance(tower, tuple) else (tower, []))
    # mlx-vlm keeps the last prompt's positions on the language model; each case starts clean.
    model.language_model._rope_deltas = None
    model.language_model._position_ids = None
    cache = make_prompt_cache(model.language_model)
    if kind == "image":
        out = model(ids, pixels, cache=cache, image_grid_thw=grid)
    else:
        out = model(ids, None, cache=cache, pixel_values_videos=pixels, video_grid_thw=grid)
    logits = out.logits[:, -1, :]
    first = logits[0].astype(mx.float32)
    tokens = []
    tok = mx.argmax(logits, axis=-1)
    for _ in range(steps):
        t = tok.item()
        tokens.append(t)
        logits = model.language_model(mx.array([[t]]), cache=cache).logits[:, -1, :]
        tok = mx.argmax(logits, axis=-1)
    return features, deepstack, first.tolist(), tokens


def cases(arch):
    yield "image", "image", {"images": [synthetic_image(96, 120, 1)]}
    yield "image-tall", "image", {"images": [synthetic_image(150, 70, 2)]}
    if arch in ("qwen2_5_vl", "qwen3_vl"):
        frames = np.stack([np.array(synthetic_image(84, 112, 10 + i)) for i in range(4)])
        yield "video", "video", {"videos": [frames]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--steps", type=int, default=32)
    args = ap.parse_args()
    mx.set_default_device(mx.cpu)
    for name in sorted(os.listdir(args.fixtures)):
        root = os.path.join(args.fixtures, name)
        if not os.path.isfile(os.path.join(root, "config.json")):
            continue
        model, processor = load(root)
        arch = model.config.model_type
        for case, kind, media in cases(arch):
            prompt = TEXT.format(media=IMAGE if kind == "image" else VIDEO)
            extra = {"fps": 2.0} if kind == "video" else {}
            inputs = processor(text=[prompt], return_tensors="mlx", **media, **extra)
            features, deepstack, first, tokens = run(model, inputs, kind, args.steps)
            out = os.path.join(root, "cases", case)
            os.makedirs(out, exist_ok=True)
            pixels = inputs["pixel_values" if kind == "image" else "pixel_values_videos"]
            grid = inputs["image_grid_thw" if kind == "image" else "video_grid_thw"]
            mx.save_safetensors(os.path.join(out, "inputs.safetensors"), {
                "input_ids": inputs["input_ids"].astype(mx.int32),
                "pixel_values": pixels.astype(mx.float32),
                "grid_thw": grid.astype(mx.int32),
            })
            vision = {"features": features.astype(mx.float32)}
            vision.update({f"deepstack.{i}": d.astype(mx.float32) for i, d in enumerate(deepstack)})
            mx.save_safetensors(os.path.join(out, "vision.safetensors"), vision)
            with open(os.path.join(out, "oracle.json"), "w") as f:
                json.dump(dict(kind=kind, tokens=tokens, first_logits=first), f)
            print(f"vlm-oracle: {name}/{case}: {inputs['input_ids'].shape[1]} prompt tokens, grid {grid.tolist()}, first tokens {tokens[:6]}")


if __name__ == "__main__":
    main()
