"""Chat-completions payloads: what each mode and provider row puts in the request."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from iterplay.request import DEFAULT_SYSTEM_PROMPT, ExtractionRequest, build_payload
from iterplay.strict_schema import make_strict
from iterplay.wrapper import build_wrapper


class User(BaseModel):
    name: str
    age: int


def request(text: str, **kwargs) -> ExtractionRequest:
    return ExtractionRequest(build_wrapper([User]), text, "m", **kwargs)


def test_text_reaches_the_model_without_surrounding_whitespace():
    payload = build_payload(request("\n  Jason is 10 and John is 30.\n"))
    assert "below:\nJason is 10 and John is 30.\n\nCorrectly" in payload["messages"][1]["content"]


def test_default_system_prompt_unless_one_is_given():
    assert build_payload(request("x"))["messages"][0]["content"] == DEFAULT_SYSTEM_PROMPT
    custom = build_payload(request("x", system_prompt="Be brief."))["messages"][0]["content"]
    assert custom == "Be brief."


def test_json_mode_puts_the_schema_in_the_system_prompt():
    system = build_payload(request("x", mode="json"))["messages"][0]["content"]
    assert '"IterableUser"' in system and '"tasks"' in system


def test_md_json_asks_for_a_fenced_block_and_sends_no_response_format():
    payload = build_payload(request("x", mode="md_json"))
    assert "```json" in payload["messages"][0]["content"]
    assert "response_format" not in payload


def test_llama_cpp_row_asks_for_no_usage():
    assert "stream_options" not in build_payload(request("x"), "llama_cpp")


def test_strict_is_off_unless_asked_for():
    response_format = build_payload(request("x", mode="json_schema"))["response_format"]
    assert "strict" not in response_format["json_schema"]
    assert "strict" not in build_payload(request("x"))["tools"][0]["function"]


def test_strict_json_schema_sends_the_fixed_wrapper_schema():
    wrapper = build_wrapper([User])
    payload = build_payload(ExtractionRequest(wrapper, "x", "m", "json_schema", strict=True))
    sent = payload["response_format"]["json_schema"]
    assert sent["strict"] is True
    assert sent["schema"] == make_strict(wrapper.json_schema)
    assert sent["schema"]["additionalProperties"] is False


def test_strict_tools_send_the_fixed_schema_as_parameters():
    wrapper = build_wrapper([User])
    function = build_payload(ExtractionRequest(wrapper, "x", "m", strict=True))["tools"][0][
        "function"
    ]
    assert function["strict"] is True
    assert function["parameters"] == make_strict(wrapper.json_schema)


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json"])
def test_llama_cpp_row_keeps_its_request_when_strict_is_asked_for(mode):
    plain = build_payload(request("x", mode=mode), "llama_cpp")
    assert build_payload(request("x", mode=mode, strict=True), "llama_cpp") == plain
