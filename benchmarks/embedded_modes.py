"""Which mode should the embedded model use by default? Score every mode on the labelled cases.

    .venv/bin/python benchmarks/embedded_modes.py [--modes tools,json] [--repeat N]

Runs ``iterplay eval``'s core (``iterplay.evaluation.evaluate``) on the embedded SmolLM2-135M
model at temperature 0, for every mode, over the case files in ``benchmarks/cases/`` (four
schemas: people, products, events, and companies with a nested address; 41 texts). Prints
micro-averaged precision, recall and F1 per mode, overall and per schema, and the seconds each
mode took. The mode with the best overall F1 is the embedded provider's default
(``iterplay.run_settings.default_mode``); the table is quoted in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from iterplay.evaluation import EvalSettings, evaluate
from iterplay.local_model import embedded_provider
from iterplay.request import MODES
from iterplay.run import run_extraction
from iterplay.schema import load_schema, select_targets
from iterplay.scoring import Counts, read_cases
from iterplay.wrapper import build_wrapper

CASES = Path(__file__).with_name("cases")
SCHEMAS = ("people", "products", "events", "companies")


def score_mode(mode: str, repeat: int) -> tuple[Counts, dict[str, Counts], float]:
    provider = embedded_provider()
    per_schema: dict[str, Counts] = {}
    started = time.perf_counter()
    for name in SCHEMAS:
        schema = load_schema((CASES / f"{name}.py").read_text())
        wrapper = build_wrapper(select_targets(schema))
        case_set = read_cases((CASES / f"{name}.jsonl").read_text().splitlines())
        settings = EvalSettings(mode=mode, temperature=0.0, repeat=repeat)
        report = evaluate(provider, wrapper, case_set, settings, run_extraction)
        per_schema[name] = report.overall
    total = sum(per_schema.values(), Counts())
    return total, per_schema, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case")
    options = parser.parse_args()
    modes = [mode for mode in options.modes.split(",") if mode]
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; embedded SmolLM2-135M, temperature 0, "
        f"{options.repeat} run(s) per case\n"
    )
    header = f"{'mode':<12} {'P':>5} {'R':>5} {'F1':>5} " + " ".join(
        f"{name + ' F1':>13}" for name in SCHEMAS
    )
    print(header + f" {'seconds':>8}")
    best: tuple[float, str] | None = None
    for mode in modes:
        total, per_schema, seconds = score_mode(mode, options.repeat)
        cells = " ".join(f"{per_schema[name].f1:>13.2f}" for name in SCHEMAS)
        print(
            f"{mode:<12} {total.precision:>5.2f} {total.recall:>5.2f} {total.f1:>5.2f} "
            f"{cells} {seconds:>8.0f}",
            flush=True,
        )
        if best is None or total.f1 > best[0]:
            best = (total.f1, mode)
    if best is not None:
        print(f"\nbest overall F1: {best[1]} ({best[0]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
