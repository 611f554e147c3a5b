"""``python -m streamlit`` with module constants of the app or of Streamlit set first.

Usage: ``python tests/browser/tuned_streamlit.py module.NAME=VALUE ... run app.py ...`` (each
VALUE a float). A test starts the app this way to make a timing it depends on certain: a
server that sends its queued messages once a second (``components/page_sent.py``), an elapsed
clock that never ticks (``components/run_view.py``).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from streamlit.web.cli import main

if __name__ == "__main__":
    while len(sys.argv) > 1 and "=" in sys.argv[1]:
        name, value = sys.argv.pop(1).split("=", 1)
        module, attribute = name.rsplit(".", 1)
        setattr(importlib.import_module(module), attribute, float(value))
    sys.exit(main())
