"""The app process keeps what it imported out of full garbage collections.

Each test runs in a fresh interpreter: the freeze is once per process, and this one (pytest's)
may have frozen already through another AppTest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Two page runs of the app, as a browser's first visit and its next click would make.
TWO_RUNS = """
import gc, json
from streamlit.testing.v1 import AppTest
before = gc.get_freeze_count()
app = AppTest.from_file("app.py", default_timeout=60).run()
first = gc.get_freeze_count()
app.run()
second = gc.get_freeze_count()
young = len(gc.get_objects())
print(json.dumps({"before": before, "first": first, "second": second, "young": young,
                  "exception": [str(e.value) for e in app.exception]}))
"""


def two_page_runs() -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", TWO_RUNS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_first_page_run_moves_the_imported_objects_out_of_full_collections_once():
    counts = two_page_runs()

    assert counts["exception"] == []
    assert counts["before"] == 0
    # Streamlit, pydantic, the SDK and the app's modules: far more than what a page run makes.
    assert counts["first"] > 50_000
    assert counts["young"] < counts["first"] / 4
    # Once per process: the next run freezes nothing more (a frozen object freed meanwhile
    # only lowers the count).
    assert counts["second"] <= counts["first"]
