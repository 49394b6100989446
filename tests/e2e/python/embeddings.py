"""The Python openai client's embeddings.create against a served embedding model; prints the vectors as JSON.

Usage: embeddings.py BASE_URL MODEL
"""
import json
import sys

from openai import OpenAI


def main() -> None:
    base_url, model = sys.argv[1], sys.argv[2]
    client = OpenAI(base_url=base_url, api_key="unused")
    inputs = ["hello world", "a dog"]
    floats = client.embeddings.create(model=model, input=inputs, encoding_format="float")
    b64 = client.embeddings.create(model=model, input=inputs, encoding_format="base64")
    # With base64 the Python SDK hands back the string; decode it as OpenAI documents (little-endian float32).
    import base64
    import struct

    def decode(value):
        if isinstance(value, str):
            raw = base64.b64decode(value)
            return list(struct.unpack(f"<{len(raw) // 4}f", raw))
        return list(value)

    json.dump(
        {
            "float": [list(d.embedding) for d in floats.data],
            "base64": [decode(d.embedding) for d in b64.data],
            "prompt_tokens": floats.usage.prompt_tokens,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
