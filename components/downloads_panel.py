"""Download buttons under the output: the run's entities as JSON, JSONL and CSV, and its run file.

The files are made when a button is pressed (Streamlit's deferred ``data``), from the run as it
stands then, so a live run can be downloaded as far as it got, and a page of a thousand cards
does not carry four copies of them on every rerun. A press reruns nothing (``on_click`` is
``"ignore"``): downloading never interrupts a run.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from iterplay.downloads import DOWNLOADS, Elements
from iterplay.run_file import RunFile, run_file_json
from iterplay.run_log import RunLog

RUN_FILE_KEY = "download_run_file"


def download_key(suffix: str) -> str:
    return f"download_{suffix}"


def downloads_panel(log: RunLog, run_file: Callable[[], RunFile] | None) -> None:
    """``run_file`` makes the run file of the run that produced ``log`` when the button is
    pressed; None when it has none (a History run whose schema no longer loads)."""
    with st.container(key="downloads", horizontal=True, vertical_alignment="center"):
        st.caption("Download")
        for download in DOWNLOADS.values():
            st.download_button(
                download.label,
                data=_deferred(download.text, log),
                file_name=f"iterplay-entities.{download.suffix}",
                mime=download.mime,
                key=download_key(download.suffix),
                on_click="ignore",
                icon=":material/download:",
            )
        st.download_button(
            "Run file",
            data=(lambda: run_file_json(run_file())) if run_file is not None else "",
            file_name="iterplay-run.json",
            mime="application/json",
            key=RUN_FILE_KEY,
            on_click="ignore",
            icon=":material/download:",
            disabled=run_file is None,
            help="The whole run, replayable with no provider: in the playground (Run files) "
            "or with `iterplay replay`.",
        )


def _deferred(text: Callable[[Elements], str], log: RunLog) -> Callable[[], str]:
    return lambda: text(list(log.elements))
