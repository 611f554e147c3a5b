"""``iterplay extract`` and ``iterplay serve-model``: the same core the web UI uses.

The output contract of ``extract`` is stable (scripts and acceptance checks read it): JSON Lines
on stdout, one object per event, flushed as each happens, and exactly one final ``done`` or
``error`` line. Exit status 0 only for a complete stream.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, assert_never

from iterplay.code_export import CodeFormat
from iterplay.errors import (
    ConfigError,
    FailureKind,
    InputError,
    IterplayError,
    LocalModelError,
    ProviderError,
    SchemaError,
)
from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Retrying, Token
from iterplay.history import RunInputs
from iterplay.history_writer import HistoryWriter
from iterplay.inputs import unicode_problem
from iterplay.limits import Limits, limits
from iterplay.lint import LINT_PROVIDERS
from iterplay.lint_command import LINT_EPILOG
from iterplay.provider import ProviderConfig, configured_endpoint, mode_for
from iterplay.records import error_record, event_record
from iterplay.request import MODES, ExtractionRequest
from iterplay.run_file import RunFileRecorder, SchemaText, write_run_file
from iterplay.run_settings import SERVE_MODEL_PORT

if TYPE_CHECKING:
    from iterplay.schema import LoadedSchema

EXIT_COMPLETE = 0
EXIT_INCOMPLETE = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command Ctrl+C ended
INTERRUPTED = "the run was interrupted before it ended"
HISTORY_WAIT_SECONDS = 15.0  # past SQLite's busy timeout: the writer has given up by then

EXTRACT_EPILOG = """\
output: JSON Lines on stdout, flushed per event:
  {"type": "entity", "index": 0, "data": {...}, "span": [11, 39], "t": 0.41}
  {"type": "invalid", "index": 1, "raw": "...", "errors": [{"loc": [...], "msg": "..."}],
   "span": [41, 60], "t": ...}
  and one last line: {"type": "done", "complete": true, ...} or {"type": "error", ...}
  span: the element's [start, end) character offsets in the raw text (the token texts joined).
exit status: 0 for a complete stream, 1 for a truncated or cut one, 2 for an error.
--save RUN.json also writes the whole run to a run file: iterplay replay RUN.json replays it.

provider: --base-url/--api-key, else OPENAI_BASE_URL/OPENAI_API_KEY; with neither, the embedded
SmolLM2-135M model is started on 127.0.0.1 (a tiny model: fine for simple schemas).
ITERPLAY_TIMEOUT sets the provider timeout (seconds, default 60). A rate-limited request is
retried at most twice, each wait at most 10 s; --events prints each wait as a retrying line.

example:
  echo "Jason is 10 and John is 30." | iterplay extract --schema user.py --text -
"""


EVAL_EPILOG = """\
cases: JSON Lines, {"id": "...", "text": "...", "expected": [{...}, ...]} per line; a line
{"settings": {"fields": {"age": {"compare": "tolerance", "tolerance": 0.01}, "note": "ignore"}}}
sets per-field comparison (exact, normalized, tolerance, ignore).
output: a table (per case, per field, overall), or with --json one report object:
  {"overall": {"precision", "recall", "f1", "tp", "fp", "fn"}, "fields": {...}, "cases": [...],
   "runs": N}
exit status: 0; 1 when F1 is below --min-f1; 2 on an error (one {"type": "error"} line).
"""


CODE_EPILOG = """\
output: the program on stdout; on an error, one {"type": "error", ...} line and exit status 2.
The program sends the request extract would send (same target, mode, prompts and settings) and
prints each entity as a JSON line as soon as it completes; curl prints the raw event stream.
--base-url and --api-key only choose the provider as for extract: the key is never printed.

examples:
  iterplay code --format openai --schema user.py --text people.txt > extract_people.py
  OPENAI_API_KEY=sk-... python extract_people.py
  iterplay code --format curl --schema user.py --text people.txt --mode json | sh
"""


REPLAY_EPILOG = """\
output: the JSON Lines of extract (same lines, same times), then exit status as extract's.
A run recorded with one schema can be validated against another (--schema): the entity and
invalid lines are those the new schema gives for the same stream.

examples:
  iterplay extract --schema user.py --text people.txt --save run.json
  iterplay replay run.json --speed 0
  iterplay replay run.json --schema user_with_max_age.py
  iterplay replay 12                      # run 12 of iterplay history
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iterplay",
        description="Streaming structured extraction with Iterable[T], from the command line.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    extract = commands.add_parser(
        "extract",
        help="extract every entity of a text into JSON Lines",
        description="Stream the entities of a text, validated against a pydantic or JSON Schema.",
        epilog=EXTRACT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_run_inputs(extract)
    _add_provider_options(extract)
    extract.add_argument(
        "--events",
        action="store_true",
        help="also print token, partial and retrying events",
    )
    extract.add_argument(
        "--no-history", action="store_true", help="do not record this run in the history"
    )
    extract.add_argument(
        "--save",
        type=Path,
        metavar="RUN.json",
        help="also write the whole run to a run file, to replay later (docs/run-files.md)",
    )
    extract.add_argument(
        "--strict",
        action="store_true",
        help="OpenAI strict structured outputs in json_schema and tools modes (see iterplay lint)",
    )
    evaluation = commands.add_parser(
        "eval",
        help="run every case of a cases file and score the entities",
        description="Run each case (a text and its expected entities) and report precision, "
        "recall and F1, per case, per field and overall.",
        epilog=EVAL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluation.add_argument("--schema", required=True, type=Path, metavar="FILE")
    evaluation.add_argument(
        "--cases", required=True, type=Path, metavar="FILE.jsonl", help="JSON Lines of cases"
    )
    evaluation.add_argument("--target", metavar="NAME[,NAME]")
    _add_provider_options(evaluation)
    evaluation.add_argument("--repeat", type=int, default=1, metavar="N", help="runs per case")
    evaluation.add_argument("--min-f1", type=float, metavar="X", help="exit 1 when F1 < X")
    evaluation.add_argument("--json", action="store_true", help="one JSON report on stdout")
    history = commands.add_parser(
        "history",
        help="list, show or delete recorded runs",
        description="Runs recorded by iterplay (the app and extract), newest first. The file "
        "is ITERPLAY_DB, else $XDG_DATA_HOME/iterplay/history.sqlite3.",
    )
    history.add_argument("--json", action="store_true", help="JSON instead of a table")
    history.add_argument("--limit", type=int, default=50, metavar="N", help="at most N runs")
    history_commands = history.add_subparsers(dest="history_command", metavar="show|delete")
    show = history_commands.add_parser("show", help="one run with its entities")
    show.add_argument("run_id", type=int, metavar="ID")
    show.add_argument("--json", action="store_true", help="the whole run as JSON")
    delete = history_commands.add_parser("delete", help="delete one run")
    delete.add_argument("run_id", type=int, metavar="ID")
    lint = commands.add_parser(
        "lint",
        help="check a schema's wrapper against a provider's strict mode or grammar",
        description="Report what a provider refuses, or does not enforce, in the wrapper's JSON "
        "Schema: OpenAI strict mode, or llama.cpp's grammar (the embedded model).",
        epilog=LINT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lint.add_argument("--schema", required=True, type=Path, metavar="FILE")
    lint.add_argument("--target", metavar="NAME[,NAME]")
    lint.add_argument(
        "--provider", choices=list(LINT_PROVIDERS), default="openai", help="default: openai"
    )
    lint.add_argument(
        "--mode", choices=list(MODES), help="only the rules that apply in this mode (default: all)"
    )
    lint.add_argument("--json", action="store_true", help="a JSON list of findings on stdout")
    replay = commands.add_parser(
        "replay",
        help="replay a recorded run offline: a run file or a run of the history",
        description="Run the splitter and validation again on the chunks a run recorded, at "
        "their recorded pace, and print the JSON Lines extract printed. No model, no network.",
        epilog=REPLAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay.add_argument(
        "source", metavar="RUN.json|HISTORY_ID", help="a run file (extract --save), or a run id"
    )
    replay.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="X times the recorded pace (default: 1); 0 replays at once",
    )
    replay.add_argument(
        "--schema",
        type=Path,
        metavar="FILE",
        help="validate against this schema (.py or .json) instead of the recorded one",
    )
    replay.add_argument(
        "--events", action="store_true", help="also print token, partial and retrying events"
    )
    code = commands.add_parser(
        "code",
        help="print a program that runs this extraction: instructor, openai SDK or curl",
        description="Print the extraction extract would run, as a program that runs as printed. "
        "It reads the key from OPENAI_API_KEY and the server from OPENAI_BASE_URL.",
        epilog=CODE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    code.add_argument(
        "--format", required=True, choices=list(CodeFormat), help="the kind of program"
    )
    _add_run_inputs(code)
    _add_provider_options(code)
    serve = commands.add_parser(
        "serve-model",
        help="serve the embedded model as an OpenAI-compatible API in the foreground",
        description="Serve SmolLM2-135M-Instruct on 127.0.0.1 for other tools to use.",
    )
    serve.add_argument(
        "--port", type=int, default=SERVE_MODEL_PORT, help=f"port (default: {SERVE_MODEL_PORT})"
    )
    return parser  # fmt: skip


def _add_run_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--schema",
        required=True,
        type=Path,
        metavar="FILE",
        help="pydantic source (.py) or JSON Schema (.json)",
    )
    parser.add_argument(
        "--text", required=True, metavar="FILE|-", help="the source text, or - for standard input"
    )
    parser.add_argument(
        "--target",
        metavar="NAME[,NAME]",
        help="model(s) to extract; default: the root model(s), several as a union",
    )


def _add_provider_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="OpenAI-compatible base URL (default: OPENAI_BASE_URL)")
    parser.add_argument("--api-key", help="API key (default: OPENAI_API_KEY)")
    parser.add_argument("--model", help="model name (default: ITERPLAY_MODEL, or the provider's)")
    parser.add_argument(
        "--mode",
        choices=list(MODES),
        help="how the schema reaches the model (default: tools, on any provider)",
    )
    parser.add_argument("--max-tokens", type=int, metavar="N")
    parser.add_argument("--temperature", type=float, metavar="T")


class JsonLines:
    """Writes one JSON object per line and flushes it at once, so readers see it live."""

    def __init__(self, out: IO[str]):
        self.out = out

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False)
        if unicode_problem(line):  # a lone surrogate (say from a file name) is written escaped
            line = json.dumps(record)
        self.text(line + "\n")

    def text(self, text: str) -> None:
        """Write ``text`` as it is (a table, a report) and flush it."""
        if self.out is None:  # started with standard output closed (``>&-``)
            raise OutputError("standard output is closed")
        try:
            self.out.write(text)
            self.out.flush()
        except BrokenPipeError:
            raise
        except OSError as error:  # a full disk (``> /dev/full``), an I/O error
            raise OutputError(error.strerror or str(error)) from None


class OutputError(Exception):
    """The command's lines cannot be written; said on standard error, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve-model":
        return serve_model(args.port)
    try:
        return _command(args, JsonLines(sys.stdout))
    except BrokenPipeError:
        # The reader left (``| head``): stop the run quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INCOMPLETE
    except OutputError as error:
        print(f"iterplay: the output cannot be written ({error})", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        # Ctrl+C: an extract's recording and run file are closed on the way out (its
        # ``finally``); the last line says what happened instead of a traceback.
        message = "Interrupted (Ctrl+C) before it ended: the lines above are what arrived."
        if args.command == "extract" and not args.no_history:
            message += " The history keeps the run as incomplete."
        JsonLines(sys.stdout).write(error_record(FailureKind.INTERRUPTED, message))
        return EXIT_INTERRUPTED


def _command(args: argparse.Namespace, output: JsonLines) -> int:
    if args.command == "eval":
        from iterplay.eval_command import run_eval

        return run_eval(args, output)
    if args.command == "history":
        from iterplay.history_command import run_history

        return run_history(args, output)
    if args.command == "lint":
        from iterplay.lint_command import run_lint

        return run_lint(args, output)
    if args.command == "code":
        from iterplay.code_command import run_code

        return run_code(args, output)
    if args.command == "replay":
        from iterplay.replay_command import run_replay

        return run_replay(args, output)
    return extract(args, output)


def extract(args: argparse.Namespace, output: JsonLines) -> int:
    try:
        if args.save:
            _check_save_path(args.save, inputs=[args.schema, Path(args.text)])
        schema, wrapper = _load_wrapper(args.schema, args.target)
        text = read_input(args.text, limits().text_bytes, "text")
        provider = _provider(args)
        request = ExtractionRequest(
            wrapper=wrapper,
            text=text,
            model=provider.model,
            mode=args.mode or mode_for(provider),
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            strict=args.strict,
        )
    except (OSError, IterplayError) as error:
        output.write(input_error_record(error, args.schema))
        return EXIT_ERROR
    from iterplay.run import run_extraction  # the OpenAI SDK: loaded only once inputs are good

    history = None if args.no_history else _start_recording(schema, provider, request)
    run_file = (
        RunFileRecorder.of_request(SchemaText(schema.text, schema.kind), request, provider)
        if args.save
        else None
    )
    events = run_extraction(provider, request, partials=args.events)
    try:
        return write_events(_saved(events, history, run_file), output, all_events=args.events)
    finally:
        if history is not None:
            _end_recording(history)
        if run_file is not None:
            _save(run_file, args.save)


def input_error_record(error: OSError | IterplayError, schema_path: Path) -> dict[str, Any]:
    """The ``error`` line for a problem with a command's inputs, found before anything runs."""
    match error:
        case SchemaError():
            return error_record(FailureKind.SCHEMA, f"{schema_path}: {error}")
        case LocalModelError():
            return error_record(FailureKind.LOCAL_MODEL, str(error))
        case ConfigError():
            return error_record(FailureKind.CONFIG, str(error))
        case ProviderError():
            return error_record(error.kind, str(error))
        case _:
            return error_record(FailureKind.INPUT, str(error))


def _saved(
    events: Iterable[Event], history: HistoryWriter | None, run_file: RunFileRecorder | None
) -> Iterator[Event]:
    """Pass a run's events through, handing each to the history (unless ``--no-history``) and
    adding it to the run file (with ``--save``)."""
    for event in events:
        if history is not None:
            history.take([event])
        if run_file is not None:
            run_file.add(event)
        yield event


def _check_save_path(path: Path, inputs: list[Path]) -> None:
    """Refuse a run file path that cannot be written before the run, not after it, or that
    would write over the run's own schema or text."""
    folder = path.parent
    if path.is_dir():
        raise InputError(f"--save {path}: that is a folder; give a file name such as run.json.")
    for given in inputs:
        if path.exists() and given.exists() and path.samefile(given):
            raise InputError(
                f"--save {path}: that is the run's own input ({given}); the run file would "
                "replace it. Give another file name, such as run.json."
            )
    if not folder.is_dir():
        raise InputError(f"--save {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK):
        raise InputError(f"--save {path}: the folder {folder} cannot be written to.")


def _save(run_file: RunFileRecorder, path: Path) -> None:
    """Write the run file; the run's lines are printed already, so a failure is a note."""
    try:
        write_run_file(path, run_file.run_file("the run was interrupted before it ended"))
    except OSError as error:
        print(f"iterplay: the run file {path} could not be written ({error})", file=sys.stderr)


def write_events(events: Iterable[Event], output: JsonLines, *, all_events: bool) -> int:
    """Print a run's events as JSON Lines; the exit status its last event calls for.

    Token, partial and retrying lines only with ``all_events`` (``--events``).
    """
    status = EXIT_ERROR  # unless the run Finished: it ended with Failed
    for event in events:
        match event:
            case Token() | Partial() | Retrying():
                if all_events:
                    output.write(event_record(event))
            case Entity() | Invalid() | Failed():
                output.write(event_record(event))
            case Finished():
                output.write(event_record(event))
                status = EXIT_COMPLETE if event.complete else EXIT_INCOMPLETE
            case _:
                assert_never(event)
    return status


def _load_wrapper(schema_path: Path, target: str | None):
    from iterplay.schema.targets import choose_targets
    from iterplay.wrapper import build_wrapper

    schema = read_schema(schema_path)
    names = [name.strip() for name in target.split(",") if name.strip()] if target else None
    chosen = choose_targets(schema, names)
    if chosen.note:
        print(f"note: {chosen.note} (--target)", file=sys.stderr)
    return schema, build_wrapper([schema.models[name] for name in chosen.names])


def read_schema(schema_path: Path) -> LoadedSchema:
    """The schema in a file: JSON Schema for ``.json``, pydantic source otherwise."""
    from iterplay.schema import load_schema

    kind = "json_schema" if schema_path.suffix.lower() == ".json" else "pydantic"
    schema = load_schema(read_input(str(schema_path), limits().schema_bytes, "schema"), kind)
    for note in schema.notes:
        print(f"note: {note}", file=sys.stderr)
    return schema


def _start_recording(
    schema: LoadedSchema, provider: ProviderConfig, request: ExtractionRequest
) -> HistoryWriter:
    """The history's writer for this run. It writes on a thread of its own and commits whenever
    it has nothing more to write, so a model that pauses never keeps other writers (the app's
    sessions, other commands) out of the history; a run never fails because its history
    cannot be written (``_end_recording`` says so on stderr)."""
    inputs = RunInputs.of_request(schema.text, schema.kind, request, provider, "cli")
    return HistoryWriter(inputs, interruption=INTERRUPTED)


def _end_recording(history: HistoryWriter) -> None:
    """Record how the run ended (as incomplete if it was interrupted) and close the history."""
    history.close()
    if not history.wait(HISTORY_WAIT_SECONDS):
        print("history: still busy; this run may be kept as incomplete", file=sys.stderr)
    elif history.problem is not None:
        print(f"history: {history.problem}", file=sys.stderr)


def read_input(source: str, max_bytes: int, what: str) -> str:
    """The UTF-8 text of a regular file, or of standard input for ``-``, if within ``max_bytes``.

    At most ``max_bytes + 1`` bytes are read, so ``/dev/zero`` or a huge sparse file cannot fill
    memory; anything else than a regular file or standard input (a FIFO, a device, a directory)
    is refused before a byte is read, so nothing blocks. Every problem is an InputError.
    """
    name = "Standard input" if source == "-" else source
    limit_name = what.replace("_", " ")
    data = sys.stdin.buffer.read(max_bytes + 1) if source == "-" else _read_file(source, max_bytes)
    if len(data) > max_bytes:
        variable = Limits.variable(f"{what}_bytes")
        raise InputError(
            f"{name} is larger than the {limit_name} limit of {max_bytes:,} bytes "
            f"(set by {variable})."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{name} is not UTF-8 text (byte {error.start + 1:,} cannot be decoded); "
            f"save the {limit_name} as UTF-8."
        ) from None


def _read_file(path: str, max_bytes: int) -> bytes:
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting forever.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise InputError(f"{path}: there is no such file.") from None
    except OSError as error:
        raise InputError(f"{path} cannot be opened ({error.strerror}).") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise InputError(f"{path} is not a regular file; give a file, or - for standard input.")
    with os.fdopen(descriptor, "rb") as file:
        return file.read(max_bytes + 1)


def _provider(args: argparse.Namespace) -> ProviderConfig:
    endpoint = configured_endpoint(args.base_url, args.api_key, args.model)
    if endpoint is not None:
        return endpoint
    from iterplay.local_model import embedded_provider

    return embedded_provider()


def serve_model(port: int) -> int:
    from iterplay.local_model import MODEL_ALIAS, start_server

    try:
        server = start_server(port)
    except LocalModelError as error:
        print(f"iterplay: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"Serving {MODEL_ALIAS} at {server.base_url} (log: {server.log_path}); Ctrl+C stops.",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return EXIT_COMPLETE


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends ``serve-model`` as Ctrl+C does: the server is stopped and the exit is 0."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
