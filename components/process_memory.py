"""Keep the app's long-lived objects out of Python's full garbage collections.

A full collection walks every tracked object while holding the GIL; after the first page run
the app process holds about 190,000 of them (Streamlit, pandas, Altair, pydantic, the SDK), so
each full collection stopped every thread, every live run's cards included, for 75-200 ms here.
Nearly all of them are modules and classes that live as long as the process: moving them to
the permanent generation once (``gc.freeze``) leaves a full collection only the objects made
since. Streamlit's own collection after each script run (``runner.postScriptGC``) is kept.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_long_lived_objects() -> None:
    """Once per process, after a first page run has imported what the app uses."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
