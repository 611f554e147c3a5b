"""The app's pages run through ``app.py``'s navigation, even when a process starts on a link to
one of them.

Streamlit treats a ``pages/`` directory beside the entry script as a legacy multipage app until
the entry script first calls ``st.navigation``: the first script run of a fresh process runs the
page a link names straight from the directory, without ``app.py``, so its sidebar lists the
files (``app``, ``compare``, ``gallery``, ...) and the page lacks the app's page config. Opening
the app's root first hid it; a link to ``/history`` after a restart did not.
"""

from __future__ import annotations

import streamlit as st
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager


def through_app_navigation() -> None:
    """Called first by every page: if Streamlit ran this page straight from ``pages/``, run it
    again through ``app.py`` (``st.navigation`` switches the directory off the same way).

    Not under ``AppTest``: it turns the directory back on before each of its runs, so every run
    would start again, and a click would be lost with its first start."""
    if PagesManager.uses_pages_directory and not config.get_option("global.appTest"):
        PagesManager.uses_pages_directory = False
        st.rerun()
