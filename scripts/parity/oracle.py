"""Parity fixtures and the mlx-lm oracle.

Generates random-weight checkpoints at small shapes for every family we support (fp32, and 4-bit
affine-quantized), in MLX's on-disk format, then runs mlx-lm on them: greedy continuation and the
first-step logits. Writes <out>/<fixture>/{config.json, model.safetensors, oracle.json}.

    python scripts/parity/oracle.py --out .cache/parity --steps 64
"""

import argparse
import importlib
import json
import os

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten
from mlx_lm.models.cache import make_prompt_cache

BASE = dict(
    hidden_size=64,
    num_hidden_layers=2,
    intermediate_size=128,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    rms_norm_eps=1e-5,
    vocab_size=256,
    max_position_embeddings=4096,
)

FAMILIES = {
    # Llama 3.x-style: untied head, llama3 rope scaling.
    "llama": dict(
        module="llama",
        config=dict(
            model_type="llama",
            rope_theta=500000.0,
            tie_word_embeddings=False,
            rope_scaling=dict(
                rope_type="llama3",
                factor=8.0,
                low_freq_factor=1.0,
                high_freq_factor=4.0,
                original_max_position_embeddings=64,
            ),
        ),
    ),
    # Qwen2.5-style: q/k/v biases, tied head, yarn scaling.
    "qwen2": dict(
        module="qwen2",
        config=dict(
            model_type="qwen2",
            rope_theta=1000000.0,
            tie_word_embeddings=True,
            rope_scaling=dict(type="yarn", factor=4.0, original_max_position_embeddings=32),
        ),
    ),
    # Qwen3: q/k norms, linear rope scaling.
    "qwen3": dict(
        module="qwen3",
        config=dict(
            model_type="qwen3",
            rope_theta=1000000.0,
            tie_word_embeddings=True,
            rope_scaling=dict(type="linear", factor=2.0),
        ),
    ),
    "gemma2": dict(
        module="gemma2",
        config=dict(
            model_type="gemma2",
            query_pre_attn_scalar=16.0,
            attn_logit_softcapping=50.0,
            final_logit_softcapping=30.0,
            sliding_window=4096,
        ),
    ),
    # Gemma 3 text: sliding window smaller than the sequence, so the window is exercised.
    "gemma3_text": dict(
        module="gemma3_text",
        config=dict(
            model_type="gemma3_text",
            query_pre_attn_scalar=16.0,
            sliding_window=16,
            sliding_window_pattern=2,
            rope_theta=1000000.0,
            rope_local_base_freq=10000.0,
        ),
    ),
    # Phi-3: fused projections, partial rotary dims.
    "phi3": dict(
        module="phi3",
        config=dict(model_type="phi3", rope_theta=10000.0, partial_rotary_factor=0.5, tie_word_embeddings=False),
    ),
}

PROMPT = [5, 17, 99, 3, 250, 42, 7, 128, 64, 11, 200, 31]


def build(family, quant_bits, seed):
    spec = FAMILIES[family]
    config = dict(BASE, **spec["config"])
    mod = importlib.import_module(f"mlx_lm.models.{spec['module']}")
    mx.random.seed(seed)
    model = mod.Model(mod.ModelArgs.from_dict(config))
    params = dict(tree_flatten(model.parameters()))
    # Larger-than-init weights so logits are well separated (fewer near-ties in greedy decoding).
    params = {k: (v * 2.0 if v.ndim == 2 else v).astype(mx.float32) for k, v in params.items()}
    model.load_weights(list(params.items()))
    if quant_bits:
        nn.quantize(model, group_size=64, bits=quant_bits)
        config["quantization"] = dict(group_size=64, bits=quant_bits)
    mx.eval(model.parameters())
    return model, config


def run_oracle(model, steps):
    cache = make_prompt_cache(model)
    logits = model(mx.array([PROMPT]), cache=cache)[:, -1, :]
    first = logits[0].astype(mx.float32)
    tokens = []
    tok = mx.argmax(logits, axis=-1)
    for _ in range(steps):
        t = tok.item()
        tokens.append(t)
        logits = model(mx.array([[t]]), cache=cache)[:, -1, :]
        tok = mx.argmax(logits, axis=-1)
    return first.tolist(), tokens


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=64)
    args = ap.parse_args()
    mx.set_default_device(mx.cpu)
    for i, family in enumerate(FAMILIES):
        for bits in (None, 4):
            name = f"{family}-{'q4' if bits else 'fp32'}"
            out = os.path.join(args.out, name)
            os.makedirs(out, exist_ok=True)
            model, config = build(family, bits, seed=1000 + i)
            weights = dict(tree_flatten(model.parameters()))
            mx.save_safetensors(os.path.join(out, "model.safetensors"), weights, metadata={"format": "mlx"})
            with open(os.path.join(out, "config.json"), "w") as f:
                json.dump(config, f, indent=2)
            first, tokens = run_oracle(model, args.steps)
            with open(os.path.join(out, "oracle.json"), "w") as f:
                json.dump(dict(prompt=PROMPT, tokens=tokens, first_logits=first), f)
            print(f"oracle: {name}: {len(weights)} tensors, first tokens {tokens[:8]}")


if __name__ == "__main__":
    main()
