"""VLM parity fixtures for Gemma 3 and LLaVA 1.5, and the mlx-vlm oracle.

For each family (fp32 and 4-bit) this builds mlx-vlm's own model at tiny shapes with random weights, saves it
in mlx-vlm's on-disk layout (config.json + model.safetensors), loads it back with mlx_vlm.utils.load_model (so the
folder is known to be loadable by mlx-vlm), then runs mlx-vlm on a fixed prompt and image tensor:

  <out>/<fixture>/oracle/inputs.safetensors   input_ids [1, L] int32 and pixel_values [1, 3, H, W] float32
  <out>/<fixture>/oracle/outputs.safetensors  image_features (the projector's output) and first_logits [V]
  <out>/<fixture>/oracle/tokens.json          the 32 greedy tokens from mlx_vlm's generate_step

The model is checked apart from preprocessing: pixel values are a fixed tensor, not an image file.

    python scripts/parity/vlm_gemma3_llava.py --out .cache/parity-vlm

With --existing, the folders <out>/{gemma3,llava}-{fp32,q4} are not built here: they were written by
`bun scripts/fixtures.ts vlm --arch gemma3|llava` (our fixture writer), and mlx-vlm loads and runs them as they are.
"""

import argparse
import json
import os
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_flatten
from mlx_vlm.generate import generate_step
from mlx_vlm.utils import get_model_and_args, load_model, update_module_configs

TEXT = dict(
    hidden_size=64,
    num_hidden_layers=2,
    intermediate_size=128,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    vocab_size=512,
    max_position_embeddings=4096,
)
VISION = dict(
    hidden_size=64,
    intermediate_size=128,
    num_attention_heads=4,
    image_size=32,
    patch_size=4,
    num_channels=3,
)
IMAGE_TOKEN = 300

FAMILIES = {
    # Gemma 3: SigLIP tower (8x8 patches), pooled to 4x4 = 16 image tokens; sliding window shorter than the prompt.
    # No top-level hidden_size, as in Google's config.json (mlx-vlm then scales image features by 1/sqrt(2048)).
    "gemma3": dict(
        config=dict(
            model_type="gemma3",
            image_token_index=IMAGE_TOKEN,
            boi_token_index=298,
            eoi_token_index=299,
            mm_tokens_per_image=16,
            text_config=dict(
                TEXT,
                model_type="gemma3_text",
                query_pre_attn_scalar=16.0,
                sliding_window=16,
                sliding_window_pattern=2,
                rope_local_base_freq=10000.0,
                rope_global_base_freq=1000000.0,
                rope_theta=1000000.0,
                mm_tokens_per_image=16,
                rms_norm_eps=1e-6,
            ),
            vision_config=dict(VISION, model_type="siglip_vision_model", num_hidden_layers=2, layer_norm_eps=1e-6),
        ),
        prompt=[2, 10, 20, 298] + [IMAGE_TOKEN] * 16 + [299, 30, 40, 50, 60],
    ),
    # LLaVA 1.5: CLIP tower (CLS + 8x8 patches), features from the second-to-last layer without CLS: 64 tokens.
    "llava": dict(
        config=dict(
            model_type="llava",
            image_token_index=IMAGE_TOKEN,
            vision_feature_layer=-2,
            vision_feature_select_strategy="default",
            text_config=dict(TEXT, model_type="llama", rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False),
            vision_config=dict(VISION, model_type="clip_vision_model", num_hidden_layers=3, layer_norm_eps=1e-5),
        ),
        prompt=[1, 10, 20] + [IMAGE_TOKEN] * 64 + [30, 40, 50, 60],
    ),
}

STEPS = 32


def build(family, bits, seed):
    spec = FAMILIES[family]
    config = json.loads(json.dumps(spec["config"]))
    arch, _ = get_model_and_args(config)
    model_config = update_module_configs(arch.ModelConfig.from_dict(config), arch, config, ["text", "vision"])
    mx.random.seed(seed)
    model = arch.Model(model_config)
    params = dict(tree_flatten(model.parameters()))
    # Larger-than-init matrices so logits are well separated; norms get random offsets so they are exercised.
    out = {}
    for k, v in params.items():
        if v.ndim >= 2:
            out[k] = (v * 2.0).astype(mx.float32)
        else:
            out[k] = (v + 0.1 * mx.random.normal(v.shape)).astype(mx.float32)
    if family == "gemma3":
        # Gemma 3 ties its head to the embeddings (mlx-vlm's sanitize copies embed_tokens into lm_head).
        out["language_model.lm_head.weight"] = out["language_model.model.embed_tokens.weight"]
        out["multi_modal_projector.mm_input_projection_weight"] = mx.random.normal(
            out["multi_modal_projector.mm_input_projection_weight"].shape
        ) * 0.2
    model.load_weights(list(out.items()))
    if bits:
        nn.quantize(model, group_size=64, bits=bits, class_predicate=lambda p, m: hasattr(m, "to_quantized")
                    and m.weight.shape[-1] % 64 == 0)
        config["quantization"] = dict(group_size=64, bits=bits)
    mx.eval(model.parameters())
    weights = dict(tree_flatten(model.parameters()))
    if family == "gemma3" and not bits:
        # Tied in the file too; a 4-bit file keeps lm_head (the embeddings' own quantized copy), because mlx-vlm
        # 0.7.10 would otherwise copy the packed embeddings into an unquantized head.
        for k in [k for k in weights if k.startswith("language_model.lm_head.")]:
            del weights[k]
    return weights, config


def pixel_values(seed):
    key = mx.random.key(seed)
    size = VISION["image_size"]
    return mx.random.uniform(-1.0, 1.0, (1, 3, size, size), key=key).astype(mx.float32)


def run(model, input_ids, pixels):
    emb = model.get_input_embeddings(input_ids, pixels, mask=mx.ones(input_ids.shape, dtype=mx.int32))
    cache = model.language_model.make_cache() if hasattr(model.language_model, "make_cache") else None
    if cache is None:
        from mlx_vlm.models.cache import make_prompt_cache

        cache = make_prompt_cache(model.language_model)
    # The same call generate_step makes for the prompt: the merged embeddings, no explicit mask.
    out = model.language_model(input_ids, inputs_embeds=emb.inputs_embeds, cache=cache)
    first = out.logits[0, -1, :].astype(mx.float32)
    tokens = []
    for tok, _ in generate_step(input_ids, model, pixels, mx.ones(input_ids.shape, dtype=mx.int32), max_tokens=STEPS, temperature=0.0):
        tokens.append(int(tok.item() if hasattr(tok, "item") else tok))
    return first, tokens


def image_features(model, family, pixels):
    if family == "gemma3":
        hidden, _, _ = model.vision_tower(pixels.transpose(0, 2, 3, 1), output_hidden_states=True)
        return model.multi_modal_projector(hidden)
    *_, states = model.vision_tower(pixels.transpose(0, 2, 3, 1), output_hidden_states=True)
    return model.multi_modal_projector(states[model.vision_feature_layer][:, 1:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--existing", action="store_true", help="run on folders already written by scripts/fixtures.ts")
    args = ap.parse_args()
    mx.set_default_device(mx.cpu)
    for i, family in enumerate(FAMILIES):
        for bits in (None, 4):
            name = f"{family}-{'q4' if bits else 'fp32'}"
            out = Path(args.out) / name
            if args.existing:
                if not (out / "config.json").exists():
                    raise SystemExit(f"oracle: {out} has no config.json (write it with bun scripts/fixtures.ts vlm --arch {family})")
            else:
                os.makedirs(out, exist_ok=True)
                weights, config = build(family, bits, seed=2000 + i)
                mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "mlx"})
                with open(out / "config.json", "w") as f:
                    json.dump(config, f, indent=2)
            model = load_model(out)
            input_ids = mx.array([FAMILIES[family]["prompt"]], dtype=mx.int32)
            pixels = pixel_values(3000 + i)
            feats = image_features(model, family, pixels).astype(mx.float32)
            first, tokens = run(model, input_ids, pixels)
            # A subfolder: loaders (mlx-vlm's and ours) read every *.safetensors beside config.json.
            os.makedirs(out / "oracle", exist_ok=True)
            mx.save_safetensors(str(out / "oracle/inputs.safetensors"), {"input_ids": input_ids, "pixel_values": pixels})
            mx.save_safetensors(str(out / "oracle/outputs.safetensors"), {"image_features": feats[0], "first_logits": first})
            with open(out / "oracle/tokens.json", "w") as f:
                json.dump(dict(tokens=tokens), f)
            print(f"oracle: {name}: features {feats.shape}, first tokens {tokens[:8]}")


if __name__ == "__main__":
    main()
