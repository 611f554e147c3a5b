"""Schema lint of a 200-field schema, against loading the same schema, in the same run.

    .venv/bin/python benchmarks/lint.py [--reps N]

The issue's target: lint a 200-field schema in under 100 ms. The schema is pydantic source (one
model of 180 fields and a nested one of 20, with bounds, lengths, patterns, formats, optional and
nullable fields, enums and lists), so the lint has something to find under every provider.
Loading it (``load_schema``: the sandbox runs the code, datamodel-code-generator writes the
models the server validates with) is what the editor already pays on every edit, so lint is
printed beside it. Figures are medians of ``--reps`` interleaved repetitions after a warm-up;
the sandbox worker is started before timing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from iterplay.lint import lint_wrapper
from iterplay.schema import load_schema, select_targets
from iterplay.strict_schema import make_strict
from iterplay.wrapper import build_wrapper

NESTED_FIELDS = 20
TOP_FIELDS = 180

FIELD_SHAPES = (
    "str",
    "int = Field(ge=0, le=1000)",
    "str | None = None",
    "float = Field(gt=0)",
    "list[str] = Field(default_factory=list, max_length=5)",
    "str = Field(min_length=1, max_length=80)",
    'str = Field(pattern=r"^[A-Z]{2}[0-9]{4}$")',
    'Literal["low", "medium", "high"] = "low"',
    "bool = False",
    "date | None = None",
)


def schema_source() -> str:
    """A 200-field schema: ``Record`` (180 fields, one of them ``Address``) and ``Address`` (20)."""
    lines = [
        "from datetime import date",
        "from typing import Literal",
        "",
        "from pydantic import BaseModel, Field",
        "",
        "",
        "class Address(BaseModel):",
    ]
    lines += [f"    a{i}: {FIELD_SHAPES[i % len(FIELD_SHAPES)]}" for i in range(NESTED_FIELDS)]
    lines += ["", "", "class Record(BaseModel):", "    address: Address"]
    lines += [f"    r{i}: {FIELD_SHAPES[i % len(FIELD_SHAPES)]}" for i in range(TOP_FIELDS - 1)]
    return "\n".join(lines) + "\n"


def median_ms(timings: list[float]) -> float:
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()

    source = schema_source()
    schema = load_schema(source)  # warm-up: starts the sandbox worker
    wrapper = build_wrapper(select_targets(schema, ["Record"]))
    fields = sum(len(model.model_fields) for model in schema.models.values())

    steps: dict[str, Callable[[int], object]] = {
        # A fresh comment per repetition, so nothing along the load path can reuse a result.
        "load_schema (the editor's path)": lambda rep: load_schema(f"# {rep}\n{source}"),
        "wrapper JSON Schema (pydantic, for context)": lambda rep: (
            build_wrapper(select_targets(schema, ["Record"])).json_schema
        ),
        "lint, openai": lambda rep: lint_wrapper(wrapper, "openai"),
        "lint, llama_cpp": lambda rep: lint_wrapper(wrapper, "llama_cpp"),
        "make_strict": lambda rep: make_strict(wrapper.json_schema),
        "under the editor (both lints + make_strict)": lambda rep: (
            lint_wrapper(wrapper, "openai"),
            lint_wrapper(wrapper, "llama_cpp"),
            make_strict(wrapper.json_schema),
        ),
    }
    for step in steps.values():
        step(-1)
    timings: dict[str, list[float]] = {name: [] for name in steps}
    for rep in range(args.reps):
        for name, step in steps.items():
            started = time.perf_counter()
            step(rep)
            timings[name].append(time.perf_counter() - started)

    findings = {p: len(lint_wrapper(wrapper, p)) for p in ("openai", "llama_cpp")}
    print(f"schema: {fields} fields in {len(schema.models)} models; findings: {findings}")
    print(f"medians of {args.reps} repetitions:")
    load = median_ms(timings["load_schema (the editor's path)"])
    for name, values in timings.items():
        ms = median_ms(values)
        print(f"  {name:<45} {ms:8.2f} ms   {ms / load:6.3f}x load")
    editor = median_ms(timings["under the editor (both lints + make_strict)"])
    verdict = "under" if editor < 100 else "OVER"
    print(f"target: lint of a 200-field schema under 100 ms: {editor:.1f} ms, {verdict}")


if __name__ == "__main__":
    main()
