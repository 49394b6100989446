"""`client.chat.completions.parse` with pydantic models, using the official Python `openai` client.

Usage: python parse.py BASE_URL MODEL ROUNDS. Prints one JSON object: per round, the parsed object (dumped by
pydantic after it validated the reply), the raw content and the finish reason.
"""
import json
import sys
from typing import Annotated, List, Literal, Optional

from openai import OpenAI
from pydantic import BaseModel, Field


class Address(BaseModel):
    city: str = Field(max_length=10)
    zip: str = Field(pattern=r"^[0-9]{5}$")


class Person(BaseModel):
    name: str = Field(max_length=12)
    age: int = Field(ge=0, le=120)
    role: Literal["admin", "user", "guest"]
    tags: List[Annotated[str, Field(max_length=8)]] = Field(max_length=3)
    address: Address
    nickname: Optional[str] = Field(max_length=8)


def main() -> None:
    base_url, model, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    results = []
    for i in range(rounds):
        completion = client.chat.completions.parse(
            model=model,
            messages=[{"role": "user", "content": f"Invent person number {i} and describe them."}],
            response_format=Person,
            temperature=1.0,
            seed=i,
            max_tokens=200,
        )
        choice = completion.choices[0]
        parsed = choice.message.parsed
        results.append({
            "is_person": isinstance(parsed, Person),
            "parsed": parsed.model_dump() if parsed is not None else None,
            "content": choice.message.content,
            "finish_reason": choice.finish_reason,
            "refusal": choice.message.refusal,
        })
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
