"""Run files: one extraction run, whole, in a versioned JSON file (docs/run-files.md).

A run file holds what the run asked (schema, target, the wrapper's JSON Schema, the exact
request payload, model and mode) and what came back (every chunk of text with its arrival time,
every event, the end with its stats), so the run can be replayed with no provider
(``iterplay.replay``) and looked at again. It never holds a key: keys travel in a request
header, never in the payload, and the base URL is kept without credentials.

Reading one is reading untrusted input: the caller bounds its size, the version is checked
before anything else, every field is validated, and its schema is loaded like any other schema
(through the sandbox, by whoever replays it).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, assert_never

from pydantic import Field, TypeAdapter, ValidationError

from iterplay.errors import ProviderError, RunFileError
from iterplay.events import (
    Duration,
    Entity,
    Event,
    Failed,
    Finished,
    Invalid,
    Partial,
    Retrying,
    Token,
)
from iterplay.provider import ProviderConfig, safe_url
from iterplay.request import ExtractionRequest, build_payload

if TYPE_CHECKING:
    from iterplay.wrapper import Wrapper

RUN_FILE_FORMAT = "iterplay-run"
RUN_FILE_VERSION = 1

SchemaKind = Literal["pydantic", "json_schema"]
RecordedEvent = Annotated[Retrying | Entity | Invalid, Field(discriminator="type")]
"""The events a recording keeps besides its chunks (the tokens) and its end; partials are
derived from the chunks again on replay."""
RunEnd = Annotated[Finished | Failed, Field(discriminator="type")]


@dataclass(frozen=True)
class Chunk:
    """A piece of the model's JSON text, ``t`` seconds after the request was sent."""

    text: str
    t: Duration


@dataclass(frozen=True)
class Recording:
    """What a replay needs: the schema and target, the chunks, the events and how it ended.

    ``end`` is None for a run that was stopped before its last event (Stop in the app, a
    killed process); ``interruption`` then says why, when known.
    """

    schema_text: str
    schema_kind: SchemaKind
    target: tuple[str, ...]
    chunks: tuple[Chunk, ...]
    events: tuple[RecordedEvent, ...]
    end: RunEnd | None
    interruption: str | None = None

    @property
    def raw_text(self) -> str:
        """The run's raw stream: every chunk's text, in order (what spans index into)."""
        return "".join(chunk.text for chunk in self.chunks)


@dataclass(frozen=True)
class SchemaText:
    source: str
    kind: SchemaKind


@dataclass(frozen=True)
class RunFile:
    """The contents of a run file, field for field (docs/run-files.md)."""

    format: Literal["iterplay-run"]
    version: int
    recorded_at: str
    schema: SchemaText
    target: tuple[str, ...]
    wrapper_schema: dict[str, Any]
    base_url: str
    model: str
    mode: str
    request: dict[str, Any] | None
    chunks: tuple[Chunk, ...]
    events: tuple[RecordedEvent, ...]
    end: RunEnd | None
    interruption: str | None = None

    def recording(self) -> Recording:
        return Recording(
            schema_text=self.schema.source,
            schema_kind=self.schema.kind,
            target=self.target,
            chunks=self.chunks,
            events=self.events,
            end=self.end,
            interruption=self.interruption,
        )


_RUN_FILE_JSON = TypeAdapter(RunFile)


@dataclass(frozen=True)
class RunHeader:
    """What a run asked, as its run file holds it: everything before the chunks."""

    recorded_at: str
    schema: SchemaText
    target: tuple[str, ...]
    wrapper_schema: dict[str, Any]
    base_url: str
    model: str
    mode: str
    request: dict[str, Any] | None

    @classmethod
    def of_request(
        cls, schema: SchemaText, request: ExtractionRequest, provider: ProviderConfig
    ) -> RunHeader:
        """The header of a run starting now: ``request`` sent to ``provider``."""
        wrapper = request.wrapper
        return cls(
            recorded_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            schema=schema,
            target=tuple(target.__name__ for target in wrapper.targets),
            wrapper_schema=wrapper.json_schema,
            base_url=provider.redact(safe_url(provider.base_url)),
            model=request.model,
            mode=request.mode,
            request=_payload(request, provider),
        )

    @classmethod
    def of_replay(cls, run_file: RunFile, schema: SchemaText, wrapper: Wrapper) -> RunHeader:
        """The header of a replay of ``run_file`` validated against ``schema`` (its own or an
        edited one): the recorded request, model and time, with the schema the replay used."""
        return cls(
            recorded_at=run_file.recorded_at,
            schema=schema,
            target=tuple(target.__name__ for target in wrapper.targets),
            wrapper_schema=wrapper.json_schema,
            base_url=run_file.base_url,
            model=run_file.model,
            mode=run_file.mode,
            request=run_file.request,
        )


class RunFileRecorder:
    """Collects one run's chunks and events as they pass, then makes its ``RunFile``.

    Also a ``RunSink`` (``take``, ``close``): a background run hands it each batch on its
    worker thread while the page asks for the run file on another, hence the lock.
    """

    def __init__(self, header: RunHeader) -> None:
        self.header = header
        self.chunks: list[Chunk] = []
        self.events: list[Retrying | Entity | Invalid] = []
        self.end: Finished | Failed | None = None
        self._lock = threading.Lock()

    @classmethod
    def of_request(
        cls, schema: SchemaText, request: ExtractionRequest, provider: ProviderConfig
    ) -> RunFileRecorder:
        return cls(RunHeader.of_request(schema, request, provider))

    def add(self, event: Event) -> None:
        with self._lock:
            self._add(event)

    def take(self, events: list[Event]) -> None:
        with self._lock:
            for event in events:
                self._add(event)

    def close(self) -> None:
        """Nothing to do when the run's worker ends: the recording is whole as it stands."""

    def _add(self, event: Event) -> None:
        match event:
            case Token():
                self.chunks.append(Chunk(event.text, event.t))
            case Partial():
                pass  # derived from the chunks again on replay
            case Retrying() | Entity() | Invalid():
                self.events.append(event)
            case Finished() | Failed():
                self.end = event
            case _:
                assert_never(event)

    def run_file(self, interruption: str | None = None) -> RunFile:
        """The run file of what was recorded so far; ``interruption`` says why a run without
        its end stopped (or that it is still going)."""
        header = self.header
        with self._lock:
            chunks, events, end = tuple(self.chunks), tuple(self.events), self.end
        return RunFile(
            format=RUN_FILE_FORMAT,
            version=RUN_FILE_VERSION,
            recorded_at=header.recorded_at,
            schema=header.schema,
            target=header.target,
            wrapper_schema=header.wrapper_schema,
            base_url=header.base_url,
            model=header.model,
            mode=header.mode,
            request=header.request,
            chunks=chunks,
            events=events,
            end=end,
            interruption=None if end is not None else interruption,
        )


def _payload(request: ExtractionRequest, provider: ProviderConfig) -> dict[str, Any] | None:
    """The chat-completions body the run sends, or None when the run refuses to send it."""
    try:
        return build_payload(request, provider.quirks)
    except ProviderError:
        return None


def run_file_json(run_file: RunFile) -> str:
    """The file's text: one line per top-level field, and per chunk and per event in lists."""
    data = run_file_data(run_file)
    fields = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"  {_compact(item)}" for item in value)
            fields.append(f" {_compact(key)}: [\n{items}\n ]")
        else:
            fields.append(f" {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write_run_file(path: Path, run_file: RunFile) -> None:
    """Write ``run_file`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    text = run_file_json(run_file)
    folder = path.parent if str(path.parent) else Path(".")
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="surrogatepass") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def parse_run_file(text: str, name: str) -> RunFile:
    """The run file ``text`` holds; a RunFileError naming ``name`` says why it cannot be read."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RunFileError(
            f"{name} is not JSON (line {error.lineno}, column {error.colno}: {error.msg}), so "
            "it is not a run file."
        ) from None
    except (RecursionError, ValueError):  # nested past Python's stack, a 5,000-digit number
        raise RunFileError(
            f"{name} is JSON that Python cannot read (nested too deep or a number too long), "
            "so it is not a run file."
        ) from None
    return run_file_from_data(data, name)


def run_file_from_data(data: Any, name: str) -> RunFile:
    """The run file JSON ``data`` holds (from a file or a share link): the format and version
    checked first, then every field; a RunFileError naming ``name`` says what is wrong."""
    if not isinstance(data, dict) or data.get("format") != RUN_FILE_FORMAT:
        raise RunFileError(
            f'{name} is not an iterplay run file (it has no "format": "{RUN_FILE_FORMAT}").'
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise RunFileError(f"{name} is damaged: its version is not a whole number from 1 up.")
    if version > RUN_FILE_VERSION:
        raise RunFileError(
            f"{name} was written by a newer iterplay (run file version {version}; this one "
            f"reads version {RUN_FILE_VERSION}); upgrade iterplay to replay it."
        )
    try:
        return _RUN_FILE_JSON.validate_python(data, by_alias=True)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        raise RunFileError(f"{name} is damaged ({where}: {first['msg']}).") from None


def run_file_data(run_file: RunFile) -> dict[str, Any]:
    """The run file as JSON data, as its file holds it."""
    return _RUN_FILE_JSON.dump_python(run_file, mode="json", by_alias=True)
