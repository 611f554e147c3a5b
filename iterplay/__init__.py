"""iterplay: streaming structured extraction with ``Iterable[T]``, as a library, CLI and app.

The public surface is small and re-exported here; everything else is an implementation detail.

    schema = load_schema(source)                       # pydantic source or JSON Schema text
    wrapper = build_wrapper(select_targets(schema))    # IterableUser with tasks: list[User]
    request = ExtractionRequest(wrapper, text, model="gpt-4o-mini", mode="tools")
    for event in run_extraction(provider, request):    # Token, Partial, Entity, Invalid, ...
        ...

Names are imported on first use, so ``iterplay`` commands that refuse their input at once (a bad
file, a bad flag) answer without loading the OpenAI SDK, which takes most of a second.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "iterplay.errors": (
        "IterplayError", "LocalModelError", "ProviderError", "SchemaError", "ShareLinkError",
    ),
    "iterplay.events": (
        "Entity", "Event", "Failed", "Finished", "Invalid", "Partial", "Stats", "Token",
    ),
    "iterplay.provider": ("ProviderConfig",),
    "iterplay.request": ("ExtractionRequest",),
    "iterplay.run": ("run_extraction",),
    "iterplay.schema": ("LoadedSchema", "load_schema", "select_targets"),
    "iterplay.stream": ("ElementSplitter",),
    "iterplay.wrapper": ("Wrapper", "build_wrapper"),
}  # fmt: skip
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ElementSplitter",
    "Entity",
    "Event",
    "ExtractionRequest",
    "Failed",
    "Finished",
    "Invalid",
    "IterplayError",
    "LoadedSchema",
    "LocalModelError",
    "Partial",
    "ProviderConfig",
    "ProviderError",
    "SchemaError",
    "ShareLinkError",
    "Stats",
    "Token",
    "Wrapper",
    "build_wrapper",
    "load_schema",
    "run_extraction",
    "select_targets",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME_OF:
        raise AttributeError(f"module 'iterplay' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOME_OF[name]), name)
