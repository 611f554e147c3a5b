"""``iterplay eval``: read the schema and the cases, run them, print a table or a JSON report.

Errors keep ``extract``'s shape: one ``{"type": "error", "kind", "message"}`` line on stdout and
exit status 2. Exit status 1 means the run worked but F1 is below ``--min-f1``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from iterplay.errors import (
    CasesError,
    FailureKind,
    InputError,
    IterplayError,
    LocalModelError,
    ProviderError,
    SchemaError,
)
from iterplay.evaluation import EvalReport, EvalSettings, evaluate
from iterplay.limits import limits
from iterplay.provider import mode_for
from iterplay.records import error_record
from iterplay.scoring import CaseSet, check_case, read_cases

EXIT_OK = 0
EXIT_BELOW_MIN_F1 = 1
EXIT_ERROR = 2


def run_eval(args: argparse.Namespace, output: Any) -> int:
    from iterplay.cli import _load_wrapper, _provider
    from iterplay.run import run_extraction

    if args.repeat < 1:
        output.write(error_record(FailureKind.INPUT, "--repeat must be at least 1"))
        return EXIT_ERROR
    try:
        _, wrapper = _load_wrapper(args.schema, args.target)
        case_set = _read_case_set(args.cases)
        _check_expected(case_set, wrapper)
        provider = _provider(args)
    except SchemaError as error:
        output.write(error_record(FailureKind.SCHEMA, f"{args.schema}: {error}"))
        return EXIT_ERROR
    except CasesError as error:
        output.write(error_record(FailureKind.CASES, f"{args.cases}: {error}"))
        return EXIT_ERROR
    except LocalModelError as error:
        output.write(error_record(FailureKind.LOCAL_MODEL, str(error)))
        return EXIT_ERROR
    except (OSError, IterplayError) as error:
        output.write(error_record(FailureKind.INPUT, str(error)))
        return EXIT_ERROR
    settings = EvalSettings(
        mode=args.mode or mode_for(provider),
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        repeat=args.repeat,
    )
    progress = _ProgressBar(sys.stderr) if sys.stderr.isatty() and not args.json else None
    try:
        report = evaluate(
            provider,
            wrapper,
            case_set,
            settings,
            run_extraction,
            on_run=progress.update if progress else lambda done, total: None,
        )
    except ProviderError as error:
        output.write(error_record(error.kind, str(error)))
        return EXIT_ERROR
    except InputError as error:  # a case's text, or a flag, that no request may carry
        output.write(error_record(FailureKind.INPUT, str(error)))
        return EXIT_ERROR
    finally:
        if progress:
            progress.close()
    if args.json:
        output.text(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
    else:
        output.text(render_table(report))
    if args.min_f1 is not None and report.overall.f1 < args.min_f1:
        return EXIT_BELOW_MIN_F1
    return EXIT_OK


def _read_case_set(path: Any) -> CaseSet:
    from iterplay.cli import read_input

    text = read_input(str(path), limits().cases_bytes, "cases")
    case_set = read_cases(text.splitlines())
    if not case_set.cases:
        raise CasesError("the cases file holds no case")
    return case_set


def _check_expected(case_set: CaseSet, wrapper: Any) -> None:
    """An expected entity that does not validate is an error, never silently dropped."""
    for number, case in enumerate(case_set.cases, start=1):
        errors = check_case(case, wrapper).errors
        if errors:
            raise CasesError(f"case {case.id or number}: {errors[0]}")


def render_table(report: EvalReport) -> str:
    """Per case, per field and overall, as aligned text."""
    overall = report.overall
    lines = [f"{'case':<32} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"]
    for case in report.cases:
        lines.append(_row(case.label, case.counts.figures()))
    lines.append(_row("overall", overall.figures()))
    lines.append("")
    lines.append(f"{'field':<32} {'P':>6} {'R':>6} {'F1':>6}")
    for name in report.field_names:
        figures = overall.field_figures(name)
        lines.append(
            f"{name[:32]:<32} {figures['precision']:>6.2f} {figures['recall']:>6.2f} "
            f"{figures['f1']:>6.2f}"
        )
    if report.repeat > 1:
        lines.append("")
        lines.append(f"found by how many of {report.repeat} runs, per expected entity:")
        for case in report.cases:
            lines.append(f"  {case.label[:32]:<32} {case.found_by()}")
    return "\n".join(lines) + "\n"


def _row(label: str, figures: dict[str, Any]) -> str:
    return (
        f"{label.replace(chr(10), ' ')[:32]:<32} {figures['precision']:>6.2f} "
        f"{figures['recall']:>6.2f} {figures['f1']:>6.2f} {figures['tp']:>4} {figures['fp']:>4} "
        f"{figures['fn']:>4}"
    )


class _ProgressBar:
    """A one-line bar on a terminal: runs done out of runs to do."""

    WIDTH = 30

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def update(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self._stream.write(f"\r[{bar}] {done}/{total} runs")
        self._stream.flush()

    def close(self) -> None:
        self._stream.write("\n")
        self._stream.flush()
