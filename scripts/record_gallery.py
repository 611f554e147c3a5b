"""Record the gallery's run files from a real model run: ``iterplay extract --save``.

    .venv/bin/python scripts/record_gallery.py [SLUG ...]   # default: every example

With neither ``OPENAI_BASE_URL`` nor ``OPENAI_API_KEY`` set, the runs go to the embedded model
(started on demand), as the shipped recordings did. Each example is run in the mode its
``ExampleInfo`` names (the CLI's default otherwise). After recording, read the new runs and
rewrite each ``note.md``: the note must say which model answered and what it got wrong.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from iterplay.gallery import EXAMPLE_INFO, SCHEMA_FILES, example_dir  # noqa: E402


def record(slug: str) -> int:
    info = next(info for info in EXAMPLE_INFO if info.slug == slug)
    folder = example_dir(slug)
    schema = next(folder / name for name in SCHEMA_FILES.values() if (folder / name).exists())
    command = [
        sys.executable, "-m", "iterplay.cli", "extract",
        "--schema", str(schema), "--text", str(folder / "text.txt"),
        "--no-history", "--save", str(folder / "run.json"),
    ]  # fmt: skip
    if info.mode is not None:
        command += ["--mode", info.mode]
    print(f"== {slug}", flush=True)
    return subprocess.run(command, cwd=REPO).returncode


def main(slugs: list[str]) -> int:
    statuses = [record(slug) for slug in slugs or [info.slug for info in EXAMPLE_INFO]]
    return max(statuses, default=0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
