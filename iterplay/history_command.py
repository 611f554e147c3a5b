"""``iterplay history``: list, show and delete recorded runs.

Errors keep ``extract``'s shape: one ``{"type": "error", "kind": "history", "message"}`` line
on stdout and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from iterplay.errors import FailureKind, HistoryError
from iterplay.history import History, RunSummary
from iterplay.records import error_record
from iterplay.wording import counted

EXIT_OK = 0
EXIT_ERROR = 2


def run_history(args: argparse.Namespace, output: Any) -> int:
    try:
        with History() as history:
            if args.history_command == "show":
                run = history.run(args.run_id)
                text = json.dumps(run, ensure_ascii=False) + "\n" if args.json else _shown(run)
            elif args.history_command == "delete":
                history.delete(args.run_id)
                text = f"deleted run {args.run_id}\n"
            else:
                runs = history.list_runs(max(args.limit, 0))
                text = (
                    json.dumps([run.to_json() for run in runs]) + "\n"
                    if args.json
                    else _table(runs)
                )
    except HistoryError as error:
        output.write(error_record(FailureKind.HISTORY, str(error)))
        return EXIT_ERROR
    output.text(text)
    return EXIT_OK


def _table(runs: list[RunSummary]) -> str:
    lines = [
        f"{'id':>5}  {'time (UTC)':<19}  {'model':<24} {'mode':<11} {'target':<20} "
        f"{'entities':>8} {'invalid':>7}  outcome"
    ]
    for run in runs:
        lines.append(
            f"{run.id:>5}  {run.started_at[:19].replace('T', ' '):<19}  {run.model[:24]:<24} "
            f"{run.mode:<11} {','.join(run.target)[:20]:<20} {run.entities:>8} "
            f"{run.invalid:>7}  {run.outcome}"
        )
    return "\n".join(lines) + "\n"


def _shown(run: dict[str, Any]) -> str:
    lines = [
        f"run {run['id']}  {run['started_at']}  ({run['origin']})",
        f"model {run['model']} at {run['base_url']}, mode {run['mode']}, "
        f"target {', '.join(run['target'])}",
        f"outcome {run['outcome']}" + (f": {run['message']}" if run["message"] else ""),
        f"{counted(run['entities'], 'entity', 'entities')}, {run['invalid']} invalid",
        "",
    ]
    lines.extend(json.dumps(entity["data"], ensure_ascii=False) for entity in run["entities_found"])
    return "\n".join(lines) + "\n"
