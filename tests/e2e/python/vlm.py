"""Images and a video through the official `openai` client against `vllm-mlx serve` of a tiny Qwen-VL folder.

argv: base_url model image_url image_png_path video_mp4_path, or `--video base_url model video_mp4_path` for the
text and video cases alone (a model without the image cases' setup). Prints one JSON object: each case's
HTTP-level outcome (prompt tokens, cached tokens, completion tokens, finish reason).
"""
import base64
import json
import sys

import openai

video_only = sys.argv[1] == "--video"
if video_only:
    base, model, mp4_path = sys.argv[2:5]
else:
    base, model, image_url, png_path, mp4_path = sys.argv[1:6]
client = openai.OpenAI(base_url=base, api_key="unused", max_retries=0)


def b64(path: str) -> str:
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def ask(content, **extra):
    r = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": content}], max_tokens=4, temperature=0, **extra
    )
    details = r.usage.prompt_tokens_details
    return {
        "prompt_tokens": r.usage.prompt_tokens,
        "cached_tokens": details.cached_tokens if details else None,
        "completion_tokens": r.usage.completion_tokens,
        "finish_reason": r.choices[0].finish_reason,
        "content": r.choices[0].message.content,
    }


question = {"type": "text", "text": "Describe."}
out = {"openai_version": openai.__version__}
out["text"] = ask([question])
if video_only:
    video = {"type": "video_url", "video_url": {"url": f"data:video/mp4;base64,{b64(mp4_path)}"}}
    out["video"] = ask([video, question])
    out["video_again"] = ask([video, question])
    print(json.dumps(out))
    sys.exit(0)
out["url"] = ask([{"type": "image_url", "image_url": {"url": image_url}}, question])
out["base64"] = ask([{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png_path)}"}}, question])
out["base64_again"] = ask([{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png_path)}"}}, question])
out["path"] = ask([{"type": "image", "image": png_path}, question])
out["video"] = ask([{"type": "video_url", "video_url": {"url": f"data:video/mp4;base64,{b64(mp4_path)}"}}, question])
out["two_images"] = ask([
    {"type": "image_url", "image_url": {"url": image_url}},
    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png_path)}"}},
    question,
])
print(json.dumps(out))
