"""Precision and recall of the embedded SmolLM2-135M model, per mode, on a small labelled set.

    .venv/bin/python benchmarks/embedded_quality.py [--modes tools,json] [--details]

Every case of ``quality_set.CASES`` goes through iterplay's own ``run_extraction`` against the
embedded llama.cpp server, at temperature 0, once per mode.

Matching: an extracted entity matches an expected one when every field is equal after
normalization (strings casefolded, whitespace collapsed, surrounding punctuation and a leading
"the"/"a"/"an" dropped; numbers compared to the cent). Each expected entity can be matched once.
Precision = matched / elements the model produced (valid + invalid: an element that fails
validation is a wrong answer); recall = matched / expected. A case is exact when its entities
match the expected ones one to one with nothing left over.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from quality_set import CASES, Case

from iterplay.events import Entity, Failed, Finished, Invalid
from iterplay.local_model import MODEL_ALIAS, embedded_provider
from iterplay.provider import ProviderConfig
from iterplay.request import MODES, ExtractionRequest
from iterplay.run import run_extraction
from iterplay.wrapper import build_wrapper

MAX_TOKENS = 400
_ARTICLES = ("the ", "a ", "an ")


def normalize(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 2)
    if isinstance(value, str):
        text = " ".join(value.casefold().split()).strip(" .,;:!?\"'")
        for article in _ARTICLES:
            if text.startswith(article):
                text = text[len(article) :]
        return text
    return value


def normalized(entity: dict[str, Any]) -> tuple:
    return tuple(sorted((key, normalize(value)) for key, value in entity.items()))


def count_matches(extracted: list[dict[str, Any]], expected: tuple[dict[str, Any], ...]) -> int:
    remaining = Counter(normalized(entity) for entity in expected)
    matched = 0
    for entity in extracted:
        key = normalized(entity)
        if remaining[key]:
            remaining[key] -= 1
            matched += 1
    return matched


@dataclass
class CaseResult:
    case: Case
    valid: list[dict[str, Any]] = field(default_factory=list)
    invalid: int = 0
    complete: bool = False
    failure: str = ""
    seconds: float = 0.0

    @property
    def matched(self) -> int:
        return count_matches(self.valid, self.case.expected)

    @property
    def produced(self) -> int:
        return len(self.valid) + self.invalid

    @property
    def exact(self) -> bool:
        expected = len(self.case.expected)
        return self.matched == expected and self.produced == expected


def run_case(provider: ProviderConfig, case: Case, mode: str) -> CaseResult:
    request = ExtractionRequest(
        wrapper=build_wrapper([case.schema]),
        text=case.text,
        model=provider.model,
        mode=mode,
        temperature=0,
        max_tokens=MAX_TOKENS,
    )
    result = CaseResult(case)
    started = time.perf_counter()
    for event in run_extraction(provider, request):
        if isinstance(event, Entity):
            result.valid.append(event.value.model_dump(mode="json"))
        elif isinstance(event, Invalid):
            result.invalid += 1
        elif isinstance(event, Finished):
            result.complete = event.complete
        elif isinstance(event, Failed):
            result.failure = f"{event.kind}: {event.message}"
    result.seconds = time.perf_counter() - started
    return result


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "n/a"


def mode_row(mode: str, results: list[CaseResult]) -> list[str]:
    matched = sum(r.matched for r in results)
    produced = sum(r.produced for r in results)
    expected = sum(len(r.case.expected) for r in results)
    return [
        mode,
        ratio(matched, produced),
        ratio(matched, expected),
        f"{matched}/{expected}",
        str(sum(len(r.valid) for r in results)),
        str(sum(r.invalid for r in results)),
        f"{sum(r.exact for r in results)}/{len(results)}",
        str(sum(not r.complete for r in results)),
        f"{sum(r.seconds for r in results) / len(results):.2f}",
    ]


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def print_details(mode: str, results: list[CaseResult]) -> None:
    for r in results:
        if r.exact:
            continue
        print(f"[{mode}] {r.case.text!r}")
        print(f"    expected {list(r.case.expected)}")
        print(f"    got      {r.valid}" + (f" + {r.invalid} invalid" if r.invalid else ""))
        if r.failure or not r.complete:
            print(f"    stream   {'complete' if r.complete else 'incomplete'} {r.failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    parser.add_argument("--details", action="store_true", help="print every case not exact")
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]

    provider = embedded_provider()
    domains = sorted({case.domain for case in CASES})
    expected = sum(len(case.expected) for case in CASES)
    print(f"Embedded model {MODEL_ALIAS}, temperature 0, max_tokens {MAX_TOKENS}")
    print(f"{len(CASES)} texts ({', '.join(domains)}), {expected} expected entities\n")

    by_mode = {mode: [run_case(provider, case, mode) for case in CASES] for mode in modes}

    print_table(
        ["mode", "precision", "recall", "matched", "valid", "invalid", "exact cases",
         "incomplete", "s/case"],
        [mode_row(mode, results) for mode, results in by_mode.items()],
    )  # fmt: skip
    print("\nRecall by domain")
    rows = []
    for mode, results in by_mode.items():
        per_domain: dict[str, list[CaseResult]] = defaultdict(list)
        for result in results:
            per_domain[result.case.domain].append(result)
        cells = []
        for domain in domains:
            group = per_domain[domain]
            matched = sum(r.matched for r in group)
            cells.append(f"{matched}/{sum(len(r.case.expected) for r in group)}")
        rows.append([mode, *cells])
    print_table(["mode", *domains], rows)
    if args.details:
        print()
        for mode, results in by_mode.items():
            print_details(mode, results)


if __name__ == "__main__":
    main()
