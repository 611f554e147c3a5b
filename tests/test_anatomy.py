"""Stream anatomy, specified: every character of a run's raw stream in exactly one class, element
regions equal to the events' spans, and the run at any moment holding exactly the cards that
existed then.

Every scripted case of ``test_replay`` (prose and fences, invalid and malformed elements,
truncated and cut streams, the tool-call channel, provider faults) is recorded once with the
real ``iterplay extract --save`` against the scripted server and taken apart; small streams
written out below pin each class down; hypothesis writes and chunks streams of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from iterplay.anatomy import Part, Place, Segment, StreamAnatomy, classify
from iterplay.events import Entity, Invalid
from iterplay.gallery import examples
from iterplay.limits import limits
from iterplay.run_file import Chunk, RunFile, parse_run_file
from iterplay.stream_events import StreamEvents
from iterplay.testing import ScriptedServer
from iterplay.wrapper import build_wrapper
from tests.test_cli import JASON, JOHN, USER_AND_PRODUCT_PY, USER_PY
from tests.test_replay import BOB_TOO_OLD, CASES, Case, _record


class User(BaseModel):
    name: str
    age: int


WRAPPER = build_wrapper([User])


def stream_events(chunks: list[str], step: float = 0.1) -> tuple[list[Chunk], list]:
    """The chunks (one every ``step`` seconds) and the element events a run makes of them."""
    events = StreamEvents(WRAPPER, limits(), partials=False)
    timed = [Chunk(text, round(step * (i + 1), 4)) for i, text in enumerate(chunks)]
    made = [event for chunk in timed for event in events.take(chunk.text, chunk.t)]
    return timed, [event for event in made if isinstance(event, Entity | Invalid)]


def anatomy_of(chunks: list[str]) -> StreamAnatomy:
    return StreamAnatomy(*stream_events(chunks))


def parts(anatomy: StreamAnatomy) -> list[tuple[str, str, int | None]]:
    """Each segment as (its text, its part, its element index), for readable expectations."""
    raw = anatomy.raw_text
    return [(raw[s.start : s.end], s.part.value, s.index) for s in anatomy.segments]


def assert_tiles(segments: tuple[Segment, ...], text: str) -> None:
    """The segments cover ``text`` from its first character to its last, each exactly once."""
    assert all(segment.start < segment.end for segment in segments)
    ends = [0] + [segment.end for segment in segments]
    assert [segment.start for segment in segments] == ends[:-1]
    assert ends[-1] == len(text)


def assert_elements_are_spans(segments: tuple[Segment, ...], elements) -> None:
    shown = [(s.start, s.end, s.part, s.index) for s in segments if s.index is not None]
    expected = [
        (*e.span, Part.ELEMENT if isinstance(e, Entity) else Part.INVALID, e.index)
        for e in sorted(elements, key=lambda e: e.span)
    ]
    assert shown == expected


# -- the classes, on streams small enough to read ----------------------------------------------


def test_prose_fence_and_wrapper_keys_come_before_the_array():
    anatomy = anatomy_of(['Found:\n```json\n{"tasks": [', JASON, "]}\n```\nBye."])

    assert parts(anatomy) == [
        ("Found:\n", "prose", None),
        ("```json", "fence", None),
        ("\n", "prose", None),
        ('{"tasks": [', "wrapper", None),
        (JASON, "element", 0),
        ("]}", "wrapper", None),
        ("\n", "prose", None),
        ("```", "fence", None),
        ("\nBye.", "prose", None),
    ]
    places = [segment.place for segment in anatomy.segments]
    assert places == [Place.BEFORE] * 4 + [Place.ARRAY] + [Place.AFTER] * 4


def test_wrapper_keys_before_tasks_are_wrapper_text():
    anatomy = anatomy_of(['{"reasoning": "two [people]", "tasks": [' + JASON + "]}"])

    assert parts(anatomy)[0] == ('{"reasoning": "two [people]", "tasks": [', "wrapper", None)


def test_an_invalid_element_keeps_its_index_and_separators_lie_between_elements():
    anatomy = anatomy_of([f"[{JASON},\n {BOB_TOO_OLD}, {JOHN}]"])

    assert parts(anatomy) == [
        ("[", "wrapper", None),
        (JASON, "element", 0),
        (",\n ", "separator", None),
        (BOB_TOO_OLD, "invalid", 1),
        (", ", "separator", None),
        (JOHN, "element", 2),
        ("]", "wrapper", None),
    ]


def test_a_truncated_stream_ends_in_an_element_with_no_card():
    anatomy = anatomy_of(['{"tasks": [' + JASON + ", ", '{"name": "Jo'])

    assert parts(anatomy)[-2:] == [(", ", "separator", None), ('{"name": "Jo', "unfinished", None)]


def test_objects_one_after_another_are_elements_with_separators_between():
    anatomy = anatomy_of([JASON + "\n" + JOHN])

    assert parts(anatomy) == [
        (JASON, "element", 0),
        ("\n", "separator", None),
        (JOHN, "element", 1),
    ]


def test_a_stream_with_no_json_is_prose():
    anatomy = anatomy_of(["I cannot ", "help with that."])

    assert parts(anatomy) == [("I cannot help with that.", "prose", None)]


def test_an_empty_array_is_wrapper_text_only():
    assert parts(anatomy_of(['{"tasks": []}'])) == [
        ('{"tasks": [', "wrapper", None),
        ("]}", "wrapper", None),
    ]


def test_a_damaged_span_from_a_run_file_is_left_out_not_trusted():
    chunks, elements = stream_events([f"[{JASON}]"])
    outside = Entity(1, {"name": "X", "age": 1}, (5, 500), 0.1)

    segments = classify([chunk.text for chunk in chunks], [*elements, outside])

    assert_tiles(segments, f"[{JASON}]")
    assert [s.index for s in segments if s.index is not None] == [0]


# -- the run at a moment -----------------------------------------------------------------------


def test_a_card_exists_from_the_moment_its_closing_chunk_arrived():
    anatomy = anatomy_of(
        ['{"tasks": [' + JASON[:10], JASON[10:] + ", " + JOHN[:5], JOHN[5:] + "]}"]
    )

    before, first, second = anatomy.at(0.15), anatomy.at(0.2), anatomy.at(0.3)

    assert (before.text, before.elements) == ('{"tasks": [' + JASON[:10], ())
    assert parts_at(before)[-1] == (JASON[:10], "unfinished", None)
    assert [e.index for e in first.elements] == [0]
    assert parts_at(first)[-1] == (JOHN[:5], "unfinished", None)
    assert [e.index for e in second.elements] == [0, 1]
    assert second.segments == anatomy.segments


def parts_at(moment) -> list[tuple[str, str, int | None]]:
    return [(moment.text[s.start : s.end], s.part.value, s.index) for s in moment.segments]


def test_before_the_first_token_nothing_has_arrived():
    moment = anatomy_of([f"[{JASON}]"]).at(0.0)

    assert (moment.text, moment.segments, moment.elements, moment.chunks) == ("", (), (), 0)


# -- the timeline ------------------------------------------------------------------------------


def test_the_timeline_counts_characters_and_marks_each_emission():
    anatomy = anatomy_of([f"[{JASON}, ", f"{BOB_TOO_OLD}]"])

    timeline = anatomy.timeline()

    first_chunk = len(f"[{JASON}, ")
    assert [(a.t, a.characters) for a in timeline.arrivals] == [
        (0.0, 0),
        (0.1, first_chunk),
        (0.2, len(anatomy.raw_text)),
    ]
    assert [(e.t, e.index, e.valid, e.characters) for e in timeline.emissions] == [
        (0.1, 0, True, first_chunk),
        (0.2, 1, False, len(anatomy.raw_text)),
    ]
    assert (timeline.first_token, timeline.end) == (0.1, 0.2)


# -- every scripted case, recorded for real ----------------------------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunFile]:
    """Every scripted case of test_replay, recorded once by ``iterplay extract --save``."""
    folder = tmp_path_factory.mktemp("anatomy")
    (folder / "user.py").write_text(USER_PY, encoding="utf-8")
    (folder / "user_and_product.py").write_text(USER_AND_PRODUCT_PY, encoding="utf-8")
    with ScriptedServer() as server:
        return {case.name: _run_file(_record(case, server, folder).run_file) for case in CASES}


def _run_file(path: Path) -> RunFile:
    return parse_run_file(path.read_text(encoding="utf-8"), path.name)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_character_of_a_recorded_run_is_in_exactly_one_class(case: Case, recorded):
    run_file = recorded[case.name]
    anatomy = StreamAnatomy(run_file.chunks, run_file.events)

    assert_tiles(anatomy.segments, anatomy.raw_text)
    assert_elements_are_spans(anatomy.segments, anatomy.elements)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_at_every_moment_of_a_recorded_run_the_cards_are_those_emitted_by_then(case, recorded):
    run_file = recorded[case.name]
    anatomy = StreamAnatomy(run_file.chunks, run_file.events)
    moments = sorted({0.0, *anatomy.times, *(round(t + 0.0001, 4) for t in anatomy.times)})

    for t in moments:
        moment = anatomy.at(t)
        assert anatomy.raw_text.startswith(moment.text)
        assert len(moment.text) == sum(len(c.text) for c in run_file.chunks if round(c.t, 4) <= t)
        assert moment.elements == tuple(e for e in anatomy.elements if e.t <= t)
        assert all(e.span[1] <= len(moment.text) for e in moment.elements)
        assert_tiles(moment.segments, moment.text)
        assert_elements_are_spans(moment.segments, moment.elements)
    assert anatomy.at(anatomy.duration).segments == anatomy.segments


def test_recorded_cases_cover_each_stream_shape(recorded):
    """The scripted cases hold every class at least once: prose, fence, wrapper, elements valid
    and invalid, separators, and an element cut short."""
    seen = {
        segment.part
        for run_file in recorded.values()
        for segment in StreamAnatomy(run_file.chunks, run_file.events).segments
    }

    assert seen == set(Part)


# -- any stream hypothesis can write -----------------------------------------------------------

_ELEMENTS = st.sampled_from([JASON, JOHN, BOB_TOO_OLD, '{"name": "Zoë ] } \\" ", "age": 7}', "3"])
_PROSE = st.sampled_from(["", "Here you go:\n", "The users [as asked]:\n", "Sure! "])


@st.composite
def streams(draw: st.DrawFn) -> list[str]:
    elements = draw(st.lists(_ELEMENTS, max_size=4))
    separator = draw(st.sampled_from([", ", ",", "\n", " ,\n  "]))
    array = "[" + separator.join(elements) + "]"
    body = draw(st.sampled_from(['{"tasks": %s}', "%s", '{"note": "x", "tasks": %s}'])) % array
    fenced = draw(st.booleans())
    text = draw(_PROSE) + ("```json\n" + body + "\n```" if fenced else body) + draw(_PROSE)
    text = text[: draw(st.integers(0, len(text)))]  # cut anywhere: truncated, dropped
    cuts = sorted(draw(st.sets(st.integers(1, max(len(text) - 1, 1)), max_size=8)))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True) if a < b]


@settings(max_examples=300, deadline=None)
@given(streams())
def test_any_stream_chunked_anyhow_is_classified_whole(chunks):
    anatomy = anatomy_of(chunks)

    assert_tiles(anatomy.segments, anatomy.raw_text)
    assert_elements_are_spans(anatomy.segments, anatomy.elements)
    for t in anatomy.times:
        moment = anatomy.at(t)
        assert_tiles(moment.segments, moment.text)
        assert_elements_are_spans(moment.segments, moment.elements)


def test_recorded_run_files_round_trip_through_json_with_the_same_anatomy(recorded):
    """Times in a run file's events are rounded to 0.1 ms, its chunks' are not: a card still
    exists from the moment its closing chunk arrived."""
    run_file = recorded["three entities in small chunks"]
    chunk_times = [chunk.t for chunk in run_file.chunks]
    anatomy = StreamAnatomy(run_file.chunks, run_file.events)

    for element in anatomy.elements:
        closing = next(
            t for t, end in zip(chunk_times, _ends(run_file), strict=True) if end >= element.span[1]
        )
        assert element in anatomy.at(closing).elements


def _ends(run_file: RunFile) -> list[int]:
    ends, total = [], 0
    for chunk in run_file.chunks:
        total += len(chunk.text)
        ends.append(total)
    return ends


@pytest.mark.parametrize("example", examples(), ids=lambda example: example.slug)
def test_every_gallery_run_from_a_real_model_is_classified_whole(example):
    """The gallery's run files were recorded from SmolLM2: real model output, taken apart."""
    run_file = example.run_file
    anatomy = StreamAnatomy(run_file.chunks, run_file.events)

    assert_tiles(anatomy.segments, anatomy.raw_text)
    assert_elements_are_spans(anatomy.segments, anatomy.elements)
    assert anatomy.at(anatomy.duration).segments == anatomy.segments
