"""Schema text (pydantic source or JSON Schema) -> pydantic models, safely."""

from iterplay.schema.loaded import LoadedSchema, load_schema
from iterplay.schema.safe_loader import trusted_code_enabled
from iterplay.schema.targets import select_targets

__all__ = ["LoadedSchema", "load_schema", "select_targets", "trusted_code_enabled"]
