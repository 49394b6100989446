"""mlx-vlm 0.7.10's preprocessing on the images and frames that scripts/parity-vlm-preprocess.ts wrote.

For every fixture folder (config + processor JSON) and every input, writes the processor's pixel values as raw
float32 and a JSON with their shape, the grid / image size and the image-token count the processor would
expand the placeholder to. For the Qwen-VL video cases it also writes `<video>.prompt.json`: the full prompt ids
of the manifest's prompt as the family's mlx-vlm processor tokenizes it (with the Qwen tokenizer in
TOKENIZER_DIR), once without timing (fps 2) and once with the manifest's source frame indices and fps.

    python scripts/parity/vlm-preprocess-oracle.py FIXTURES_DIR WORK_DIR TOKENIZER_DIR
"""

import json
import sys
import types
from pathlib import Path

import numpy as np
from mlx_vlm.utils import load_image


def qwen_outputs(fixture: Path, family: str, images, videos):
    from mlx_vlm.models.qwen3_vl.processing_qwen3_vl import (
        Qwen3VLImageProcessor,
        Qwen3VLVideoProcessor,
        _qwen_vl_image_kwargs,
        _qwen_vl_video_kwargs,
    )

    patch = 16 if family == "qwen3_vl" else 14
    image_proc = Qwen3VLImageProcessor(**_qwen_vl_image_kwargs(str(fixture), default_patch_size=patch))
    video_proc = Qwen3VLVideoProcessor(**_qwen_vl_video_kwargs(str(fixture), default_patch_size=patch))
    merge = image_proc.merge_size**2
    for name, image in images:
        out = image_proc(images=[image])
        grid = out["image_grid_thw"][0]
        yield name, out["pixel_values"], {"grid_thw": grid.tolist(), "num_tokens": int(grid.prod() // merge)}
    for name, frames in videos:
        out = video_proc(videos=[frames])
        grid = out["video_grid_thw"][0]
        yield name, out["pixel_values_videos"], {"grid_thw": grid.tolist(), "num_tokens": int(grid.prod() // merge)}


def qwen_prompts(fixture: Path, family: str, tokenizer_dir: Path, prompt: str, videos, timings):
    """Prompt ids per video: mlx-vlm's processor replaces the video marker (Qwen3-VL: with timestamped blocks)."""
    from transformers import AutoTokenizer
    from mlx_vlm.models.qwen2_5_vl.processing_qwen2_5_vl import Qwen2_5_VLProcessor
    from mlx_vlm.models.qwen3_vl.processing_qwen3_vl import (
        Qwen3VLImageProcessor,
        Qwen3VLProcessor,
        Qwen3VLVideoProcessor,
        _qwen_vl_image_kwargs,
        _qwen_vl_video_kwargs,
    )

    patch = 16 if family == "qwen3_vl" else 14
    parts = dict(
        image_processor=Qwen3VLImageProcessor(**_qwen_vl_image_kwargs(str(fixture), default_patch_size=patch)),
        tokenizer=AutoTokenizer.from_pretrained(str(tokenizer_dir)),
        video_processor=Qwen3VLVideoProcessor(**_qwen_vl_video_kwargs(str(fixture), default_patch_size=patch)),
    )
    processor = Qwen3VLProcessor(**parts) if family == "qwen3_vl" else Qwen2_5_VLProcessor(**parts)
    for name, frames in videos:
        timing = timings[name]
        if family == "qwen3_vl":
            plain = processor(text=[prompt], videos=[frames], fps=2.0)
            metadata = [{"frames_indices": timing["indices"], "fps": timing["source_fps"]}]
            timed = processor(text=[prompt], videos=[frames], video_metadata=metadata)
        else:
            # Qwen2.5-VL's processor takes neither fps nor metadata (prepare_inputs passes it only what it declares).
            plain = timed = processor(text=[prompt], videos=[frames])
        yield name, {"plain": np.asarray(plain["input_ids"][0]).tolist(), "timed": np.asarray(timed["input_ids"][0]).tolist()}


def hf_outputs(fixture: Path, family: str, images):
    from transformers import AutoImageProcessor

    proc_cfg = json.loads((fixture / "processor_config.json").read_text())
    image_proc = AutoImageProcessor.from_pretrained(str(fixture), use_fast=False)
    for name, image in images:
        out = image_proc(images=[image], return_tensors="np")
        pixels = np.asarray(out["pixel_values"][0], dtype=np.float32)
        meta = {}
        if family == "gemma3":
            meta["num_tokens"] = proc_cfg["image_seq_length"]
            pixels = pixels[None]
        elif family == "llava":
            from mlx_vlm.models.llava.processing_llava import LlavaProcessor  # noqa: F401  (the count below is its rule)

            h, w = pixels.shape[-2:]
            n = (h // proc_cfg["patch_size"]) * (w // proc_cfg["patch_size"]) + proc_cfg["num_additional_image_tokens"]
            meta["num_tokens"] = n - 1 if proc_cfg["vision_feature_select_strategy"] == "default" else n
            pixels = pixels[None]
        else:
            from mlx_vlm.models.llava_next.processing_llava_next import LlavaNextProcessor

            this = types.SimpleNamespace(image_processor=image_proc, patch_size=proc_cfg["patch_size"],
                                         num_additional_image_tokens=proc_cfg["num_additional_image_tokens"])
            this._get_unpadded_features = types.MethodType(LlavaNextProcessor._get_unpadded_features, this)
            orig_h, orig_w = (int(v) for v in out["image_sizes"][0])
            h, w = pixels.shape[-2:]
            n = LlavaNextProcessor._get_number_of_features(this, orig_h, orig_w, h, w)
            meta["num_tokens"] = n - 1 if proc_cfg["vision_feature_select_strategy"] == "default" else n
            meta["image_size"] = [orig_h, orig_w]
        yield name, pixels, meta


def main():
    fixtures, work, tokenizer_dir = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    manifest = json.loads((work / "inputs" / "manifest.json").read_text())
    images = [(i["name"], load_image(str(work / "inputs" / i["file"]))) for i in manifest["images"]]
    videos = []
    for v in manifest["videos"]:
        raw = np.fromfile(work / "inputs" / v["file"], dtype=np.uint8)
        videos.append((v["name"], list(raw.reshape(v["frames"], v["height"], v["width"], 3))))
    for fixture in sorted(p for p in fixtures.iterdir() if (p / "config.json").exists()):
        family = json.loads((fixture / "config.json").read_text())["model_type"]
        outputs = qwen_outputs(fixture, family, images, videos) if family.startswith("qwen") else hf_outputs(fixture, family, images)
        out_dir = work / "oracle" / fixture.name
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, pixels, meta in outputs:
            pixels = np.ascontiguousarray(pixels, dtype=np.float32)
            pixels.tofile(out_dir / f"{name}.f32")
            (out_dir / f"{name}.json").write_text(json.dumps({**meta, "shape": list(pixels.shape)}))
        if family in ("qwen2_5_vl", "qwen3_vl"):
            timings = {v["name"]: v["timing"] for v in manifest["videos"]}
            for name, ids in qwen_prompts(fixture, family, tokenizer_dir, manifest["prompt"], videos, timings):
                (out_dir / f"{name}.prompt.json").write_text(json.dumps(ids))
        print(f"vlm-preprocess-oracle: {fixture.name} done", flush=True)


if __name__ == "__main__":
    main()
