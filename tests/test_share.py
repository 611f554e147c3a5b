"""Share tokens: round trip, the DESIGN format, and damage reported plainly."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import replace

import pytest
from pydantic import BaseModel

from iterplay.errors import ShareLinkError
from iterplay.events import Entity, Finished, Stats
from iterplay.limits import limits
from iterplay.run_file import Chunk, RunFile, SchemaText, run_file_data
from iterplay.scoring import Case, CaseSet, FieldRule
from iterplay.scoring.fields import Compare
from iterplay.share import SharedState, decode_state, encode_state
from iterplay.wrapper import build_wrapper

STATE = SharedState(
    schema="class User(BaseModel):\n    name: str\n",
    schema_kind="pydantic",
    target=["User"],
    text="Jason is 10 and Zoë is 🎉 30.",
    system_prompt=None,
    model="gpt-4o-mini",
    mode="tools",
    temperature=0.2,
)


def raw_token(data: object) -> str:
    compressed = zlib.compress(json.dumps(data).encode())
    return base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def test_round_trip_keeps_every_field():
    assert decode_state(encode_state(STATE)) == STATE


def test_token_is_unpadded_base64url_of_zlib_json_in_the_design_format():
    token = encode_state(STATE)
    assert "=" not in token and "+" not in token and "/" not in token
    data = json.loads(zlib.decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))))
    assert data["v"] == 1
    assert set(data) == {
        "v", "schema", "schema_kind", "target", "text", "system_prompt", "model", "mode",
        "temperature",
    }  # fmt: skip


CASES = CaseSet(
    (
        Case("Jason is 10.", ({"name": "Jason", "age": 10},), id="one"),
        Case("Nobody here."),
    ),
    {"age": FieldRule(Compare.TOLERANCE, 0.5)},
)


def token_data(token: str) -> dict:
    return json.loads(zlib.decompress(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))))


def test_a_link_with_cases_is_version_2_and_round_trips_them_with_their_rules():
    with_cases = replace(STATE, cases=CASES)
    token = encode_state(with_cases)
    assert token_data(token)["v"] == 2
    assert token_data(token)["cases"][0] == {"settings": {"fields": {"age": {
        "compare": "tolerance", "tolerance": 0.5}}}}  # fmt: skip
    assert decode_state(token) == with_cases


def test_a_link_without_cases_stays_version_1():
    assert token_data(encode_state(replace(STATE, cases=CaseSet(())))) == token_data(
        encode_state(STATE)
    )
    assert token_data(encode_state(STATE))["v"] == 1


def test_a_version_1_link_ignores_a_cases_field():
    token = raw_token({"v": 1, "schema": "x", "cases": [{"text": "a"}]})
    assert decode_state(token).cases is None


def test_token_never_carries_a_key_or_base_url():
    data = json.loads(zlib.decompress(base64.urlsafe_b64decode(encode_state(STATE) + "==")))
    assert not {"api_key", "base_url", "key"} & set(data)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not base64 at all!!", "damaged"),
        (base64.urlsafe_b64encode(b"plain").decode(), "does not decompress"),
        (raw_token(["a list"]), "another version"),
        (raw_token({"v": 3, "schema": "x"}), "another version"),
        (raw_token({"v": 2, "schema": "x", "cases": {"text": "a"}}), "'cases'"),
        (raw_token({"v": 2, "schema": "x", "cases": [{"expected": []}]}), "record 1: 'text'"),
        (raw_token({"v": 2, "schema": "x", "cases": [{"text": "a", "expected": [1]}]}), "'cases'"),
        (raw_token({"v": 2, "schema": "x", "cases": [{"text": "\ud800"}]}), "not valid Unicode"),
        (raw_token({"v": 1, "schema": 3}), "'schema'"),
        (raw_token({"v": 1, "schema": "x", "schema_kind": "yaml"}), "'schema_kind'"),
        (raw_token({"v": 1, "schema": "x", "target": [1]}), "'target'"),
    ],
)
def test_damaged_token_says_why(token, reason):
    with pytest.raises(ShareLinkError, match=reason):
        decode_state(token)


def test_truncated_token_is_reported_as_cut_short():
    token = encode_state(SharedState(schema="x" * 5000 + "".join(map(str, range(3000)))))
    with pytest.raises(ShareLinkError):
        decode_state(token[: len(token) // 2])


def test_decompression_bomb_is_refused():
    bomb = zlib.compress(
        json.dumps({"v": 1, "schema": "a" * (limits().share_json_bytes * 4)}).encode()
    )
    token = base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(ShareLinkError, match="more than we accept"):
        decode_state(token)


LANES = [
    {"model": "gpt-4o", "mode": "json", "system_prompt": None, "temperature": 0.7},
    {"model": None, "mode": None, "system_prompt": "Only adults.", "temperature": None},
]


def test_a_link_with_lanes_is_version_2_and_round_trips_them():
    with_lanes = replace(STATE, lanes=LANES)
    token = encode_state(with_lanes)
    assert token_data(token)["v"] == 2 and token_data(token)["lanes"] == LANES
    assert decode_state(token) == with_lanes


@pytest.mark.parametrize(
    ("lanes", "reason"),
    [
        ({"model": "x"}, "at most 3 lanes"),
        ([{}] * 4, "at most 3 lanes"),
        ([{"model": "x", "base_url": "http://evil"}], "lane 1 must be an object"),
        ([{"mode": "yaml"}], "lane 1: it must be one of"),
        ([{"temperature": 9}], "lane 1:"),
    ],
)
def test_bad_lanes_in_a_link_are_refused_naming_the_lane(lanes, reason):
    with pytest.raises(ShareLinkError, match="'lanes'") as refused:
        decode_state(raw_token({"v": 2, "schema": "x", "lanes": lanes}))
    assert reason in str(refused.value)


# -- a recorded run in the link ---------------------------------------------------------------


def run_file(chunks: tuple[Chunk, ...] = (Chunk('{"tasks": [{"name": "Zoë 🎉"}]}', 0.25),)):
    wrapper = build_wrapper([User])
    return RunFile(
        format="iterplay-run",
        version=1,
        recorded_at="2026-05-04T09:12:44.120+00:00",
        schema=SchemaText(STATE.schema, "pydantic"),
        target=("User",),
        wrapper_schema=wrapper.json_schema,
        base_url="http://127.0.0.1:9/v1",
        model="gpt-4o-mini",
        mode="tools",
        request=None,
        chunks=chunks,
        events=(Entity(0, {"name": "Zoë 🎉"}, (11, 29), 0.25),),
        end=Finished("stop", True, "complete", "The stream completed.", Stats(total_time=0.3)),
    )


class User(BaseModel):
    name: str


def test_a_link_with_a_run_is_version_2_and_round_trips_it():
    with_run = replace(STATE, run=run_file())
    token = encode_state(with_run)
    assert token_data(token)["v"] == 2
    assert token_data(token)["run"] == run_file_data(run_file())
    assert decode_state(token) == with_run


def test_a_link_without_a_run_stays_version_1():
    assert token_data(encode_state(STATE))["v"] == 1 and "run" not in token_data(
        encode_state(STATE)
    )


def test_a_version_1_link_ignores_a_run_field():
    token = raw_token({"v": 1, "schema": "x", "run": run_file_data(run_file())})
    assert decode_state(token).run is None


def test_a_run_over_its_bound_is_not_put_in_a_link():
    bounds = replace(limits(), share_run_bytes=500)
    with pytest.raises(ShareLinkError) as refused:
        encode_state(replace(STATE, run=run_file()), bounds)
    message = str(refused.value)
    assert message.startswith("This run is too big to share in a link (")
    assert message.endswith("bytes; the limit is 500); share its run file instead.")


def test_a_run_that_compresses_past_what_a_link_may_expand_to_is_not_put_in_a_link():
    chunks = tuple(Chunk("a" * 1000, float(n)) for n in range(200))
    bounds = replace(limits(), share_link_chars=20_000, share_run_bytes=1_000_000)
    with pytest.raises(ShareLinkError, match=r"^This run is too big to share in a link"):
        encode_state(replace(STATE, run=run_file(chunks)), bounds)


def test_a_run_over_its_bound_in_a_link_is_refused():
    token = raw_token({"v": 2, "schema": "x", "run": run_file_data(run_file())})
    with pytest.raises(ShareLinkError, match=r"bad 'run' value \(it is larger than the limit"):
        decode_state(token, replace(limits(), share_run_bytes=500))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"version": 2}, "the recorded run was written by a newer iterplay"),
        ({"format": "other"}, "the recorded run is not an iterplay run file"),
        ({"chunks": [{"text": "x", "t": -1}]}, "the recorded run is damaged (chunks.0.t:"),
        ({"end": {"type": "done"}}, "the recorded run is damaged (end.done."),
    ],
)
def test_a_malformed_run_in_a_link_is_refused_in_one_sentence(change, reason):
    data = {**run_file_data(run_file()), **change}
    with pytest.raises(ShareLinkError, match="bad 'run' value") as refused:
        decode_state(raw_token({"v": 2, "schema": "x", "run": data}))
    assert reason in str(refused.value)


def test_a_run_that_is_not_an_object_is_refused():
    with pytest.raises(ShareLinkError, match="bad 'run' value"):
        decode_state(raw_token({"v": 2, "schema": "x", "run": [1, 2]}))
