"""iterplay: streaming structured extraction with ``Iterable[T]``, as a library, CLI and app.

The public surface is small and re-exported here; everything else is an implementation detail.

    schema = load_schema(source)                       # pydantic source or JSON Schema text
    wrapper = build_wrapper(select_targets(schema))    # IterableUser with tasks: list[User]
    request = ExtractionRequest(wrapper, text, model="gpt-4o-mini", mode="tools")
    for event in run_extraction(provider, request):    # Token, Partial, Entity, Invalid, ...
        ...
"""

from iterplay.errors import (
    IterplayError,
    LocalModelError,
    ProviderError,
    SchemaError,
    ShareLinkError,
)
from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Stats, Token
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.run import run_extraction
from iterplay.schema import LoadedSchema, load_schema, select_targets
from iterplay.stream import ElementSplitter
from iterplay.wrapper import Wrapper, build_wrapper

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
