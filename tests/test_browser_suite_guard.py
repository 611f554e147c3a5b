"""The browser suite never passes silently without a browser in CI.

Outside CI a missing chromium skips the browser tests with the reason (a developer may not have
installed it yet); with ``CI=true`` it fails the run, since a green CI would then hide that the
browser tests never ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MISSING = "/nonexistent/chromium"


def collect_the_browser_suite(**environment: str) -> subprocess.CompletedProcess[str]:
    """Collect the whole suite but the top-level test modules, so only tests/browser/ remains."""
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env.update(ITERPLAY_CHROMIUM=MISSING, **environment)
    command = [sys.executable, "-m", "pytest", "tests", "--collect-only", "-q", "-rs"]
    command += ["-p", "no:cacheprovider", "--ignore-glob=*/tests/test_*.py"]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_in_ci_a_missing_chromium_fails_the_run():
    run = collect_the_browser_suite(CI="true")

    assert run.returncode != 0
    assert f"The browser tests cannot run: no chromium at {MISSING}" in run.stdout


def test_outside_ci_a_missing_chromium_skips_the_browser_tests_with_the_reason():
    run = collect_the_browser_suite()

    assert run.returncode == 0, run.stdout + run.stderr
    assert "SKIPPED [1] tests/browser/conftest.py:" in run.stdout
    assert f"no chromium at {MISSING}" in run.stdout
