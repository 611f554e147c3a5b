"""The playground's starting point: the seed's example, as pydantic and as JSON Schema."""

from __future__ import annotations

PYDANTIC_SCHEMA = """\
from pydantic import BaseModel


class User(BaseModel):
    name: str
    age: int
"""

JSON_SCHEMA = """\
{
  "title": "User",
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "age": {"type": "integer"}
  },
  "required": ["name", "age"]
}
"""

SAMPLE_TEXT = "Jason is 10 and John is 30."

SCHEMA_EXAMPLES = {"pydantic": PYDANTIC_SCHEMA, "json_schema": JSON_SCHEMA}
