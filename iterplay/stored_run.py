"""A run read back from the history: its inputs, its entities, its figures, its events again.

``History.run`` gives a run as JSON data; ``StoredRun`` is that run typed, for the app's History
and Compare pages: the inputs as a share link carries them (to open the run in the playground),
the events rebuilt in order (so the playground redraws its cards and raw stream through the same
``RunLog`` a live run fills), and the figures compared side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from iterplay.errors import HistoryError, InputError, ProviderError
from iterplay.events import Entity, Event, Failed, Finished, Token
from iterplay.local_model import MODEL_ALIAS
from iterplay.records import event_from_record
from iterplay.request import DEFAULT_SYSTEM_PROMPT, ExtractionRequest, build_payload
from iterplay.run_file import RunFile, RunFileRecorder, RunHeader, SchemaText
from iterplay.run_inputs import RunInputs
from iterplay.run_log import RunLog
from iterplay.run_settings import quirks_for
from iterplay.schema import load_schema, select_targets
from iterplay.share import SharedState, shared_state_problem
from iterplay.wrapper import Wrapper, build_wrapper

NEVER_ENDED = "The run ended before its last event."  # why a stored run has no end, unsaid


@dataclass(frozen=True)
class RunFigures:
    """What a run measured, as far as it got; None where it never got there."""

    time_to_first_token: float | None
    total_time: float | None
    entities: int
    invalid: int
    completion_tokens: int | None
    prompt_tokens: int | None
    tokens_per_second: float | None


@dataclass(frozen=True)
class StoredRun:
    """One recorded run; ``records`` are its stored events (tokens are its ``chunks``)."""

    id: int
    started_at: str
    origin: str
    schema_text: str
    schema_kind: str
    target: tuple[str, ...]
    source_text: str
    system_prompt: str | None
    base_url: str
    model: str
    mode: str
    parameters: dict[str, Any]
    outcome: str
    message: str | None
    stats: dict[str, Any] | None
    chunks: tuple[tuple[float, str], ...]
    records: tuple[dict[str, Any], ...]
    race_id: str | None = None
    lane: int | None = None

    @property
    def sent_system_prompt(self) -> str:
        """The system prompt the request carried: the CLI records none when none was given,
        and then sent the default one, as the app does."""
        return self.system_prompt or DEFAULT_SYSTEM_PROMPT

    @classmethod
    def from_history(cls, run: dict[str, Any]) -> StoredRun:
        """From ``History.run``'s data."""
        return cls(
            id=run["id"],
            started_at=run["started_at"],
            origin=run["origin"],
            schema_text=run["schema_text"],
            schema_kind=run["schema_kind"],
            target=tuple(run["target"] or ()),
            source_text=run["source_text"],
            system_prompt=run["system_prompt"],
            base_url=run["base_url"],
            model=run["model"],
            mode=run["mode"],
            parameters=run["parameters"] or {},
            outcome=run["outcome"],
            message=run["message"],
            stats=run["stats"],
            chunks=tuple((chunk["t"], chunk["text"]) for chunk in run["chunks"]),
            records=tuple(run["events"]),
            race_id=run.get("race_id"),
            lane=run.get("lane"),
        )

    @property
    def entities(self) -> tuple[dict[str, Any], ...]:
        """The valid entities' JSON data, in arrival order."""
        return tuple(record["data"] for record in self.records if record.get("type") == "entity")

    @property
    def entity_indexes(self) -> tuple[int, ...]:
        """Each valid entity's element index (invalid elements count too), as its card shows."""
        return tuple(record["index"] for record in self.records if record.get("type") == "entity")

    @property
    def invalid_count(self) -> int:
        return sum(record.get("type") == "invalid" for record in self.records)

    @property
    def embedded(self) -> bool:
        """Whether the run used the embedded model."""
        return self.model == MODEL_ALIAS

    def figures(self) -> RunFigures:
        """The run's stats; for a run that never ended, what its chunks and events tell."""
        stats = self.stats or {}
        times = [t for t, _ in self.chunks] + [
            record["t"] for record in self.records if isinstance(record.get("t"), int | float)
        ]
        return RunFigures(
            time_to_first_token=stats.get("time_to_first_token")
            if self.stats
            else (self.chunks[0][0] if self.chunks else None),
            total_time=stats.get("total_time") if self.stats else max(times, default=None),
            entities=len(self.entities),
            invalid=self.invalid_count,
            completion_tokens=stats.get("completion_tokens"),
            prompt_tokens=stats.get("prompt_tokens"),
            tokens_per_second=stats.get("tokens_per_second"),
        )

    def shared_state(self) -> SharedState:
        """The run's inputs as a share link carries them: what opening it restores. The history
        file may have been written by another program: its inputs pass a link's checks, or a
        HistoryError says which fails."""
        temperature = self.parameters.get("temperature")
        shared = SharedState(
            schema=self.schema_text,
            schema_kind=self.schema_kind,
            target=list(self.target) or None,
            text=self.source_text,
            system_prompt=None
            if self.system_prompt in (None, DEFAULT_SYSTEM_PROMPT)
            else self.system_prompt,
            model=None if self.embedded else self.model,
            mode=self.mode,
            temperature=float(temperature) if isinstance(temperature, int | float) else None,
        )
        problem = shared_state_problem(shared)
        if problem is not None:
            raise HistoryError(f"Run #{self.id} cannot be opened in the playground: {problem}.")
        return shared

    def run_inputs(self) -> RunInputs:
        """The inputs as the playground compares them with those on screen."""
        parameters = self.parameters
        return RunInputs(
            schema=self.schema_text,
            schema_kind=self.schema_kind,
            targets=self.target,
            text=self.source_text,
            system_prompt=self.sent_system_prompt,
            provider="embedded" if self.embedded else self.base_url,
            model=self.model,
            mode=self.mode,
            temperature=parameters.get("temperature") or 0.0,
            max_tokens=parameters.get("max_tokens") or 0,
            strict=bool(parameters.get("strict")),
        )

    def run_log(self, wrapper: Wrapper | None = None) -> RunLog:
        """The run as the playground holds a finished (or stopped) run, to redraw it.

        With ``wrapper`` (the run's schema, loaded), entities become model instances again, so
        their cards name their model; an entity the schema no longer validates stays JSON data.
        """
        figures = self.figures()
        log = RunLog(started=0.0, ended=figures.total_time or 0.0, inputs=self.run_inputs())
        end: Finished | Failed | None = None
        for event in self.events(wrapper):
            if isinstance(event, Finished | Failed):
                end = event
            else:
                log.add(event)
        if end is not None:
            log.add(end)
        else:
            log.interrupt(self.message or NEVER_ENDED)
        return log

    def run_file(self, wrapper: Wrapper) -> RunFile:
        """The run as the run file its run would have saved (docs/run-files.md), ``wrapper``
        being its schema loaded: its events recorded again as a live run records them. The
        history keeps the inputs, not the request body, so the body is built again from them
        with the quirks its provider gets (what opening the file reads the text and prompt
        from), or left out if they no longer make a request here."""
        header = RunHeader(
            recorded_at=self.started_at,
            schema=SchemaText(self.schema_text, self.schema_kind),  # type: ignore[arg-type]
            target=tuple(target.__name__ for target in wrapper.targets),
            wrapper_schema=wrapper.json_schema,
            base_url=self.base_url,
            model=self.model,
            mode=self.mode,
            request=self._request_body(wrapper),
        )
        recorder = RunFileRecorder(header)
        recorder.take(list(self.events()))
        return recorder.run_file(self.message or NEVER_ENDED)

    def _request_body(self, wrapper: Wrapper) -> dict[str, Any] | None:
        parameters = self.parameters
        try:
            request = ExtractionRequest(
                wrapper,
                self.source_text,
                self.model,
                self.mode,
                self.system_prompt,
                parameters.get("temperature"),
                parameters.get("max_tokens"),
                bool(parameters.get("strict")),
            )
            return build_payload(request, quirks_for(self.embedded))
        except (InputError, ProviderError, ValueError):
            return None

    def events(self, wrapper: Wrapper | None = None) -> Iterator[Event]:
        """The run's events again: its chunks as tokens, then its stored events in order."""
        for t, text in self.chunks:
            yield Token(text, t)
        for record in self.records:
            event = event_from_record(record)
            if isinstance(event, Entity) and wrapper is not None:
                event = dataclasses.replace(event, value=_validated(event.value, wrapper))
            yield event


def _validated(data: Any, wrapper: Wrapper) -> Any:
    """The entity as its model again, or its JSON data if the schema no longer validates it."""
    try:
        return wrapper.element_adapter.validate_python(data)
    except ValidationError:
        return data


def wrapper_of(schema_text: str, schema_kind: str, target: tuple[str, ...]) -> Wrapper:
    """The wrapper a run used, from its schema and targets; a SchemaError if that no longer
    loads (say code that only a server trusting schema code runs)."""
    schema = load_schema(schema_text, schema_kind)
    return build_wrapper(select_targets(schema, list(target) or None))
