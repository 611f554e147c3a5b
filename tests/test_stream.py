"""The splitter, specified: what it yields for each shape of stream."""

from __future__ import annotations

import itertools
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from iterplay.stream import ElementSplitter, Phase, SplitElement, split_elements


def chars(text: str) -> list[str]:
    """Feed one character at a time: the harshest chunking."""
    return list(text)


def test_wrapper_object_yields_each_task():
    assert split_elements(['{"tasks": [{"a": 1}, {"a": 2}]}']) == ['{"a": 1}', '{"a": 2}']


def test_element_is_returned_by_the_chunk_that_closes_it():
    splitter = ElementSplitter()
    assert splitter.feed('{"tasks": [{"a": 1') == []
    assert [element.raw for element in splitter.feed("}, {")] == ['{"a": 1}']
    assert [element.raw for element in splitter.feed('"a": 2}]}')] == ['{"a": 2}']


def spans(chunks: list[str]) -> list[tuple[int, int]]:
    splitter = ElementSplitter()
    return [(e.start, e.end) for chunk in chunks for e in splitter.feed(chunk)]


def test_an_element_knows_where_it_lies_in_the_whole_stream():
    splitter = ElementSplitter()
    splitter.feed('{"tasks": [{"a": 1')

    assert splitter.feed("}, {") == [SplitElement('{"a": 1}', 11, 19)]


def test_spans_count_characters_not_bytes():
    stream = '[{"n": "Zoë 🎉"}, {"n": "東京"}]'
    assert [stream[a:b] for a, b in spans(chars(stream))] == ['{"n": "Zoë 🎉"}', '{"n": "東京"}']


def test_the_span_of_a_bare_object_starts_at_its_brace_in_an_earlier_chunk():
    assert spans(["Sure: {", "  ", '"a": 1}']) == [(6, 16)]


def test_the_span_of_a_scalar_element_ends_before_its_separator():
    stream = '{"tasks": [12, true]}'
    assert [stream[a:b] for a, b in spans(chars(stream))] == ["12", "true"]


def test_brace_inside_string_does_not_end_element():
    assert split_elements(chars('[{"s": "}}]]{"}, {"t": 1}]')) == ['{"s": "}}]]{"}', '{"t": 1}']


def test_escaped_quote_inside_string_does_not_end_string():
    stream = r'[{"s": "say \"}\" now"}, {"t": "\\"}]'
    assert split_elements(chars(stream)) == [r'{"s": "say \"}\" now"}', r'{"t": "\\"}']


def test_escape_split_across_chunks_is_remembered():
    assert split_elements(['[{"s": "a\\', '"}"}]']) == ['{"s": "a\\"}"}']


def test_unicode_and_emoji_pass_through_unchanged():
    stream = '{"tasks": [{"name": "Zoë 🎉", "city": "東京"}]}'
    assert split_elements(chars(stream)) == ['{"name": "Zoë 🎉", "city": "東京"}']


def test_whitespace_and_newlines_anywhere():
    stream = '\n {\n "tasks" :\n [\n\t{ "a" : 1 }\n ,\n\n { "a" : 2 }\n ]\n }\n'
    assert split_elements(chars(stream)) == ['{ "a" : 1 }', '{ "a" : 2 }']


def test_missing_and_doubled_separators_are_accepted():
    assert split_elements(['[{"a": 1}{"a": 2},,, {"a": 3}]']) == [
        '{"a": 1}',
        '{"a": 2}',
        '{"a": 3}',
    ]


def test_nested_objects_and_arrays_stay_inside_their_element():
    element = '{"a": {"b": [1, {"c": [2, 3]}]}, "d": []}'
    assert split_elements([f"[{element}, {element}]"]) == [element, element]


def test_bare_top_level_array():
    assert split_elements(['[{"a": 1}]']) == ['{"a": 1}']


def test_array_inside_prose_and_markdown_fence():
    stream = 'Sure! Here they are:\n```json\n{"tasks": [{"a": 1}, {"a": 2}]}\n```\nDone.'
    assert split_elements(chars(stream)) == ['{"a": 1}', '{"a": 2}']


def test_wrapper_keys_before_tasks_are_skipped():
    stream = '{"note": "x [y] {z}", "meta": {"k": [1]}, "tasks": [{"a": 1}]}'
    assert split_elements([stream]) == ['{"a": 1}']


def test_array_under_another_first_key_is_used():
    assert split_elements(['{"users": [{"a": 1}]}']) == ['{"a": 1}']


def test_object_without_array_is_one_element():
    answer = '{"name": "Jason", "tags": ["a"]}'
    assert split_elements([answer]) == [answer]


def test_objects_one_after_another_are_elements():
    assert split_elements(['{"a": 1}\n{"a": 2}']) == ['{"a": 1}', '{"a": 2}']


def test_text_after_the_array_is_ignored():
    assert split_elements(['[{"a": 1}] and then [{"b": 2}]']) == ['{"a": 1}']


def test_scalar_elements_are_split_too():
    assert split_elements(['{"tasks": [1, "two", true, null]}']) == ["1", '"two"', "true", "null"]


def test_partial_text_is_the_element_in_progress():
    splitter = ElementSplitter()
    splitter.feed('{"tasks": [{"a": 1}, {"b": "hel')
    assert splitter.partial_text == '{"b": "hel'
    assert splitter.where() == "inside element 1"


def test_partial_length_is_the_length_of_the_partial_text_at_every_chunk():
    splitter = ElementSplitter()
    for chunk in chars('{"tasks": [{"a": "}{"}, {"b": [1, "]"]}, 3]}'):
        splitter.feed(chunk)
        text = splitter.partial_text
        assert splitter.partial_length == (None if text is None else len(text))


def test_no_partial_between_elements():
    splitter = ElementSplitter()
    splitter.feed('{"tasks": [{"a": 1}, ')
    assert splitter.partial_text is None
    assert splitter.phase is Phase.ARRAY


def test_closing_the_array_is_reported():
    splitter = ElementSplitter()
    splitter.feed('{"tasks": [{"a": 1}]')
    assert splitter.array_closed


def test_unclosed_array_is_not_closed():
    splitter = ElementSplitter()
    splitter.feed('{"tasks": [{"a": 1}, {"a"')
    assert not splitter.array_closed
    assert splitter.completed == 1


def test_huge_element_full_of_braces_is_one_element():
    body = '{}[]\\"' * 50_000
    element = json.dumps({"s": body})
    chunks = [element[i : i + 13] for i in range(0, len(element), 13)]
    assert split_elements(["[", *chunks, "]"]) == [element]


# -- the property -------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
entity = st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=4)
entities = st.lists(entity, max_size=6)
whitespace = st.text(alphabet=" \n\t\r", max_size=3)


@st.composite
def serialized_streams(draw):
    """A list of entities written in one of the shapes models use, with arbitrary whitespace."""
    items = draw(entities)
    indent = draw(st.sampled_from([None, 0, 2]))
    sep = draw(whitespace)
    elements = [json.dumps(item, indent=indent, ensure_ascii=draw(st.booleans())) for item in items]
    array = "[" + sep + ("," + draw(whitespace)).join(elements) + draw(whitespace) + "]"
    shape = draw(st.sampled_from(["wrapper", "bare", "fenced"]))
    if shape == "wrapper":
        text = "{" + sep + '"tasks"' + draw(whitespace) + ":" + draw(whitespace) + array + "}"
    elif shape == "bare":
        text = draw(whitespace) + array
    else:
        text = 'Here you go:\n```json\n{"tasks": ' + array + "}\n```\nAnything else?"
    return items, text


@settings(max_examples=300, deadline=None)
@given(serialized_streams(), st.data())
def test_any_chunking_yields_exactly_the_elements_in_order(stream, data):
    items, text = stream
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=20)))
    bounds = [0, *cuts, len(text)]
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]
    assert [json.loads(raw) for raw in split_elements(chunks)] == items


@settings(max_examples=300, deadline=None)
@given(serialized_streams(), st.data())
def test_any_chunking_gives_spans_that_cut_each_element_out_of_the_stream(stream, data):
    _, text = stream
    cuts = sorted(data.draw(st.sets(st.integers(0, len(text)), max_size=20)))
    bounds = [0, *cuts, len(text)]
    splitter = ElementSplitter()
    elements = [e for a, b in itertools.pairwise(bounds) for e in splitter.feed(text[a:b])]
    assert [text[element.start : element.end] for element in elements] == [
        element.raw for element in elements
    ]


def test_brackets_in_prose_before_the_answer_are_passed_over():
    stream = 'The users [as requested] {see below}:\n```json\n{"tasks": [{"a": 1}]}\n```'
    assert split_elements(chars(stream)) == ['{"a": 1}']


def test_opening_bracket_confirmed_across_chunks():
    assert split_elements(["{", "  \n", '"tasks": [{"a": 1}]}']) == ['{"a": 1}']
    assert split_elements(["[", " ", ' {"a": 1}]']) == ['{"a": 1}']


def test_the_splitter_says_where_the_json_and_its_array_open_and_close():
    text = 'Sure: {"note": "[x]", "tasks": [{"a": 1}] }'
    splitter = ElementSplitter()
    for piece in (text[:9], text[9:30], text[30:]):
        splitter.feed(piece)

    assert text[splitter.json_start] == "{" and text[: splitter.json_start] == "Sure: "
    assert text[splitter.array_start : splitter.array_end] == '[{"a": 1}]'
