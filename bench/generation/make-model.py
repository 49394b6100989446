"""Random-weight checkpoints at real model shapes, built with mlx-lm's own model classes.

Writes <out>/<name>/{config.json, model.safetensors} in MLX's on-disk format: non-quantized parameters in
bfloat16 (like mlx-community checkpoints), linear and embedding weights affine-quantized (group 64).

    python bench/generation/make-model.py --model qwen3-0.6b --bits 4 --out .cache/bench-models
    python bench/generation/make-model.py --model llama-3.2-1b --bits 8 --layers 4 --out .cache/bench-models
"""

import argparse
import importlib
import json
import os
import sys

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from shapes import SHAPES  # noqa: E402


def build(shape, bits, group_size, layers, seed):
    config = dict(SHAPES[shape])
    if layers:
        config["num_hidden_layers"] = layers
    mod = importlib.import_module(f"mlx_lm.models.{config['model_type']}")
    mx.random.seed(seed)
    model = mod.Model(mod.ModelArgs.from_dict(config))
    model.set_dtype(mx.bfloat16)
    if bits:
        nn.quantize(model, group_size=group_size, bits=bits)
        config["quantization"] = dict(group_size=group_size, bits=bits)
    config["torch_dtype"] = "bfloat16"
    mx.eval(model.parameters())
    return model, config


def model_name(shape, bits, layers):
    return f"{shape}-{f'{bits}bit' if bits else 'bf16'}{f'-L{layers}' if layers else ''}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=sorted(SHAPES), required=True)
    ap.add_argument("--bits", type=int, default=4, help="4 or 8 (0: bf16, unquantized)")
    ap.add_argument("--group-size", type=int, default=64)
    ap.add_argument("--layers", type=int, default=0, help="override the layer count (0: the real one)")
    ap.add_argument("--out", default=".cache/bench-models")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    mx.set_default_device(mx.cpu)
    name = model_name(args.model, args.bits, args.layers)
    out = os.path.join(args.out, name)
    if os.path.exists(os.path.join(out, "config.json")):
        print(out)
        return
    os.makedirs(out, exist_ok=True)
    model, config = build(args.model, args.bits, args.group_size, args.layers, args.seed)
    weights = dict(tree_flatten(model.parameters()))
    mx.save_safetensors(os.path.join(out, "model.safetensors"), weights, metadata={"format": "mlx"})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(out)


if __name__ == "__main__":
    main()
