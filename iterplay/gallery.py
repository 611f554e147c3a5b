"""The gallery: worked examples, each a schema, a text, a note and a recorded run.

Every example ships with a run file recorded from a real model run
(``scripts/record_gallery.py``; never written by hand), so it opens and replays with no
provider, no key and no network. The note says which model answered and what it got wrong:
a small model's mistakes are teaching material. Examples live as files in
``iterplay/gallery_examples/<slug>/`` (``schema.py`` or ``schema.json``, ``text.txt``,
``note.md``, ``run.json``), so they are read, diffed and re-recorded as files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from iterplay.run_file import RunFile, SchemaKind, parse_run_file

EXAMPLES_DIR = Path(__file__).parent / "gallery_examples"
SCHEMA_FILES: dict[SchemaKind, str] = {"pydantic": "schema.py", "json_schema": "schema.json"}


@dataclass(frozen=True)
class ExampleInfo:
    """What the gallery says about an example before it is opened."""

    slug: str
    title: str
    teaches: str
    mode: str | None = None  # the mode it was recorded in, when not the default


EXAMPLE_INFO = (
    ExampleInfo("people", "People", "The seed: one model, `Iterable[User]`, a card per person."),
    ExampleInfo(
        "invoice",
        "Invoice line items",
        "Field constraints (`Field(ge=1)`): a bad element becomes an error card, the rest go on.",
    ),
    ExampleInfo(
        "calendar",
        "Calendar events",
        "Dates and times: pydantic checks the format of a `date`, not whether it is true.",
    ),
    ExampleInfo(
        "reviews",
        "Product reviews",
        "A `Literal` sentiment: the model must pick one of three words.",
        mode="json",
    ),
    ExampleInfo(
        "citations",
        "Citations from a paragraph",
        "Hallucination, live: what a bare `int` lets through.",
    ),
    ExampleInfo(
        "company",
        "Company with an address",
        "A nested model: an `Address` inside each `Company`.",
        mode="json",
    ),
    ExampleInfo(
        "books",
        "Books (JSON Schema)",
        "A JSON Schema in, a pydantic model out (datamodel-code-generator), then the same run.",
    ),
    ExampleInfo(
        "union",
        "People and products (a union)",
        "Two root models extracted together: `list[Person | Product]`.",
    ),
)


@dataclass(frozen=True)
class Example:
    """One example, read from its files."""

    info: ExampleInfo
    kind: SchemaKind
    schema: str
    text: str
    note: str
    run_file: RunFile

    @property
    def slug(self) -> str:
        return self.info.slug


def example_dir(slug: str) -> Path:
    return EXAMPLES_DIR / slug


@cache
def load_example(slug: str) -> Example:
    """An example by its slug; its files are part of the package, so a missing or broken one is
    a packaging bug and raises."""
    info = next(info for info in EXAMPLE_INFO if info.slug == slug)
    folder = example_dir(slug)
    kind, schema_path = next(
        (kind, folder / name) for kind, name in SCHEMA_FILES.items() if (folder / name).exists()
    )
    run_path = folder / "run.json"
    return Example(
        info=info,
        kind=kind,
        schema=schema_path.read_text(encoding="utf-8"),
        text=(folder / "text.txt").read_text(encoding="utf-8").rstrip("\n"),
        note=(folder / "note.md").read_text(encoding="utf-8").strip(),
        run_file=parse_run_file(run_path.read_text(encoding="utf-8"), str(run_path)),
    )


def examples() -> list[Example]:
    """Every example, in the gallery's order."""
    return [load_example(info.slug) for info in EXAMPLE_INFO]
