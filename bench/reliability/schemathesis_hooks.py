"""Schemathesis hooks for the reliability suite (loaded through SCHEMATHESIS_HOOKS).

before_call keeps generated generation requests cheap: a valid max_tokens / max_completion_tokens (Responses:
max_output_tokens) above
MAX_TOKENS becomes MAX_TOKENS, an absent or null one is set to it (null means "the rest of the context"), and a
valid n above MAX_N becomes MAX_N. Values that are already invalid are left alone, so negative cases stay
negative.

after_call appends one JSON line per response to $RELIABILITY_CALLS: the status, whether a non-2xx body is in
OpenAI's error shape, and the operation, so the TypeScript side counts 5xx and shape errors itself.
"""

import json
import os

import schemathesis

MAX_TOKENS = 2
MAX_N = 2
CALLS = os.environ.get("RELIABILITY_CALLS")


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool)


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    body = case.body
    if not isinstance(body, dict) or case.method.upper() != "POST":
        return
    # The Responses API names its limit max_output_tokens; the others max_tokens (or max_completion_tokens).
    keys = ("max_output_tokens",) if case.path.endswith("/responses") else ("max_tokens", "max_completion_tokens")
    for key in keys:
        if key not in body:
            continue
        if body[key] is None or (_is_count(body[key]) and body[key] > MAX_TOKENS):
            body[key] = MAX_TOKENS
    if not any(key in body for key in keys):
        body[keys[0]] = MAX_TOKENS
    if _is_count(body.get("n")) and MAX_N < body["n"] <= 64:
        body["n"] = MAX_N


def _openai_error_shape(text):
    try:
        value = json.loads(text)
    except ValueError:
        return False
    error = value.get("error") if isinstance(value, dict) else None
    return isinstance(error, dict) and isinstance(error.get("message"), str) and isinstance(error.get("type"), str)


@schemathesis.hook
def after_call(ctx, case, response):
    if not CALLS:
        return
    status = response.status_code
    shaped = True if 200 <= status < 300 else _openai_error_shape(response.text)
    line = {"operation": f"{case.method.upper()} {case.path}", "status": status, "shaped": shaped}
    if not shaped:
        line["body"] = response.text[:300]
    with open(CALLS, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


@schemathesis.hook
def after_network_error(ctx, case, request):
    if not CALLS:
        return
    with open(CALLS, "a", encoding="utf-8") as out:
        out.write(json.dumps({"operation": f"{case.method.upper()} {case.path}", "status": 0, "shaped": False}) + "\n")
