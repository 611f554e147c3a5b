"""Runs written to a history file as the playground and the CLI write them, for page tests."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from iterplay.background_run import extraction
from iterplay.events import Entity, Finished, Stats, Token
from iterplay.history import History, RunInputs, recorded
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run_file import RunFile, RunHeader, SchemaText
from iterplay.run_log import RunLog
from iterplay.session_run import SessionRun
from iterplay.testing import Reply, ScriptedServer
from iterplay.wrapper import build_wrapper

USER = "from pydantic import BaseModel\n\nclass User(BaseModel):\n    name: str\n    age: int\n"


class User(BaseModel):
    name: str
    age: int


WRAPPER = build_wrapper([User])


def record(path: Path, entities: list[dict], *, complete: bool = True, **changes) -> int:
    """A run written as the CLI and the app write them, its raw text holding ``entities``; its
    id. ``changes`` replace the inputs' fields; ``complete=False`` stops it before its end."""
    values = dict(
        schema_text=USER,
        schema_kind="pydantic",
        target=["User"],
        source_text="Jason is 10 and John is 30.",
        system_prompt="Extract every person.",
        base_url="http://127.0.0.1:9/v1",
        model="two-users",
        mode="json",
        parameters={"temperature": 0.5, "max_tokens": 512},
        origin="app",
    )
    text, spans = '{"tasks": [', []
    for position, entity in enumerate(entities):
        element = json.dumps(entity, ensure_ascii=False)
        text += ", " if position else ""
        spans.append((len(text), len(text) + len(element)))
        text += element
    events: list = [Token(text + "]}", 0.2)]
    events += [Entity(i, data, spans[i], 0.3 + i / 10) for i, data in enumerate(entities)]
    stats = Stats(time_to_first_token=0.2, total_time=1.0, entities=len(entities))
    events.append(Finished("stop", True, "complete", "The stream completed.", stats))
    with History(path) as history:
        recorder = history.start_run(RunInputs(**{**values, **changes}))
        list(recorded(events if complete else events[:-1], recorder))
        return recorder.run_id


def recorded_run_file(
    server: ScriptedServer,
    reply: Reply,
    *,
    model: str = "two-users",
    mode: str = "tools",
    text: str = "Jason is 10 and John is 30.",
) -> RunFile:
    """The run file of a real run against the scripted ``server`` answering ``reply``, recorded
    as the playground records its runs."""
    server.script(model, reply)
    key = server.api_key or "sk-recorded-runs-test-key"
    provider = ProviderConfig(base_url=server.url, model=model, api_key=key, timeout=10)
    request = ExtractionRequest(WRAPPER, text, model, mode=mode)
    header = RunHeader.of_request(SchemaText(USER, "pydantic"), request, provider)
    run = SessionRun.start(extraction(provider, request), RunLog(), header)
    for _ in run.follow():
        pass
    return run.run_file()
