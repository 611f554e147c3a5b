"""Run history in SQLite: every run from the app and the CLI, findable after a restart.

One file (``ITERPLAY_DB``, else ``$XDG_DATA_HOME/iterplay/history.sqlite3``) in WAL mode, so
several sessions and CLI processes write at once; each writer holds its own connection and
waits for the others (``busy_timeout``). The schema is versioned with ``PRAGMA user_version``
and migrated forward in order; ``application_id`` marks the file as ours, so a foreign or
corrupt file is reported in one sentence and never written to. A run is inserted when it starts
(outcome ``incomplete``) and its chunks and events are committed as they arrive, so a run that
is stopped, cut or killed is kept with everything that had arrived. Deleting is the only way
data leaves. No key is ever stored: base URLs are kept without credentials.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_never

from pydantic import TypeAdapter, ValidationError

from iterplay.errors import HistoryError
from iterplay.events import (
    Duration,
    Entity,
    Event,
    Failed,
    Finished,
    Invalid,
    Partial,
    Retrying,
    Stats,
    Token,
)
from iterplay.provider import safe_url
from iterplay.records import event_from_record, event_record
from iterplay.run_file import Chunk, Recording
from iterplay.stream import ElementSplitter

if TYPE_CHECKING:
    from iterplay.provider import ProviderConfig
    from iterplay.request import ExtractionRequest

APPLICATION_ID = 0x49504C59  # "IPLY"
BUSY_TIMEOUT_MS = 10_000
COMMIT_EVERY_SECONDS = 0.25


def _add_spans(cursor: sqlite3.Cursor) -> None:
    """Entity and invalid events recorded before spans existed get theirs from the run's chunks.

    The splitter finds the same elements in the same chunks, element *k* being the event with
    index *k*; an element it cannot find (never in a history written by iterplay) gets the
    empty span at the end of the raw text.
    """
    runs = cursor.execute(
        "SELECT DISTINCT run_id FROM events WHERE type IN ('entity', 'invalid')"
    ).fetchall()
    for (run_id,) in runs:
        texts = [
            text
            for (text,) in cursor.execute(
                "SELECT text FROM chunks WHERE run_id = ? ORDER BY seq", (run_id,)
            )
        ]
        splitter = ElementSplitter()
        spans = [(e.start, e.end) for text in texts for e in splitter.feed(text)]
        end = sum(len(text) for text in texts)
        events = cursor.execute(
            "SELECT seq, payload FROM events WHERE run_id = ? AND type IN ('entity', 'invalid')",
            (run_id,),
        ).fetchall()
        for seq, payload in events:
            record = json.loads(payload)
            index = record.get("index")
            found = isinstance(index, int) and 0 <= index < len(spans)
            record["span"] = list(spans[index]) if found else [end, end]
            cursor.execute(
                "UPDATE events SET payload = ? WHERE run_id = ? AND seq = ?",
                (json.dumps(record, ensure_ascii=False), run_id, seq),
            )


# Each entry brings a database from the version before it to its own version (index + 1): SQL,
# or a function of a cursor for a change SQL cannot make (it runs in the same transaction).
MIGRATIONS: tuple[str | Callable[[sqlite3.Cursor], None], ...] = (
    # 1: runs, their chunks and their events
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        origin TEXT NOT NULL,
        schema_text TEXT NOT NULL,
        schema_kind TEXT NOT NULL,
        target TEXT NOT NULL,
        source_text TEXT NOT NULL,
        system_prompt TEXT,
        base_url TEXT NOT NULL,
        model TEXT NOT NULL,
        mode TEXT NOT NULL,
        parameters TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'incomplete',
        message TEXT,
        entities INTEGER NOT NULL DEFAULT 0,
        invalid INTEGER NOT NULL DEFAULT 0,
        stats TEXT
    );
    CREATE TABLE chunks (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        t REAL NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE events (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    CREATE INDEX runs_started ON runs(started_at);
    """,
    # 2: lanes of one race (several runs started together on the same schema and text)
    """
    ALTER TABLE runs ADD COLUMN race_id TEXT;
    ALTER TABLE runs ADD COLUMN lane INTEGER;
    CREATE INDEX runs_race ON runs(race_id);
    """,
    # 3: entity and invalid events carry their span in the raw text
    _add_spans,
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_path(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """``ITERPLAY_DB``, else the user's data directory."""
    if environ.get("ITERPLAY_DB"):
        return Path(environ["ITERPLAY_DB"]).expanduser()
    data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "iterplay" / "history.sqlite3"


@dataclass(frozen=True)
class RunInputs:
    """What a run was asked to do; the base URL is stored without credentials."""

    schema_text: str
    schema_kind: str
    target: Sequence[str]
    source_text: str
    system_prompt: str | None
    base_url: str
    model: str
    mode: str
    parameters: dict[str, Any] = field(default_factory=dict)
    origin: str = "cli"  # "cli" | "app"
    race_id: str | None = None
    lane: int | None = None

    @classmethod
    def of_request(
        cls,
        schema_text: str,
        schema_kind: str,
        request: ExtractionRequest,
        provider: ProviderConfig,
        origin: str,
    ) -> RunInputs:
        """What the CLI and the app record of a run: the same fields from either."""
        return cls(
            schema_text=schema_text,
            schema_kind=schema_kind,
            target=[target.__name__ for target in request.wrapper.targets],
            source_text=request.text,
            system_prompt=request.system_prompt,
            base_url=provider.redact(safe_url(provider.base_url)),
            model=request.model,
            mode=request.mode,
            parameters={
                "temperature": request.temperature,
                "max_tokens": request.max_tokens,
                "strict": request.strict,
            },
            origin=origin,
        )


@dataclass(frozen=True)
class RunSummary:
    """One row of ``iterplay history`` (and of the app's History page, which shows more)."""

    id: int
    started_at: str
    model: str
    mode: str
    target: tuple[str, ...]
    entities: int
    invalid: int
    outcome: str
    origin: str = "cli"
    text_start: str = ""  # the first TEXT_START_CHARS characters of the source text
    race_id: str | None = None
    lane: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started_at": self.started_at,
            "model": self.model,
            "mode": self.mode,
            "target": list(self.target),
            "entities": self.entities,
            "invalid": self.invalid,
            "outcome": self.outcome,
        }


TEXT_START_CHARS = 120


@dataclass(frozen=True)
class RunFilter:
    """Which runs to list: each field set narrows the list, None matches every run."""

    model: str | None = None
    target: str | None = None  # one of the run's targets
    outcome: str | None = None
    text: str | None = None  # found in the source text, ignoring case
    race_id: str | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """The WHERE clause (empty or starting with WHERE) and its parameters."""
        terms: list[str] = []
        values: list[Any] = []
        for column in ("model", "outcome", "race_id"):
            value = getattr(self, column)
            if value is not None:
                terms.append(f"{column} = ?")
                values.append(value)
        if self.target is not None:
            terms.append("EXISTS (SELECT 1 FROM json_each(runs.target) WHERE value = ?)")
            values.append(self.target)
        if self.text:
            terms.append("instr(casefold(source_text), ?) > 0")
            values.append(self.text.casefold())
        return ("WHERE " + " AND ".join(terms) if terms else ""), values


@dataclass(frozen=True)
class FilterChoices:
    """The values a RunFilter can usefully take: those some run has."""

    models: tuple[str, ...]
    targets: tuple[str, ...]
    outcomes: tuple[str, ...]


class History:
    """A history file: opened (created and migrated if needed) once per use."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._connection = _open(self.path)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start_run(self, inputs: RunInputs) -> RunRecorder:
        """Insert a run as incomplete; the recorder adds what arrives."""
        with self._connection:
            cursor = self._connection.execute(
                """INSERT INTO runs (started_at, origin, schema_text, schema_kind, target,
                   source_text, system_prompt, base_url, model, mode, parameters, race_id, lane)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    _now(),
                    inputs.origin,
                    inputs.schema_text,
                    inputs.schema_kind,
                    json.dumps(list(inputs.target)),
                    inputs.source_text,
                    inputs.system_prompt,
                    safe_url(inputs.base_url),
                    inputs.model,
                    inputs.mode,
                    json.dumps(inputs.parameters),
                    inputs.race_id,
                    inputs.lane,
                ),
            )
        return RunRecorder(self._connection, int(cursor.lastrowid or 0))

    def list_runs(self, limit: int = 50, where: RunFilter | None = None) -> list[RunSummary]:
        """The newest ``limit`` runs that ``where`` lets through, newest first."""
        clause, values = (where or RunFilter()).sql()
        rows = self._connection.execute(
            f"""SELECT id, started_at, model, mode, target, entities, invalid, outcome, origin,
                       substr(source_text, 1, {TEXT_START_CHARS}), race_id, lane
                FROM runs {clause} ORDER BY id DESC LIMIT ?""",
            (*values, limit),
        ).fetchall()
        return [RunSummary(*row[:4], _target_shown(row[4]), *row[5:]) for row in rows]

    def filter_choices(self) -> FilterChoices:
        def column(query: str) -> tuple[str, ...]:
            return tuple(value for (value,) in self._connection.execute(query))

        return FilterChoices(
            models=column("SELECT DISTINCT model FROM runs ORDER BY model"),
            targets=column(
                "SELECT DISTINCT value FROM runs, json_each(runs.target) ORDER BY value"
            ),
            outcomes=column("SELECT DISTINCT outcome FROM runs ORDER BY outcome"),
        )

    def run(self, run_id: int) -> dict[str, Any]:
        """One run with its inputs, outcome, stats, entities, events and chunks, as JSON data."""
        record = self._run_row(run_id)
        events = [event_record(event) for event in self._events(run_id)]
        record["entities_found"] = [e for e in events if e["type"] == "entity"]
        record["events"] = events
        record["chunks"] = [{"t": chunk.t, "text": chunk.text} for chunk in self._chunks(run_id)]
        return record

    def recording(self, run_id: int) -> Recording:
        """One run as a recording, for ``iterplay.replay``."""
        row = self._run_row(run_id)
        kept: list[Retrying | Entity | Invalid] = []
        end: Finished | Failed | None = None
        for event in self._events(run_id):
            match event:
                case Retrying() | Entity() | Invalid():
                    kept.append(event)
                case Finished() | Failed():
                    end = event
                case Token() | Partial():
                    pass  # never stored as events: the chunks are the tokens
                case _:
                    assert_never(event)
        return Recording(
            schema_text=row["schema_text"],
            schema_kind=row["schema_kind"],
            target=tuple(row["target"]),
            chunks=tuple(self._chunks(run_id)),
            events=tuple(kept),
            end=end,
            interruption=row["message"] if end is None else None,
        )

    def _run_row(self, run_id: int) -> dict[str, Any]:
        cursor = self._connection.execute("SELECT * FROM runs WHERE id = ?", (run_id,))
        row = cursor.fetchone()
        if row is None:
            raise HistoryError(f"there is no run {run_id} in {self.path}")
        record = dict(zip([column[0] for column in cursor.description], row, strict=True))
        for key, shape in _JSON_COLUMNS.items():
            try:
                record[key] = json.loads(record[key]) if record[key] else None
                shape.validate_python(record[key])
            except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
                raise self._unreadable(run_id, f"its {key}") from None
        return record

    def _unreadable(self, run_id: int, part: str) -> HistoryError:
        return HistoryError(
            f"run {run_id} in {self.path} cannot be read ({part} is not what iterplay writes); "
            "the history may have been written by another program"
        )

    def _events(self, run_id: int) -> list[Event]:
        rows = self._connection.execute(
            "SELECT seq, payload FROM events WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        events = []
        for seq, payload in rows:
            try:
                events.append(event_from_record(json.loads(payload)))
            except (ValueError, ValidationError):
                raise HistoryError(
                    f"event {seq} of run {run_id} in {self.path} cannot be read; the history "
                    "may have been written by another program"
                ) from None
        return events

    def _chunks(self, run_id: int) -> list[Chunk]:
        rows = self._connection.execute(
            "SELECT seq, t, text FROM chunks WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        chunks = []
        for seq, t, text in rows:
            try:
                if not isinstance(text, str):
                    raise ValueError(text)
                chunks.append(Chunk(text, _TIME.validate_python(t, strict=True)))
            except ValueError:  # pydantic's ValidationError is one
                raise self._unreadable(run_id, f"chunk {seq}") from None
        return chunks

    def delete(self, run_id: int) -> None:
        with self._connection:
            deleted = self._connection.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        if deleted.rowcount == 0:
            raise HistoryError(f"there is no run {run_id} in {self.path}")


class RunRecorder:
    """Adds one run's chunks and events as they arrive; committed at most every 0.25 s."""

    def __init__(self, connection: sqlite3.Connection, run_id: int) -> None:
        self.run_id = run_id
        self._connection = connection
        self._chunk_seq = 0
        self._event_seq = 0
        self._last_commit = time.monotonic()
        self._entities = 0
        self._invalid = 0

    def chunk(self, text: str, t: float) -> None:
        self._connection.execute(
            "INSERT INTO chunks (run_id, seq, t, text) VALUES (?, ?, ?, ?)",
            (self.run_id, self._chunk_seq, t, text),
        )
        self._chunk_seq += 1
        self._maybe_commit()

    def event(self, event: Event) -> None:
        """One event, stored as its JSON record (``iterplay.records.event_record``)."""
        self._entities += isinstance(event, Entity)
        self._invalid += isinstance(event, Invalid)
        record = event_record(event)
        self._connection.execute(
            "INSERT INTO events (run_id, seq, type, payload) VALUES (?, ?, ?, ?)",
            (self.run_id, self._event_seq, event.type, json.dumps(record, ensure_ascii=False)),
        )
        self._event_seq += 1
        self._maybe_commit()

    def finish(self, outcome: str, message: str | None, stats: dict[str, Any] | None) -> None:
        """Record how the run ended; until then it reads as incomplete."""
        self._connection.execute(
            """UPDATE runs SET finished_at = ?, outcome = ?, message = ?, entities = ?,
               invalid = ?, stats = ? WHERE id = ?""",
            (
                _now(),
                outcome,
                message,
                self._entities,
                self._invalid,
                json.dumps(stats) if stats is not None else None,
                self.run_id,
            ),
        )
        self._connection.commit()

    def interrupted(self, reason: str) -> None:
        """Keep what arrived, marked incomplete, with why it stopped."""
        self._connection.execute(
            "UPDATE runs SET outcome = 'incomplete', message = ?, entities = ?, invalid = ? "
            "WHERE id = ?",
            (reason, self._entities, self._invalid, self.run_id),
        )
        self._connection.commit()

    def flush(self) -> None:
        """Commit now: a writer with nothing more to write lets other writers in."""
        self._connection.execute(
            "UPDATE runs SET entities = ?, invalid = ? WHERE id = ?",
            (self._entities, self._invalid, self.run_id),
        )
        self._connection.commit()
        self._last_commit = time.monotonic()

    def _maybe_commit(self) -> None:
        now = time.monotonic()
        if now - self._last_commit >= COMMIT_EVERY_SECONDS:
            self._connection.commit()
            self._last_commit = now
            self._connection.execute(
                "UPDATE runs SET entities = ?, invalid = ? WHERE id = ?",
                (self._entities, self._invalid, self.run_id),
            )


def _casefold(text: object) -> str | None:
    return text.casefold() if isinstance(text, str) else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _open(path: Path) -> sqlite3.Connection:
    """Open, check it is ours, migrate; every failure is one HistoryError sentence."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists() and path.stat().st_size > 0
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    except OSError as error:
        raise HistoryError(f"cannot open the history at {path}: {error.strerror}") from None
    except sqlite3.Error as error:  # a folder, a file under /proc: SQLite's own refusal
        raise HistoryError(f"cannot open the history at {path}: {error}") from None
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # Unicode-aware, unlike SQLite's lower(): the text filter ignores case in any script.
        connection.create_function("casefold", 1, _casefold, deterministic=True)
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if existed and (application_id != APPLICATION_ID or version == 0):
            raise HistoryError(
                f"{path} is not an iterplay history; set ITERPLAY_DB to another file "
                "(it was left as it is)"
            )
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{path} was written by a newer iterplay (history version {version}; this one "
                f"reads up to {SCHEMA_VERSION}); upgrade iterplay or set ITERPLAY_DB"
            )
        connection.execute("PRAGMA journal_mode = WAL")
        # With WAL, NORMAL syncs at checkpoints, not at every commit: a power cut may lose the
        # last commits, a crashed or killed process loses nothing that was committed.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        _migrate(connection, version)
    except sqlite3.DatabaseError as error:
        connection.close()
        raise HistoryError(
            f"{path} cannot be read as an iterplay history ({error}); set ITERPLAY_DB to "
            "another file (it was left as it is)"
        ) from None
    except HistoryError:
        connection.close()
        raise
    return connection


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    """Bring the file to SCHEMA_VERSION, one migration at a time, each in one transaction."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with closing(connection.cursor()) as cursor:
            cursor.execute("BEGIN IMMEDIATE")
            current = cursor.execute("PRAGMA user_version").fetchone()[0]
            if current >= target:  # another process migrated it meanwhile
                cursor.execute("COMMIT")
                continue
            migration = MIGRATIONS[target - 1]
            if callable(migration):
                migration(cursor)
            else:
                for statement in _statements(migration):
                    cursor.execute(statement)
            cursor.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            cursor.execute(f"PRAGMA user_version = {target}")
            cursor.execute("COMMIT")


def _statements(script: str) -> Iterator[str]:
    for statement in script.split(";"):
        if statement.strip():
            yield statement


def recorded(events: Iterable[Event], recorder: RunRecorder | None) -> Iterator[Event]:
    """Pass a run's events through, recording each; however the run ends, the end is recorded
    (an interrupted run as incomplete, with everything that had arrived)."""
    ended = recorder is None
    try:
        for event in events:
            if recorder is not None:
                record_event(recorder, event)
                ended = ended or isinstance(event, Finished | Failed)
            yield event
    finally:
        if not ended and recorder is not None:
            recorder.interrupted("the run was interrupted before it ended")


def record_event(recorder: RunRecorder, event: Event) -> None:
    """Store one event: a token as a chunk, partials not at all, the end as the outcome."""
    match event:
        case Token():
            recorder.chunk(event.text, event.t)
        case Partial():
            pass  # derived from the chunks whenever needed
        case Retrying() | Entity() | Invalid():
            recorder.event(event)
        case Finished():
            recorder.event(event)
            recorder.finish(str(event.ending), event.message, event.stats.to_dict())
        case Failed():
            recorder.event(event)
            stats = event.stats.to_dict() if event.stats is not None else None
            recorder.finish("failed", event.message, stats)
        case _:
            assert_never(event)


_JSON_COLUMNS: dict[str, TypeAdapter[Any]] = {  # what each JSON column of a run must hold
    "target": TypeAdapter(list[str]),
    "parameters": TypeAdapter(dict[str, Any] | None),
    "stats": TypeAdapter(Stats | None),
}
_TIME: TypeAdapter[float] = TypeAdapter(Duration)


def _target_shown(text: Any) -> tuple[str, ...]:
    """A listed run's target names; none when another program wrote something else there
    (the list goes on; opening that run says what is wrong)."""
    try:
        return tuple(_JSON_COLUMNS["target"].validate_json(text))
    except (ValidationError, TypeError):
        return ()
