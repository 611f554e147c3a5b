"""The scripted server speaks OpenAI's streaming protocol well enough for the real openai SDK.

Every test drives it with the SDK (or raw sockets, for the wire format), so what passes here is
what iterplay will meet from a real provider: chunked SSE, cut connections, error bodies.
"""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletionChunk

from iterplay.testing import Piece, Reply, ScriptedServer

MESSAGES = [{"role": "user", "content": "Jason is 10 and John is 30"}]
TASKS_JSON = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'
TOOL = {"type": "function", "function": {"name": "IterableUser", "parameters": {"type": "object"}}}
FORCE_TOOL = {"type": "function", "function": {"name": "IterableUser"}}
HTML_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.fixture
def client(scripted_server: ScriptedServer) -> Iterator[openai.OpenAI]:
    with _client_for(scripted_server) as client:
        yield client


def _client_for(server: ScriptedServer, **options: Any) -> openai.OpenAI:
    options = {"api_key": "test", "max_retries": 0, **options}
    return openai.OpenAI(base_url=server.url, **options)


def _stream(client: openai.OpenAI, model: str, **kwargs: Any) -> list[ChatCompletionChunk]:
    stream = client.chat.completions.create(model=model, messages=MESSAGES, stream=True, **kwargs)
    return list(stream)


def _content(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


def _arguments(chunks: list[ChatCompletionChunk]) -> str:
    calls = [
        call
        for chunk in chunks
        if chunk.choices
        for call in chunk.choices[0].delta.tool_calls or []
    ]
    return "".join(call.function.arguments or "" for call in calls if call.function)


def test_content_pieces_reassemble_to_the_scripted_text(scripted_server, client):
    scripted_server.script("m", Reply.from_text(TASKS_JSON, chunk_size=5))

    assert _content(_stream(client, "m")) == TASKS_JSON


def test_each_piece_arrives_as_its_own_chunk_after_an_assistant_role_chunk(scripted_server, client):
    pieces = ['{"tasks": [', '{"name": "Jason"}', "]}"]
    scripted_server.script("m", Reply.from_pieces(pieces))

    deltas = [chunk.choices[0].delta for chunk in _stream(client, "m")]

    assert (deltas[0].role, deltas[0].content) == ("assistant", "")
    assert [delta.content for delta in deltas[1:4]] == pieces


def test_tool_call_arguments_reassemble_under_the_requested_function_name(scripted_server, client):
    scripted_server.script("m", Reply.from_text(TASKS_JSON, chunk_size=4, channel="tool_call"))

    chunks = _stream(client, "m", tools=[TOOL], tool_choice=FORCE_TOOL)

    first_call = chunks[0].choices[0].delta.tool_calls[0]
    assert (first_call.id, first_call.type) == ("call_scripted", "function")
    assert first_call.function.name == "IterableUser"
    assert _arguments(chunks) == TASKS_JSON
    assert _content(chunks) == ""


def test_finish_reason_arrives_in_a_last_chunk_with_an_empty_delta(scripted_server, client):
    scripted_server.script("m", Reply.from_text("cut sho", finish_reason="length"))

    last = _stream(client, "m")[-1].choices[0]

    assert last.finish_reason == "length"
    assert (last.delta.content, last.delta.role) == (None, None)


def test_no_finish_chunk_when_finish_reason_is_none(scripted_server, client):
    scripted_server.script("m", Reply.from_text("abc", finish_reason=None))

    chunks = _stream(client, "m")

    assert [chunk.choices[0].finish_reason for chunk in chunks] == [None, None]


def test_usage_chunk_without_choices_comes_last_when_include_usage_is_asked(
    scripted_server, client
):
    usage = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    scripted_server.script("m", Reply.from_text("abc", usage=usage))

    chunks = _stream(client, "m", stream_options={"include_usage": True})

    assert chunks[-1].choices == []
    assert chunks[-1].usage.model_dump(include=set(usage)) == usage
    assert all(chunk.usage is None for chunk in chunks[:-1])


def test_no_usage_chunk_unless_include_usage_is_asked(scripted_server, client):
    usage = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    scripted_server.script("m", Reply.from_text("abc", usage=usage))

    chunks = _stream(client, "m")

    assert all(chunk.choices and chunk.usage is None for chunk in chunks)


def test_cut_connection_raises_api_connection_error_after_the_pieces_sent(scripted_server, client):
    scripted_server.script("m", Reply.from_pieces(["a", "b", "c", "d"], drop_after=2))
    received = []

    with pytest.raises(openai.APIConnectionError) as caught:
        for chunk in client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
            received.append(chunk.choices[0].delta.content)

    assert type(caught.value) is openai.APIConnectionError
    assert isinstance(caught.value.__cause__, httpx2.RemoteProtocolError)
    assert "incomplete chunked read" in str(caught.value.__cause__)
    assert received == ["", "a", "b"]


def test_slow_headers_raise_api_timeout_error(scripted_server):
    scripted_server.script("m", Reply.from_text("late", headers_delay=5.0))

    with _client_for(scripted_server, timeout=0.2) as client, pytest.raises(openai.APITimeoutError):
        _stream(client, "m")


def test_wrong_api_key_raises_authentication_error():
    with (
        ScriptedServer(api_key="sk-right") as server,
        _client_for(server, api_key="sk-wrong") as client,
    ):
        server.script("m", Reply.from_text("abc"))
        with pytest.raises(openai.AuthenticationError) as caught:
            _stream(client, "m")

    assert (caught.value.status_code, caught.value.code) == (401, "invalid_api_key")


def test_right_api_key_is_accepted():
    with (
        ScriptedServer(api_key="sk-right") as server,
        _client_for(server, api_key="sk-right") as client,
    ):
        server.script("m", Reply.from_text("abc"))

        assert _content(_stream(client, "m")) == "abc"


def test_unknown_model_raises_not_found_error(client):
    with pytest.raises(openai.NotFoundError) as caught:
        _stream(client, "gpt-nonexistent")

    assert caught.value.code == "model_not_found"
    assert caught.value.param == "model"
    assert "The model 'gpt-nonexistent' does not exist" in caught.value.message


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, openai.BadRequestError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_error_status_raises_the_matching_sdk_error(scripted_server, client, status, error_class):
    error = {"message": "scripted failure", "code": "scripted"}
    scripted_server.script("m", Reply(status=status, error=error))

    with pytest.raises(error_class) as caught:
        _stream(client, "m")

    assert caught.value.status_code == status
    assert (caught.value.code, caught.value.body["message"]) == ("scripted", "scripted failure")


def test_html_page_with_status_200_ends_the_sdk_stream_silently_with_no_chunks(
    scripted_server, client
):
    """The SDK parses the page as SSE, finds no events and stops: no error reaches the caller."""
    scripted_server.script("m", Reply(raw_body=HTML_PAGE))

    assert _stream(client, "m") == []


def test_html_page_without_stream_comes_back_from_the_sdk_as_a_str(scripted_server, client):
    scripted_server.script("m", Reply(raw_body=HTML_PAGE))

    completion = client.chat.completions.create(model="m", messages=MESSAGES)

    assert completion == HTML_PAGE.decode()


def test_html_page_with_error_status_raises_a_status_error(scripted_server, client):
    scripted_server.script("m", Reply(raw_body=HTML_PAGE, status=502))

    with pytest.raises(openai.InternalServerError) as caught:
        _stream(client, "m")

    assert caught.value.body == HTML_PAGE.decode()


def test_pauses_are_honoured_in_order(scripted_server, client):
    pauses = (0.05, 0.2, 0.1)
    pieces = tuple(Piece(str(index), pause) for index, pause in enumerate(pauses))
    scripted_server.script("m", Reply(pieces=pieces))

    _stream(client, "m")

    assert [index for model, index, _ in scripted_server.sent if model == "m"] == [0, 1, 2]
    times = [sent_at for _, _, sent_at in scripted_server.sent]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= pause for gap, pause in zip(gaps, pauses[1:], strict=True))


def test_a_piece_reaches_the_client_before_the_next_piece_is_sent(scripted_server):
    """The second piece waits at a gate the test opens only once the first piece is in: a
    server that buffered would time the client out instead."""
    scripted_server.script("m", Reply(pieces=(Piece("first"), Piece("second", after="next"))))
    contents = []

    with _client_for(scripted_server, timeout=10) as client:
        for chunk in client.chat.completions.create(model="m", messages=MESSAGES, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                contents.append(chunk.choices[0].delta.content)
                if contents == ["first"]:
                    assert [index for _, index, _ in scripted_server.sent] == [0]
                    scripted_server.open_gate("next")

    assert contents == ["first", "second"]


def test_a_model_scripted_with_several_replies_answers_them_in_turn_then_the_last(
    scripted_server, client
):
    scripted_server.script("m", Reply.from_text("one"), Reply.from_text("two"))

    answers = [_content(_stream(client, "m")) for _ in range(3)]

    assert answers == ["one", "two", "two"]


def test_headers_come_with_an_error_status(scripted_server, client):
    scripted_server.script("m", Reply(status=429, headers={"Retry-After": "7"}))

    with pytest.raises(openai.RateLimitError) as caught:
        _stream(client, "m")

    assert caught.value.response.headers["retry-after"] == "7"


def test_a_raw_piece_is_written_to_the_body_as_it_is(scripted_server):
    raw = "data: <html>not json</html>\n\n"
    scripted_server.script("m", Reply(pieces=(Piece("a"), Piece(raw, raw=True))))

    _, chunks = _raw_stream(scripted_server, {"model": "m", "stream": True, "messages": []})

    assert chunks[2] == raw.encode()
    assert Reply(pieces=(Piece("a"), Piece(raw, raw=True))).text == "a"


def test_a_piece_after_a_closed_gate_ends_abruptly_when_the_server_stops():
    with ScriptedServer() as server:
        server.script("m", Reply(pieces=(Piece("a"), Piece("b", after="never"))))
        with _client_for(server, timeout=10) as client:
            stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
            next(chunk for chunk in stream if chunk.choices and chunk.choices[0].delta.content)
            server.stop()
            with pytest.raises(openai.APIConnectionError):
                list(stream)


def test_requests_are_recorded_in_order(scripted_server, client):
    scripted_server.script("a", Reply.from_text("x"))
    scripted_server.script("b", Reply.from_text("y"))

    _stream(client, "a", temperature=0.0)
    client.chat.completions.create(model="b", messages=MESSAGES)

    assert [request["model"] for request in scripted_server.requests] == ["a", "b"]
    assert scripted_server.requests[0]["messages"] == MESSAGES
    assert scripted_server.requests[0]["temperature"] == 0.0
    assert [request.get("stream") for request in scripted_server.requests] == [True, None]


def test_models_endpoint_lists_the_scripted_models(scripted_server, client):
    scripted_server.script("small", Reply.from_text("x"))
    scripted_server.script("large", Reply.from_text("y"))

    assert [model.id for model in client.models.list()] == ["small", "large"]


def test_non_streaming_request_gets_the_whole_text(scripted_server, client):
    scripted_server.script("m", Reply.from_text(TASKS_JSON, finish_reason="length"))

    completion = client.chat.completions.create(model="m", messages=MESSAGES)

    assert completion.choices[0].message.content == TASKS_JSON
    assert completion.choices[0].finish_reason == "length"


def test_non_streaming_tool_call_carries_the_whole_arguments(scripted_server, client):
    scripted_server.script("m", Reply.from_text(TASKS_JSON, channel="tool_call"))

    completion = client.chat.completions.create(
        model="m", messages=MESSAGES, tools=[TOOL], tool_choice=FORCE_TOOL
    )

    call = completion.choices[0].message.tool_calls[0]
    assert (call.function.name, call.function.arguments) == ("IterableUser", TASKS_JSON)


def test_each_event_is_one_http_chunk_framed_as_openai_sse(scripted_server):
    scripted_server.script("m", Reply.from_pieces(["ab", "cd"]))

    headers, chunks = _raw_stream(scripted_server, {"model": "m", "messages": [], "stream": True})

    assert "transfer-encoding: chunked" in headers
    assert "content-type: text/event-stream" in headers
    assert all(chunk.startswith(b"data: ") and chunk.endswith(b"\n\n") for chunk in chunks)
    assert all(chunk.count(b"\n\n") == 1 for chunk in chunks)
    assert chunks[-1] == b"data: [DONE]\n\n"
    events = [json.loads(chunk[len(b"data: ") :]) for chunk in chunks[:-1]]
    assert [event["object"] for event in events] == ["chat.completion.chunk"] * 4
    assert events[1]["choices"] == [
        {"index": 0, "delta": {"content": "ab"}, "logprobs": None, "finish_reason": None}
    ]


def _raw_stream(server: ScriptedServer, body: dict[str, Any]) -> tuple[str, list[bytes]]:
    """POST over a bare socket; the lower-cased head and the payload of every HTTP chunk."""
    host, port = server.url.removeprefix("http://").removesuffix("/v1").split(":")
    payload = json.dumps(body).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode() + payload)
        raw = b"".join(iter(lambda: sock.recv(65536), b""))
    head_bytes, _, body_bytes = raw.partition(b"\r\n\r\n")
    return head_bytes.decode().lower(), _dechunk(body_bytes)


def _dechunk(body: bytes) -> list[bytes]:
    """Split a chunked body into its chunks; fails unless it ends with the zero-length chunk."""
    chunks = []
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            assert body == b"\r\n", "missing terminating chunk"
            return chunks
        chunks.append(body[:size])
        assert body[size : size + 2] == b"\r\n"
        body = body[size + 2 :]


def test_client_disconnect_mid_stream_prints_nothing_and_serving_goes_on(
    scripted_server, client, capsys
):
    scripted_server.script("slow", Reply.from_pieces(["x"] * 10, pause=0.03))
    scripted_server.script("fast", Reply.from_text("still here"))

    stream = client.chat.completions.create(model="slow", messages=MESSAGES, stream=True)
    next(stream)
    stream.close()
    assert scripted_server.wait_until_idle(timeout=10), "the cut stream is still being served"

    assert _content(_stream(client, "fast")) == "still here"
    assert capsys.readouterr().err == ""


def test_reply_round_trips_through_a_json_dict():
    reply = Reply(
        pieces=(Piece("a", 0.1), Piece("b"), Piece("data: x\n\n", raw=True, after="gate")),
        channel="tool_call",
        finish_reason=None,
        drop_after=1,
        status=503,
        error={"message": "overloaded"},
        raw_body=b"\xff<html>not utf-8</html>",
        usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        headers_delay=0.5,
        headers={"Retry-After": "3"},
    )

    assert Reply.from_dict(json.loads(json.dumps(reply.to_dict()))) == reply


def test_from_text_cuts_the_text_into_chunk_size_pieces_with_the_same_pause():
    reply = Reply.from_text("abcdefgh", chunk_size=3, pause=0.1, finish_reason="length")

    assert reply.pieces == (Piece("abc", 0.1), Piece("def", 0.1), Piece("gh", 0.1))
    assert reply.finish_reason == "length"


def test_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="channel"):
        Reply(channel="audio")


def test_command_line_mode_serves_a_scenario_file_until_terminated(tmp_path):
    scenarios = tmp_path / "scenarios.json"
    in_turn = [Reply(status=503).to_dict(), Reply.from_text("again").to_dict()]
    scripted = {"cli-model": Reply.from_pieces(["Hel", "lo"]).to_dict(), "in-turn": in_turn}
    scenarios.write_text(json.dumps(scripted))
    sent_log = tmp_path / "sent.log"

    with _scripted_server_process(scenarios, sent_log) as (process, url):
        with openai.OpenAI(base_url=url, api_key="test", max_retries=0) as client:
            assert _content(_stream(client, "cli-model")) == "Hello"
            with pytest.raises(openai.InternalServerError):
                _stream(client, "in-turn")
            assert _content(_stream(client, "in-turn")) == "again"
        process.terminate()
        assert process.wait(timeout=10) == 0
        assert process.stderr.read() == ""

    lines = [line.split("\t") for line in sent_log.read_text().splitlines()]
    assert [model for model, _, _ in lines] == ["cli-model", "cli-model", "in-turn"]
    assert [int(index) for _, index, _ in lines] == [0, 1, 0]
    assert float(lines[0][2]) <= float(lines[1][2]) <= time.monotonic()


@contextmanager
def _scripted_server_process(
    scenarios: Path, sent_log: Path
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run the command-line mode, wait for its READY line, and never leave it running."""
    command = [sys.executable, "-m", "iterplay.testing.scripted_server", "--port", "0"]
    command += ["--scenarios", str(scenarios), "--sent-log", str(sent_log)]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            ready = process.stdout.readline()
            assert ready.startswith("READY http://127.0.0.1:"), process.stderr.read()
            yield process, ready.split()[1]
        finally:
            if process.poll() is None:
                process.kill()
