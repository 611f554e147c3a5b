"""``python -m streamlit`` whose server sends queued messages every N seconds instead of 5 ms.

Usage: ``python tests/browser/slow_send_streamlit.py SECONDS run app.py ...``. A test starts the
app this way to hold a script run's messages in the app's outgoing queue long enough to see what
happens to them when the next script run starts (``components/page_sent.py``).
"""

from __future__ import annotations

import sys

import streamlit.runtime.runtime as streamlit_runtime
from streamlit.web.cli import main

if __name__ == "__main__":
    streamlit_runtime.MESSAGE_FLUSH_INTERVAL_SECS = float(sys.argv.pop(1))
    sys.exit(main())
