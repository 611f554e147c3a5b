"""``iterplay replay``: a run file or a history run, through splitter and validation again.

Offline: no model is started and nothing is sent. The output is extract's: JSON Lines, the same
lines the run printed when replayed against its own schema, and extract's exit status. Errors
keep extract's shape: one ``{"type": "error", "kind", "message"}`` line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from iterplay.errors import (
    ConfigError,
    FailureKind,
    HistoryError,
    IterplayError,
    RunFileError,
    SchemaError,
)
from iterplay.history import History
from iterplay.limits import limits
from iterplay.records import error_record
from iterplay.replay import check_speed, replay
from iterplay.run_file import Recording, parse_run_file

if TYPE_CHECKING:
    from iterplay.cli import JsonLines
    from iterplay.wrapper import Wrapper

EXIT_ERROR = 2


def run_replay(args: argparse.Namespace, output: JsonLines) -> int:
    from iterplay.cli import write_events

    try:
        speed = check_speed(args.speed)
        recording = _recording(args.source)
    except RunFileError as error:
        output.write(error_record(FailureKind.RUN_FILE, str(error)))
        return EXIT_ERROR
    except HistoryError as error:
        output.write(error_record(FailureKind.HISTORY, str(error)))
        return EXIT_ERROR
    except ConfigError as error:
        output.write(error_record(FailureKind.CONFIG, str(error)))
        return EXIT_ERROR
    except (OSError, IterplayError) as error:
        output.write(error_record(FailureKind.INPUT, str(error)))
        return EXIT_ERROR
    schema_name = str(args.schema) if args.schema else f"{args.source} (its recorded schema)"
    try:
        wrapper = _wrapper(recording, args.schema)
    except SchemaError as error:
        output.write(error_record(FailureKind.SCHEMA, f"{schema_name}: {error}"))
        return EXIT_ERROR
    except (OSError, IterplayError) as error:
        output.write(error_record(FailureKind.INPUT, str(error)))
        return EXIT_ERROR
    events = replay(recording, wrapper, partials=args.events, speed=speed)
    return write_events(events, output, all_events=args.events)


def _recording(source: str) -> Recording:
    """The run a file holds, or, for a number that names no file, that run of the history."""
    from iterplay.cli import read_input

    if source.isdigit() and not Path(source).exists():
        with History() as history:
            return history.recording(int(source))
    text = read_input(source, limits().run_file_bytes, "run_file")
    return parse_run_file(text, source).recording()


def _wrapper(recording: Recording, schema_path: Path | None) -> Wrapper:
    """The recorded schema and target, or the schema at ``schema_path`` with the same target.

    An edited schema that no longer defines the recorded target falls back to its own root
    model, with a note on stderr, so a renamed class can still be tried.
    """
    from iterplay.cli import read_schema
    from iterplay.schema import load_schema, select_targets
    from iterplay.wrapper import build_wrapper

    if schema_path is None:
        schema = load_schema(recording.schema_text, recording.schema_kind)
        return build_wrapper(select_targets(schema, list(recording.target)))
    schema = read_schema(schema_path)
    if all(name in schema.models for name in recording.target):
        return build_wrapper(select_targets(schema, list(recording.target)))
    wrapper = build_wrapper(select_targets(schema))
    chosen = ", ".join(target.__name__ for target in wrapper.targets)
    print(
        f"note: {schema_path} does not define {', '.join(recording.target)}, the recorded "
        f"target; validating against {chosen} instead",
        file=sys.stderr,
    )
    return wrapper
