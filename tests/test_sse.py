"""Reading chat-completion chunks off the SSE body: the framing rules and what is refused."""

from __future__ import annotations

import pytest

from iterplay.sse import StreamEventError, iter_chunks


def test_each_data_event_is_one_chunk_until_done():
    lines = [
        'data: {"choices": [], "n": 1}',
        "",
        'data: {"choices": [], "n": 2}',
        "",
        "data: [DONE]",
    ]
    assert [chunk["n"] for chunk in iter_chunks(lines)] == [1, 2]  # fmt: skip


def test_text_after_done_is_ignored():
    lines = ['data: {"choices": []}', "", "data: [DONE]", "", 'data: {"late": 1}', ""]
    assert list(iter_chunks(lines)) == [{"choices": []}]


def test_comments_and_data_without_a_space_are_understood():
    lines = [": keep-alive", "", 'data:{"choices": [], "n": 1}', ""]
    assert list(iter_chunks(lines)) == [{"choices": [], "n": 1}]


def test_multi_line_data_is_joined():
    assert list(iter_chunks(['data: {"choices":', "data: []}", ""])) == [{"choices": []}]


def test_a_last_event_without_a_blank_line_still_counts():
    assert list(iter_chunks(['data: {"choices": []}'])) == [{"choices": []}]


@pytest.mark.parametrize(
    ("lines", "kind", "detail"),
    [
        (["data: <html>", ""], "bad_response", "not JSON"),
        (["data: [1, 2]", ""], "bad_response", "not a chat-completions chunk"),
        (['data: {"choices": "x"}', ""], "bad_response", "not a chat-completions chunk"),
        (['data: {"object": "something.else"}', ""], "bad_response", "not a chat-completions"),
        (['data: {"error": {"message": "overloaded"}}', ""], "server", "overloaded"),
        (["event: error", 'data: {"message": "boom"}', ""], "server", "boom"),
    ],
)
def test_events_that_are_not_chunks_are_refused(lines, kind, detail):
    with pytest.raises(StreamEventError, match=detail) as caught:
        list(iter_chunks(lines))
    assert caught.value.kind == kind
