"""The gallery's examples: what the issue asks of them, and that each recording is the real run
of that example (its schema, its text) and replays to exactly the events it recorded."""

from __future__ import annotations

import datetime

import pytest
from pydantic import BaseModel

from iterplay.events import Entity, Finished, Invalid, entity_data
from iterplay.gallery import EXAMPLE_INFO, SCHEMA_FILES, example_dir, examples, load_example
from iterplay.local_model import MODEL_ALIAS
from iterplay.replay import replay
from iterplay.schema import load_schema, select_targets
from iterplay.wrapper import build_wrapper

SLUGS = [info.slug for info in EXAMPLE_INFO]


def test_there_are_at_least_eight_examples_each_with_its_files():
    assert len(SLUGS) >= 8
    assert len(set(SLUGS)) == len(SLUGS)
    for slug in SLUGS:
        folder = example_dir(slug)
        schemas = [name for name in SCHEMA_FILES.values() if (folder / name).exists()]
        assert len(schemas) == 1, f"{slug}: exactly one schema file"
        for name in ("text.txt", "note.md", "run.json"):
            assert (folder / name).is_file(), f"{slug}: {name} missing"


def _models(slug: str) -> dict[str, type[BaseModel]]:
    example = load_example(slug)
    return load_schema(example.schema, example.kind).models


def _annotations(slug: str) -> list[object]:
    return [
        field.annotation
        for model in _models(slug).values()
        for field in model.model_fields.values()
    ]


def test_the_examples_cover_what_the_issue_lists():
    kinds = {example.slug: example.kind for example in examples()}
    assert "json_schema" in kinds.values(), "a JSON Schema example"
    assert any(len(example.run_file.target) >= 2 for example in examples()), "a union"
    nested = [
        slug
        for slug in SLUGS
        if any(isinstance(a, type) and issubclass(a, BaseModel) for a in _annotations(slug))
    ]
    assert nested, "a nested model"
    literals = [slug for slug in SLUGS if "Literal[" in load_example(slug).schema]
    assert literals, "a Literal field"
    dated = [
        slug
        for slug in SLUGS
        if any(a in (datetime.date, datetime.date | None) for a in _annotations(slug))
    ]
    assert dated, "dates"


@pytest.mark.parametrize("slug", SLUGS)
def test_the_recording_is_a_real_run_of_this_example(slug):
    example = load_example(slug)
    run = example.run_file
    assert run.schema.source == example.schema
    assert run.schema.kind == example.kind
    assert run.model == MODEL_ALIAS, "recorded from the embedded model"
    assert run.chunks, "the model's text, chunk by chunk"
    assert [chunk.t for chunk in run.chunks] == sorted(chunk.t for chunk in run.chunks)
    user_messages = [m["content"] for m in run.request["messages"] if m["role"] == "user"]
    assert any(example.text in message for message in user_messages), "asked about its text"
    if example.info.mode is not None:
        assert run.mode == example.info.mode


@pytest.mark.parametrize("slug", SLUGS)
def test_the_note_says_which_model_and_which_mode(slug):
    example = load_example(slug)
    assert "SmolLM2-135M-Instruct" in example.note
    assert f"`{example.run_file.mode}` mode" in example.note


@pytest.mark.parametrize("slug", SLUGS)
def test_replaying_the_recording_gives_back_its_events(slug):
    example = load_example(slug)
    recording = example.run_file.recording()
    schema = load_schema(example.schema, example.kind)
    wrapper = build_wrapper(select_targets(schema, list(recording.target)))
    events = list(replay(recording, wrapper, speed=0))
    elements = [event for event in events if isinstance(event, Entity | Invalid)]
    recorded = [event for event in recording.events if isinstance(event, Entity | Invalid)]
    assert [(type(e), e.index, e.span, round(e.t, 4)) for e in elements] == [
        (type(e), e.index, e.span, e.t) for e in recorded
    ]
    assert [entity_data(e.value) for e in elements if isinstance(e, Entity)] == [
        e.value for e in recorded if isinstance(e, Entity)
    ]
    end = events[-1]
    assert isinstance(end, Finished) and end.complete
    assert end.ending == recording.end.ending
