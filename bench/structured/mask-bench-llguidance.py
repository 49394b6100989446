"""llguidance (PyPI wheel, native Rust) on the same cases as mask-bench.ts, for the engine choice.
   .cache/structured-venv/bin/python bench/structured/mask-bench-llguidance.py   (venv: pip install llguidance==1.9.1)
"""
import json, time, statistics
from pathlib import Path
import llguidance
from tokenizers import Tokenizer

spec = json.loads((Path(__file__).parent / "cases.json").read_text())
print("| vocabulary | case | tokens | compile ms | mask µs median | mask µs p95 | mask µs max | accept µs median |")
print("|---|---|---|---|---|---|---|---|")
for vocab_name, path in spec["vocabularies"].items():
    text = Path(path).read_text()
    tok = Tokenizer.from_str(text)
    V = max(tok.get_vocab(with_added_tokens=True).values()) + 1
    eos = [i for t, i in tok.get_vocab(with_added_tokens=True).items() if t in ("<|im_end|>", "<|eot_id|>")][0]
    lltok = llguidance.LLTokenizer(text, n_vocab=V, eos_token=eos)
    for c in spec["cases"]:
        if "regex" in c:
            grammar = llguidance.LLMatcher.grammar_from_regex(c["regex"])
        else:
            grammar = llguidance.LLMatcher.grammar_from_json_schema(json.dumps(c["schema"]))
        t0 = time.perf_counter()
        m = llguidance.LLMatcher(lltok, grammar)
        assert not m.is_error(), m.get_error()
        compile_ms = (time.perf_counter() - t0) * 1000
        ids = tok.encode(c["document"], add_special_tokens=False).ids
        mask, accept = [], []
        for rnd in range(5):
            m = llguidance.LLMatcher(lltok, grammar)
            for i in ids:
                a = time.perf_counter(); m.compute_bitmask(); b = time.perf_counter()
                ok = m.consume_token(i); d = time.perf_counter()
                assert ok, (vocab_name, c["name"], i, m.get_error())
                if rnd > 0:
                    mask.append((b - a) * 1e6); accept.append((d - b) * 1e6)
        mask.sort()
        print(f"| {vocab_name} ({V}) | {c['name']} | {len(ids)} | {compile_ms:.1f} | {statistics.median(mask):.0f} | {mask[int(0.95 * len(mask))]:.0f} | {max(mask):.0f} | {statistics.median(accept):.0f} |")
