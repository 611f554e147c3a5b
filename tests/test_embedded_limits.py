"""The embedded model at its limits: a text longer than its context window, a max-tokens cut.

llama-cpp-python's server reports both badly by itself: a prompt over the window ends the stream
without a single event (the reason only in its log), and a tool call cut by max tokens ends with
``finish_reason=tool_calls``. These run on the real model.
"""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from iterplay import local_model
from iterplay.context_window import chatml
from iterplay.errors import FailureKind
from iterplay.events import Failed, Finished
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest, build_payload
from iterplay.run import run_extraction
from iterplay.wrapper import build_wrapper

pytestmark = pytest.mark.embedded

SEED_TEXT = "Consider this data: Jason is 10 and John is 30."
LONG_TEXT = " ".join(f"Person number {n} is {n % 90} years old." for n in range(700))


class User(BaseModel):
    name: str
    age: int


def request(text: str, mode: str = "json", max_tokens: int | None = None) -> ExtractionRequest:
    return ExtractionRequest(
        build_wrapper([User]), text, local_model.MODEL_ALIAS, mode, None, 0, max_tokens
    )


@pytest.fixture(scope="module")
def server() -> local_model.LocalModelServer:
    return local_model.ensure_server()


def chat_requests_logged(server: local_model.LocalModelServer) -> int:
    return server.log_path.read_text(errors="replace").count("POST /v1/chat/completions")


@pytest.mark.parametrize("mode", ["json", "tools"])
def test_the_prompt_count_is_the_one_the_model_checks(server, mode):
    """The budget counts exactly the prompt tokens llama.cpp reports for the same request."""
    import openai

    payload = build_payload(request(SEED_TEXT * 20, mode, max_tokens=1), "llama_cpp")
    payload.update(stream=False)
    client = openai.OpenAI(base_url=server.base_url, api_key="no-key", max_retries=0)
    reported = client.chat.completions.create(**payload).usage.prompt_tokens

    budget = local_model.embedded_provider(server).prompt_budget

    assert budget.count(chatml(payload["messages"])) == reported


def test_a_text_longer_than_the_context_window_is_refused_before_sending(server):
    requests_before = chat_requests_logged(server)

    events = list(run_extraction(local_model.embedded_provider(server), request(LONG_TEXT)))

    assert [type(event) for event in events] == [Failed]
    failed = events[0]
    assert failed.kind is FailureKind.CONTEXT_LENGTH
    assert "context window holds 4,096" in failed.message
    tokens = int(re.search(r"comes to ([\d,]+) tokens", failed.message)[1].replace(",", ""))
    assert tokens > local_model.CONTEXT_TOKENS
    assert chat_requests_logged(server) == requests_before


def test_without_counting_the_servers_own_reason_comes_through(server):
    """A provider that only says so in its log is asked again, unstreamed, for the reason."""
    uncounted = ProviderConfig(
        base_url=server.base_url, model=local_model.MODEL_ALIAS, quirks="llama_cpp"
    )

    events = list(run_extraction(uncounted, request(LONG_TEXT)))

    assert [type(event) for event in events] == [Failed]
    assert events[0].kind is FailureKind.CONTEXT_LENGTH
    assert "maximum context length is 4096 tokens" in events[0].message


@pytest.mark.parametrize("mode", ["tools", "json"])
def test_a_max_tokens_cut_is_truncated_in_every_mode(server, mode):
    provider = local_model.embedded_provider(server)

    events = list(run_extraction(provider, request(SEED_TEXT, mode, max_tokens=12)))

    ending = events[-1]
    assert isinstance(ending, Finished)
    assert (ending.ending, ending.complete) == ("truncated", False)
    assert "raise max tokens" in ending.message
