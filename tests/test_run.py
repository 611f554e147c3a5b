"""One extraction run, specified end to end: the real openai SDK against the scripted server.

Every stream shape is checked in every mode: ``tools`` (the JSON arrives as tool-call argument
deltas), ``json_schema`` and ``json`` (content deltas), and ``md_json`` (content, inside prose
and a markdown fence). Whatever the shape, each element comes out exactly once, in order, and the
last event says truthfully how the stream ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, conlist

from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Token
from iterplay.provider import ProviderConfig
from iterplay.request import MODES, ExtractionRequest
from iterplay.run import run_extraction
from iterplay.testing import Piece, Reply, ScriptedServer
from iterplay.wrapper import build_wrapper
from tests.spans import assert_spans_locate_elements

API_KEY = "sk-test-run-0123456789"
SCENARIO = "scripted-model"


class Address(BaseModel):
    city: str
    lines: list[str] = []


class User(BaseModel):
    name: str
    age: int
    address: Address | None = None


USER = build_wrapper([User])
JASON = '{"name": "Jason", "age": 10}'
JOHN = '{"name": "John", "age": 30}'
MARY = '{"name": "Mary", "age": 42}'


def tasks(*elements: str) -> str:
    return '{"tasks": [' + ", ".join(elements) + "]}"


def in_prose(json_text: str) -> str:
    """How a model answers in md_json mode: a sentence, a fenced block, a sign-off."""
    return f"Here is what I found:\n```json\n{json_text}\n```\nLet me know if you need more."


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[ScriptedServer]:
    """One server for the module (tests run one at a time and script the reply they need)."""
    with ScriptedServer() as server:
        yield server


@pytest.fixture(params=list(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


def answer(mode: str, json_text: str, chunk_size: int = 7, **reply_options: Any) -> Reply:
    """The reply a model gives in ``mode``: on the mode's channel, in prose for md_json."""
    text = in_prose(json_text) if mode == "md_json" else json_text
    channel = MODES[mode].channel
    return Reply.from_text(text, chunk_size=chunk_size, channel=channel, **reply_options)


def answer_in_pieces(mode: str, pieces: list[str | Piece], **reply_options: Any) -> Reply:
    """Like ``answer`` with explicit chunk boundaries; md_json gets its prose as extra pieces."""
    if mode == "md_json":
        pieces = ["Here is what I found:\n```json\n", *pieces, "\n```\n"]
    as_pieces = tuple(piece if isinstance(piece, Piece) else Piece(piece) for piece in pieces)
    return Reply(pieces=as_pieces, channel=MODES[mode].channel, **reply_options)


def provider_for(server: ScriptedServer, **options: Any) -> ProviderConfig:
    return ProviderConfig(
        **{"base_url": server.url, "model": SCENARIO, "api_key": API_KEY, **options}
    )


def extract(
    server: ScriptedServer,
    reply: Reply | None,
    mode: str = "tools",
    *,
    partials: bool = False,
    provider: ProviderConfig | None = None,
    **request_options: Any,
) -> list[Event]:
    if reply is not None:
        server.script(SCENARIO, reply)
    provider = provider or provider_for(server)
    request = ExtractionRequest(
        wrapper=USER, text="Jason is 10.", model=provider.model, mode=mode, **request_options
    )
    events = list(run_extraction(provider, request, partials=partials))
    assert_spans_locate_elements(events)
    return events


def outcome(events: list[Event]) -> list[Event]:
    """The events a user sees as results: everything but tokens and partials."""
    return [event for event in events if not isinstance(event, Token | Partial)]


def users(events: list[Event]) -> list[tuple[int, User]]:
    return [(event.index, event.value) for event in events if isinstance(event, Entity)]


def final(events: list[Event]) -> Finished | Failed:
    last = events[-1]
    assert isinstance(last, Finished | Failed)
    assert sum(isinstance(event, Finished | Failed) for event in events) == 1
    return last


def user(name: str, age: int, **fields: Any) -> User:
    return User(name=name, age=age, **fields)


# -- stream shapes, in every mode ---------------------------------------------------------------


def test_every_element_arrives_once_in_order_and_the_stream_is_complete(scripted_server, mode):
    events = extract(scripted_server, answer(mode, tasks(JASON, JOHN, MARY)), mode)

    raw_text = "".join(event.text for event in events if isinstance(event, Token))
    assert [(e.index, e.value, raw_text[slice(*e.span)]) for e in outcome(events)[:-1]] == [
        (0, user("Jason", 10), JASON),
        (1, user("John", 30), JOHN),
        (2, user("Mary", 42), MARY),
    ]
    ending = final(events)
    assert (ending.complete, ending.ending, ending.finish_reason) == (True, "complete", "stop")


def test_tokens_spell_exactly_what_the_model_sent_on_the_mode_channel(scripted_server, mode):
    reply = answer(mode, tasks(JASON, JOHN))

    events = extract(scripted_server, reply, mode)

    assert "".join(event.text for event in events if isinstance(event, Token)) == reply.text


def test_braces_brackets_quotes_and_escapes_inside_strings(scripted_server, mode):
    tricky = r'{"name": "} ] { [ \" \\ \"}\" \\\\ \/ \n\t", "age": 1}'

    events = extract(scripted_server, answer(mode, tasks(tricky, JOHN)), mode)

    assert users(events) == [(0, user('} ] { [ " \\ "}" \\\\ / \n\t', 1)), (1, user("John", 30))]
    assert final(events).complete


def test_unicode_emoji_and_unicode_escapes(scripted_server, mode):
    element = '{"name": "Zoë 🎉 東京 \\u00e9\\ud83d\\ude00", "age": 7}'

    events = extract(scripted_server, answer(mode, tasks(element, JOHN)), mode)

    assert users(events) == [(0, user("Zoë 🎉 東京 é😀", 7)), (1, user("John", 30))]


def test_odd_whitespace_anywhere_between_tokens(scripted_server, mode):
    text = '\n\n {\n\t"tasks"\r\n :\n [ \n{ "name" :"Jason" ,\r\n\t"age":\n10 }\n\n,\n\t' + JOHN
    text += "\n ]\n}\n\n"

    events = extract(scripted_server, answer(mode, text), mode)

    assert users(events) == [(0, user("Jason", 10)), (1, user("John", 30))]
    assert final(events).complete


def test_objects_that_abut_without_a_comma_are_separate_elements(scripted_server, mode):
    events = extract(scripted_server, answer(mode, tasks(JASON + JOHN + MARY)), mode)

    assert [index for index, _ in users(events)] == [0, 1, 2]
    assert [value.name for _, value in users(events)] == ["Jason", "John", "Mary"]


def test_bare_array_without_the_wrapper_object(scripted_server, mode):
    events = extract(scripted_server, answer(mode, f"[{JASON}, {JOHN}]"), mode)

    assert users(events) == [(0, user("Jason", 10)), (1, user("John", 30))]
    assert final(events).complete


def test_nested_objects_and_arrays_stay_inside_their_element(scripted_server, mode):
    nested = '{"name": "Ann", "age": 5, "address": {"city": "Oslo", "lines": ["a {", "] b"]}}'

    events = extract(scripted_server, answer(mode, tasks(nested, JOHN)), mode)

    address = Address(city="Oslo", lines=["a {", "] b"])
    assert users(events) == [(0, user("Ann", 5, address=address)), (1, user("John", 30))]


def test_chunk_boundaries_at_every_character(scripted_server, mode):
    tricky = r'{"name": "Zoë 🎉 {\"[\\", "age": 1, "address": {"city": "}", "lines": ["]"]}}'
    text = tasks(tricky, JASON, JOHN)

    events = extract(scripted_server, answer(mode, text, chunk_size=1), mode)

    expected = user('Zoë 🎉 {"[\\', 1, address=Address(city="}", lines=["]"]))
    assert users(events) == [(0, expected), (1, user("Jason", 10)), (2, user("John", 30))]
    assert final(events).complete


def test_invalid_element_in_the_middle_is_reported_and_the_stream_goes_on(scripted_server, mode):
    wrong = '{"name": "Bob", "age": "old"}'

    events = extract(scripted_server, answer(mode, tasks(JASON, wrong, JOHN)), mode)

    entity, invalid, later, ending = outcome(events)
    assert (entity.index, later.index) == (0, 2)
    assert isinstance(invalid, Invalid)
    assert (invalid.index, invalid.raw) == (1, wrong)
    assert [(error["loc"], error["type"]) for error in invalid.errors] == [(["age"], "int_parsing")]
    assert invalid.errors[0]["msg"].startswith("Input should be a valid integer")
    assert (ending.complete, ending.stats.entities, ending.stats.invalid_entities) == (True, 2, 1)


def test_a_complete_empty_list_says_the_model_returned_nothing(scripted_server, mode):
    ending = final(extract(scripted_server, answer(mode, tasks()), mode))

    assert (ending.complete, ending.ending, ending.stats.entities) == (True, "complete", 0)
    assert ending.message == "The stream completed, but the model returned an empty list."


def test_a_complete_stream_of_invalid_elements_says_they_all_failed(scripted_server, mode):
    wrong = '{"name": "Bob", "age": "old"}'

    ending = final(extract(scripted_server, answer(mode, tasks(wrong, wrong, wrong)), mode))

    assert (ending.complete, ending.stats.entities, ending.stats.invalid_entities) == (True, 0, 3)
    assert ending.message == (
        "The stream completed, but all 3 elements failed validation: nothing valid came out."
    )


def test_a_complete_stream_with_some_invalid_elements_counts_them(scripted_server, mode):
    wrong = '{"name": "Bob", "age": "old"}'

    ending = final(extract(scripted_server, answer(mode, tasks(JASON, wrong, JOHN)), mode))

    assert ending.message == "The stream completed; 1 of 3 elements failed validation."


def test_malformed_json_element_is_invalid_and_the_stream_goes_on(scripted_server, mode):
    broken = '{"name": "Bob", "age": }'

    events = extract(scripted_server, answer(mode, tasks(JASON, broken, JOHN)), mode)

    invalid = outcome(events)[1]
    assert isinstance(invalid, Invalid)
    assert (invalid.index, invalid.raw, invalid.errors[0]["type"]) == (1, broken, "json_invalid")
    assert users(events) == [(0, user("Jason", 10)), (2, user("John", 30))]


def test_max_tokens_cut_ends_truncated_after_every_entity(scripted_server, mode):
    text = tasks(JASON, JOHN, MARY)
    cut = text[: text.index("Mary") + 2]

    events = extract(scripted_server, answer(mode, cut, finish_reason="length"), mode)

    assert users(events) == [(0, user("Jason", 10)), (1, user("John", 30))]
    ending = final(events)
    assert isinstance(ending, Finished)
    assert (ending.complete, ending.ending, ending.finish_reason) == (False, "truncated", "length")
    assert "max-tokens" in ending.message and "element 2" in ending.message


def test_dropped_connection_ends_cut_off_after_the_entities_already_sent(scripted_server, mode):
    pieces = ['{"tasks": [' + JASON + ", ", JOHN + ", ", MARY[:9], MARY[9:] + "]}"]

    events = extract(scripted_server, answer_in_pieces(mode, pieces, drop_after=3), mode)

    assert users(events) == [(0, user("Jason", 10)), (1, user("John", 30))]
    ending = final(events)
    assert isinstance(ending, Finished)
    assert (ending.complete, ending.ending, ending.finish_reason) == (False, "cut_off", None)
    assert "was cut off" in ending.message and "(the connection closed" in ending.message


def test_stall_longer_than_the_timeout_mid_stream_ends_cut_off(scripted_server, mode):
    pieces = ['{"tasks": [' + JASON + ", ", Piece(JOHN + "]}", pause=5.0)]
    stalled = answer_in_pieces(mode, pieces)

    events = extract(
        scripted_server, stalled, mode, provider=provider_for(scripted_server, timeout=0.3)
    )

    assert users(events) == [(0, user("Jason", 10))]
    assert (final(events).complete, final(events).ending) == (False, "cut_off")
    assert "the provider sent nothing for 0.3 s" in final(events).message


def test_max_tokens_used_up_is_truncated_whatever_finish_reason_the_provider_says(scripted_server):
    """llama-cpp-python says ``tool_calls`` when max tokens cut a tool call short."""
    pieces = ['{"tasks": [', JASON, ", ", '{"name": "Jo']
    usage = {"prompt_tokens": 50, "completion_tokens": 4, "total_tokens": 54}
    reply = Reply.from_pieces(pieces, channel="tool_call", finish_reason="tool_calls", usage=usage)

    events = extract(scripted_server, reply, "tools", max_tokens=4)

    assert users(events) == [(0, user("Jason", 10))]
    ending = final(events)
    assert (ending.complete, ending.ending, ending.finish_reason) == (
        False,
        "truncated",
        "tool_calls",
    )
    assert "raise max tokens" in ending.message


def test_without_usage_llama_cpp_chunks_count_the_tokens_against_max_tokens(scripted_server):
    pieces = ['{"tasks": [', JASON, ", ", '{"name": "Jo']
    reply = Reply.from_pieces(pieces, channel="tool_call", finish_reason="tool_calls")
    provider = provider_for(scripted_server, quirks="llama_cpp")

    events = extract(scripted_server, reply, "tools", provider=provider, max_tokens=4)

    assert "stream_options" not in scripted_server.requests[-1]
    assert (final(events).ending, final(events).complete) == ("truncated", False)


def test_fewer_tokens_than_max_tokens_with_open_json_is_unterminated(scripted_server):
    pieces = ['{"tasks": [', JASON, ", ", '{"name": "Jo']
    usage = {"prompt_tokens": 50, "completion_tokens": 4, "total_tokens": 54}
    reply = Reply.from_pieces(pieces, channel="tool_call", finish_reason="tool_calls", usage=usage)

    events = extract(scripted_server, reply, "tools", max_tokens=100)

    assert (final(events).ending, final(events).complete) == ("unterminated", False)


def test_a_complete_answer_that_uses_every_token_is_complete(scripted_server):
    reply = Reply.from_pieces(['{"tasks": [', JASON, "]}"], channel="tool_call")

    events = extract(scripted_server, reply, "tools", max_tokens=3)

    assert (final(events).ending, final(events).complete) == ("complete", True)


def test_stop_before_the_array_closes_is_not_complete(scripted_server, mode):
    events = extract(scripted_server, answer(mode, '{"tasks": [' + JASON + ", " + JOHN), mode)

    assert len(users(events)) == 2
    assert (final(events).complete, final(events).ending) == (False, "unterminated")


def test_prose_and_fence_around_the_json_in_md_json(scripted_server):
    text = "Sure! I found two people.\n\n```json\n" + tasks(JASON, JOHN) + "\n```\n\nAnything else?"

    events = extract(scripted_server, Reply.from_text(text, chunk_size=3), "md_json")

    assert users(events) == [(0, user("Jason", 10)), (1, user("John", 30))]
    assert final(events).complete


def test_tools_mode_reads_the_arguments_and_ignores_content(scripted_server):
    events = extract(scripted_server, Reply.from_text(tasks(JASON), channel="content"), "tools")

    assert users(events) == []
    assert (final(events).complete, final(events).ending) == (False, "no_tool_call")


# -- what the run measures ----------------------------------------------------------------------


def test_usage_reported_by_the_server_lands_in_the_final_stats(scripted_server, mode):
    usage = {"prompt_tokens": 120, "completion_tokens": 34, "total_tokens": 154}

    events = extract(scripted_server, answer(mode, tasks(JASON), usage=usage), mode)

    stats = final(events).stats
    assert (stats.prompt_tokens, stats.completion_tokens) == (120, 34)


def test_stats_count_chunks_characters_and_entities(scripted_server, mode):
    reply = answer(mode, tasks(JASON, '{"name": 1}', JOHN), chunk_size=5)

    stats = final(extract(scripted_server, reply, mode)).stats

    assert (stats.chunks, stats.characters) == (len(reply.pieces), len(reply.text))
    assert (stats.entities, stats.invalid_entities) == (2, 1)
    assert 0 <= stats.time_to_first_token <= stats.total_time


def test_event_times_grow_with_the_stream(scripted_server):
    reply = Reply.from_pieces(['{"tasks": [' + JASON, ", " + JOHN + "]}"], pause=0.05)

    entities = [
        event for event in extract(scripted_server, reply, "json") if isinstance(event, Entity)
    ]

    assert 0 < entities[0].t < entities[1].t


def test_partials_grow_while_an_element_is_written(scripted_server):
    pieces = ['{"tasks": [{"name": "Ja', 'son", "ag', 'e": 10', ', "address": {"city": "Os', 'lo"']
    pieces += ["}}, ", JOHN, "]}"]

    events = extract(scripted_server, Reply.from_pieces(pieces), "json", partials=True)

    first = [event.data for event in events if isinstance(event, Partial) and event.index == 0]
    assert first == [
        {"name": "Ja"},
        {"name": "Jason"},
        {"name": "Jason", "age": 10},
        {"name": "Jason", "age": 10, "address": {"city": "Os"}},
        {"name": "Jason", "age": 10, "address": {"city": "Oslo"}},
    ]


def test_a_partial_comes_only_when_the_data_changed(scripted_server):
    pieces = ['{"tasks": [{"na', "me", '": "Jas', "on", '", "a', "ge", '": 10}]}']

    events = extract(scripted_server, Reply.from_pieces(pieces), "json", partials=True)

    assert [event.data for event in events if isinstance(event, Partial)] == [
        {},
        {"name": "Jas"},
        {"name": "Jason"},
    ]


def test_no_partial_for_an_element_after_it_completed(scripted_server):
    pieces = ['{"tasks": [{"name": "Ja', 'son", "age": 10}', ', {"name": "Jo', 'hn", "age": 30}]}']

    events = extract(scripted_server, Reply.from_pieces(pieces), "json", partials=True)

    order = [(type(e).__name__, e.index) for e in events if isinstance(e, Partial | Entity)]
    assert order == [("Partial", 0), ("Entity", 0), ("Partial", 1), ("Entity", 1)]


def test_no_partials_unless_asked(scripted_server):
    events = extract(scripted_server, Reply.from_text(tasks(JASON), chunk_size=3), "json")

    assert not any(isinstance(event, Partial) for event in events)


# -- the request the server received ------------------------------------------------------------


def test_tools_mode_sends_the_wrapper_as_the_forced_function(scripted_server):
    extract(scripted_server, answer("tools", tasks(JASON)), "tools")

    request = scripted_server.requests[-1]
    assert request["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "IterableUser",
                "description": "Correct segmentation of `User` tasks",
                "parameters": USER.json_schema,
            },
        }
    ]
    assert request["tool_choice"] == {"type": "function", "function": {"name": "IterableUser"}}
    assert "response_format" not in request


def test_json_schema_mode_sends_the_schema_as_response_format(scripted_server):
    extract(scripted_server, answer("json_schema", tasks(JASON)), "json_schema")

    request = scripted_server.requests[-1]
    assert request["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "IterableUser", "schema": USER.json_schema},
    }
    assert "tools" not in request


def test_json_mode_asks_for_a_json_object_and_puts_the_schema_in_the_prompt(scripted_server):
    extract(scripted_server, answer("json", tasks(JASON)), "json")

    request = scripted_server.requests[-1]
    assert request["response_format"] == {"type": "json_object"}
    assert '"IterableUser"' in request["messages"][0]["content"]


def test_md_json_mode_asks_for_a_fenced_block_in_the_prompt_only(scripted_server):
    extract(scripted_server, answer("md_json", tasks(JASON)), "md_json")

    request = scripted_server.requests[-1]
    assert "```json" in request["messages"][0]["content"]
    assert "response_format" not in request and "tools" not in request


@pytest.mark.parametrize("mode", ["json_schema", "json"])
def test_llama_cpp_gets_the_schema_inside_a_json_object_response_format(scripted_server, mode):
    provider = provider_for(scripted_server, quirks="llama_cpp")

    extract(scripted_server, answer(mode, tasks(JASON)), mode, provider=provider)

    assert scripted_server.requests[-1]["response_format"] == {
        "type": "json_object",
        "schema": USER.json_schema,
    }


def test_every_request_streams_and_asks_for_usage(scripted_server, mode):
    extract(scripted_server, answer(mode, tasks(JASON)), mode, temperature=0.2, max_tokens=99)

    request = scripted_server.requests[-1]
    assert (request["model"], request["stream"]) == (SCENARIO, True)
    assert request["stream_options"] == {"include_usage": True}
    assert (request["temperature"], request["max_tokens"]) == (0.2, 99)
    assert "Jason is 10." in request["messages"][1]["content"]


# -- provider errors: exactly one Failed, in one plain sentence ---------------------------------


def assert_plain_sentence(message: str) -> None:
    assert message and message[0].isupper()
    assert "\n" not in message and "Traceback" not in message
    assert API_KEY not in message


def failure(events: list[Event]) -> Failed:
    assert len(events) == 1, events
    assert isinstance(events[0], Failed)
    assert_plain_sentence(events[0].message)
    return events[0]


def test_wrong_api_key_is_refused_without_showing_the_key():
    with ScriptedServer(api_key="sk-the-right-one-987654") as server:
        server.script(SCENARIO, answer("tools", tasks(JASON)))

        failed = failure(extract(server, None))

    assert failed.kind == "auth"
    assert "refused the API key (401)" in failed.message


def test_a_key_echoed_by_the_provider_is_hidden(scripted_server):
    echo = {"message": f"Incorrect API key provided: {API_KEY}.", "code": "invalid_api_key"}

    failed = failure(extract(scripted_server, Reply(status=401, error=echo)))

    assert failed.kind == "auth"
    assert "[key hidden]" in failed.message


def test_a_request_refused_before_sending_is_one_failed_event(scripted_server):
    class Many(BaseModel):
        xs: conlist(int, min_length=100_000_000)

    provider = provider_for(scripted_server, quirks="llama_cpp")
    request = ExtractionRequest(build_wrapper([Many]), "text", SCENARIO, "json")
    requests_before = len(scripted_server.requests)

    failed = failure(list(run_extraction(provider, request)))

    assert failed.kind == "bad_request" and "grammar can take" in failed.message
    assert len(scripted_server.requests) == requests_before


def test_a_404_naming_the_model_is_a_missing_model(scripted_server):
    ollama = {"message": f'model "{SCENARIO}" not found, try pulling it first'}

    failed = failure(extract(scripted_server, Reply(status=404, error=ollama)))

    assert failed.kind == "not_found"
    assert failed.message.startswith(f"Model '{SCENARIO}' was not found at ")


def test_a_404_under_v1_that_does_not_name_the_model_blames_the_base_url(scripted_server):
    failed = failure(extract(scripted_server, Reply(status=404, error={"message": "Not Found"})))

    assert failed.kind == "not_found"
    assert "There is no chat-completions endpoint at" in failed.message
    assert "check the base URL" in failed.message and "Model '" not in failed.message


def test_bad_request_names_the_mode_that_may_be_unsupported(scripted_server):
    failed = failure(extract(scripted_server, Reply(status=400), "json_schema"))

    assert "mode 'json_schema' may be unsupported" in failed.message


def test_html_page_with_status_200_is_a_bad_response(scripted_server):
    page = b"<html><body><h1>Welcome to nginx!</h1></body></html>"

    failed = failure(extract(scripted_server, Reply(raw_body=page)))

    assert failed.kind == "bad_response"
    assert "OpenAI-compatible" in failed.message


# -- streams that go wrong after they started ---------------------------------------------------
#
# After a first chunk holding one element, the scripted server writes a raw SSE event.


def extract_then_raw(server: ScriptedServer, data: str) -> list[Event]:
    first = Piece('{"tasks": [' + JASON + ", ")
    raw = Piece(f"data: {data}\n\n", raw=True)
    return extract(server, Reply(pieces=(first, raw)), "json")


def late_failure(events: list[Event]) -> Failed:
    assert users(events) == [(0, user("Jason", 10))]
    failed = final(events)
    assert isinstance(failed, Failed)
    assert_plain_sentence(failed.message)
    return failed


def test_error_event_mid_stream_fails_after_the_entities_already_sent(scripted_server):
    error = {"error": {"message": f"Overloaded (key {API_KEY}).", "type": "server_error"}}

    failed = late_failure(extract_then_raw(scripted_server, json.dumps(error)))

    assert failed.kind == "server"
    assert "reported an error during the stream: Overloaded (key [key hidden])." in failed.message


@pytest.mark.parametrize("data", ['{"object": "something.else"}', "[1, 2]"])
def test_stream_event_that_is_not_a_chunk_is_a_bad_response(scripted_server, data):
    failed = late_failure(extract_then_raw(scripted_server, data))

    assert (failed.kind, "not a chat-completions chunk" in failed.message) == (
        "bad_response",
        True,
    )


@pytest.mark.parametrize("closed", [True, False], ids=["array closed", "mid-element"])
def test_a_content_filter_says_so_whatever_arrived(scripted_server, closed):
    """finish_reason=content_filter once read as "The stream completed." with complete false."""
    pieces = ['{"tasks": [', JASON, "]}" if closed else ', {"name": "Jo']
    reply = Reply.from_pieces(pieces, channel="tool_call", finish_reason="content_filter")

    events = extract(scripted_server, reply, "tools")

    assert users(events) == [(0, user("Jason", 10))]
    ending = final(events)
    assert (ending.complete, ending.ending) == (False, "filtered")
    assert ending.message.startswith("The provider's content filter ended the answer ")
    assert ending.message.endswith("everything shown arrived before it.")
