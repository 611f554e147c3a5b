"""The playground under AppTest, and what it put on the page, sorted by how the browser reads it.

Markdown (bodies of markdown, captions and alerts; labels, help and placeholders of widgets)
is where attacker text would turn into an image, a link or a heading; HTML blocks are where it
would turn into tags. Every test that looks for injected or secret text uses these helpers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streamlit.runtime.state.common import user_key_from_element_id
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")
MARKDOWN_FIELDS = ("body", "label", "help", "placeholder")


def open_page(token: str | None = None, timeout: float = 30) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=timeout)
    if token is not None:
        app.query_params["s"] = token
    return app.run()


def extract_button(app: AppTest):
    return next(button for button in app.button if button.label == "Extract")


def _protos(app: AppTest) -> Iterator[tuple[str, Any]]:
    for node in app._tree:
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield getattr(node, "type", ""), proto


def html_texts(app: AppTest) -> list[str]:
    """What the page drew with ``st.html``: entity, invalid and partial cards."""
    return [proto.body for kind, proto in _protos(app) if kind == "html"]


def markdown_texts(app: AppTest) -> list[str]:
    """Every string the page handed to the browser's markdown renderer."""
    texts = []
    for kind, proto in _protos(app):
        if kind in ("html", "code", "text"):
            continue
        for name in MARKDOWN_FIELDS:
            value = getattr(proto, name, None)
            if isinstance(value, str) and value:
                texts.append(value)
        expandable = getattr(proto, "expandable", None)
        if expandable is not None and expandable.label:
            texts.append(expandable.label)
    return texts


def every_text(app: AppTest, skip_keys: tuple[str, ...] = ()) -> str:
    """Everything the page sent to the browser, widget values included (but ``skip_keys``)."""
    parts = []
    for _, proto in _protos(app):
        element_id = getattr(proto, "id", "") or ""
        if element_id and user_key_from_element_id(element_id) in skip_keys:
            continue
        parts.append(str(proto))
    return "\n".join(parts)


def as_shown(markdown: str) -> str:
    """The text a reader sees for markdown made ``inert``: no escapes, no word joiners."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def texts_in(app: AppTest, container_key: str) -> list[str]:
    """The ``st.text`` bodies inside the container with ``container_key`` (a pane, a card)."""
    block = next(node for node in app._tree if getattr(node, "key", None) == container_key)
    return [node.proto.body for node in block if getattr(node, "type", "") == "text"]
