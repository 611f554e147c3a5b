"""The package root re-exports the public surface, loading each name on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import iterplay


def test_every_public_name_resolves_and_no_other_does():
    from iterplay.events import Event
    from iterplay.run import run_extraction

    assert sorted(iterplay.__all__) == sorted(iterplay._HOME_OF)
    assert iterplay.run_extraction is run_extraction and iterplay.Event is Event
    assert all(getattr(iterplay, name) is not None for name in iterplay.__all__)
    with pytest.raises(AttributeError):
        iterplay.secret_helper  # noqa: B018


def test_the_cli_refuses_bad_input_without_loading_the_openai_sdk():
    probe = (
        "import sys, iterplay.cli\n"
        "iterplay.cli.main(['extract', '--schema', '/nonexistent.py', '--text', '-'])\n"
        "print('openai' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert completed.stdout.splitlines()[-1] == "False"
