"""Smoke test with the official Python `openai` client: chat, a stream and a tool call, and the Responses API
(`responses.create`, `responses.stream`, and a function call).

Usage: python smoke.py BASE_URL MODEL. Prints one JSON object with what the server returned.
"""
import json
import sys

from openai import OpenAI


def main() -> None:
    base_url, model = sys.argv[1], sys.argv[2]
    client = OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]

    chat = client.chat.completions.create(model=model, messages=messages, temperature=0)

    stream = client.chat.completions.create(
        model=model, messages=messages, temperature=0, stream=True, stream_options={"include_usage": True}
    )
    streamed, finish, usage = "", None, None
    for chunk in stream:
        if chunk.choices:
            streamed += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage.completion_tokens

    tools = [{
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }]
    called = client.chat.completions.create(model=model, messages=messages, tools=tools, temperature=0)
    call = called.choices[0].message.tool_calls[0]

    response = client.responses.create(model=model, input="What is the weather in Paris?", temperature=0)

    events, deltas = [], ""
    with client.responses.stream(model=model, input="What is the weather in Paris?", temperature=0) as rs:
        for event in rs:
            events.append(event.type)
            if event.type == "response.output_text.delta":
                deltas += event.delta
        final = rs.get_final_response()

    responses_tools = [{"type": "function", "name": "get_weather", "parameters": tools[0]["function"]["parameters"]}]
    fn = client.responses.create(model=model, input="What is the weather in Paris?", tools=responses_tools, temperature=0)
    fn_call = next(item for item in fn.output if item.type == "function_call")

    print(json.dumps({
        "openai_version": __import__("openai").__version__,
        "chat": {"content": chat.choices[0].message.content, "finish_reason": chat.choices[0].finish_reason,
                 "completion_tokens": chat.usage.completion_tokens},
        "stream": {"content": streamed, "finish_reason": finish, "completion_tokens": usage},
        "tool": {"name": call.function.name, "arguments": json.loads(call.function.arguments),
                 "finish_reason": called.choices[0].finish_reason, "content": called.choices[0].message.content},
        "responses": {"output_text": response.output_text, "status": response.status,
                      "output_tokens": response.usage.output_tokens},
        "responses_stream": {"deltas": deltas, "output_text": final.output_text, "status": final.status,
                             "first": events[0], "last": events[-1], "types": sorted(set(events))},
        "responses_tool": {"name": fn_call.name, "arguments": json.loads(fn_call.arguments), "status": fn.status},
    }))


if __name__ == "__main__":
    main()
