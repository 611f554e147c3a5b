"""Which inputs changed since a run, in words the results can show."""

from __future__ import annotations

from dataclasses import replace

from iterplay.run_inputs import RunInputs, changed_inputs, in_words

RUN = RunInputs(
    schema="class User(BaseModel): ...",
    schema_kind="pydantic",
    targets=("User",),
    text="Jason is 10.",
    system_prompt="Extract.",
    provider="embedded",
    model="smollm2",
    mode="json",
    temperature=0.0,
    max_tokens=1024,
    strict=False,
)


def test_the_same_inputs_changed_nothing():
    assert changed_inputs(RUN, replace(RUN)) == ()


def test_each_changed_input_is_named_once_in_page_order():
    now = replace(RUN, mode="tools", text="Ann is 31.", schema="{}", schema_kind="json_schema")
    assert changed_inputs(RUN, now) == ("the schema", "the text", "the mode")


def test_the_provider_counts_as_an_input():
    assert changed_inputs(RUN, replace(RUN, provider="http://localhost:11434/v1")) == (
        "the provider",
    )


def test_strict_outputs_count_as_an_input():
    assert changed_inputs(RUN, replace(RUN, strict=True)) == ("strict outputs",)


def test_in_words_joins_with_commas_and_a_final_and():
    assert in_words(("the text",)) == "the text"
    assert in_words(("the text", "the mode")) == "the text and the mode"
    assert in_words(("the schema", "the text", "the mode")) == "the schema, the text and the mode"
