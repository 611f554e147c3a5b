# ruff: noqa: E501  (the page is prose; its table rows are long by nature)
"""Teaching page: what the playground does, as instructor code, and how the pieces fit."""

import streamlit as st

INSTRUCTOR_CALL = """\
from typing import Iterable

import instructor
from openai import OpenAI
from pydantic import BaseModel


class User(BaseModel):
    name: str
    age: int


client = instructor.from_openai(OpenAI(), mode=instructor.Mode.TOOLS)
users = client.chat.completions.create(
    model="gpt-4o-mini",
    response_model=Iterable[User],
    stream=True,
    messages=[{"role": "user", "content": "Jason is 10 and John is 30."}],
)
for user in users:  # each User arrives as soon as its closing brace does
    print(user)
"""

WRAPPER = '''\
class IterableUser(BaseModel):
    """Correct segmentation of `User` tasks"""

    tasks: list[User] = Field(description="Correctly segmented list of `User` tasks")
'''

st.title("📖 How it works")
st.markdown(
    """
Pressing **Extract** in the playground does, step by step and in the open, what this
`instructor` code does: one streamed request, and a `for` loop that gets each `User` the moment
the model has finished writing it.
"""
)
st.code(INSTRUCTOR_CALL, language="python")
st.markdown(
    """
The playground's schema is the `User` class, its text the message, its mode instructor's
`mode` (`tools` is `Mode.TOOLS`, `json_schema` is `Mode.JSON_SCHEMA`, `json` is `Mode.JSON`,
`md_json` is `Mode.MD_JSON`), and each card one turn of the `for` loop.

**1. The wrapper, and why it is needed.** A model cannot be asked for a bare list. A tool
call's arguments are a JSON *object* (a function's parameters are an object schema), JSON mode
answers with one object, and OpenAI's structured outputs want an object at the root. So the
list goes into a field of an object, and your model `User` is wrapped in one the LLM can fill
in one go:
"""
)
st.code(WRAPPER, language="python")
st.markdown(
    """
The model writes `{"tasks": [{...}, {...}]}`; the `tasks` list is what `Iterable[User]`
iterates over. Several targets make `tasks: list[Union[A, B]]`. The playground's *wrapper*
panel shows yours, as Python and as JSON Schema.

**2. The request.** The wrapper's JSON Schema reaches the model in one of four modes:

| mode | how the schema is sent | where the JSON comes back |
|---|---|---|
| `tools` | a function `IterableUser` with the schema as parameters, forced by `tool_choice` | `delta.tool_calls[0].function.arguments` |
| `json_schema` | `response_format={"type": "json_schema", ...}` | `delta.content` |
| `json` | `response_format={"type": "json_object"}` and the schema in the system prompt | `delta.content` |
| `md_json` | the schema in the system prompt, answer in a fenced json block | `delta.content`, inside prose |

On llama.cpp (the embedded model), `json_schema` and `json` send
`{"type": "json_object", "schema": ...}`, which llama.cpp turns into a grammar: even a 135M
model then writes valid JSON.

**3. The stream.** Tokens arrive as small pieces of text: `{"tas`, `ks": [{"na`, `me": "Ja` ...
A splitter follows strings, escapes and brackets as the text arrives and hands over each element
of `tasks` the moment its closing brace comes in. Each element is validated against your model:
a valid one becomes a card, an invalid one an error card, and the stream goes on.

**4. The "writing #n" card.** While element *n* is still being written, a dashed card headed
**✍️ writing #n…** shows what has arrived of it so far: the unfinished JSON parsed leniently, so
fields fill in as the model types them and the last one may be cut short. It is not validated
yet. When the element's closing brace arrives, the dashed card makes way for element *n*'s
real card (or its error card), and the next element starts its own "writing" card.

**5. The ending.** iterplay says whether the stream was complete, truncated by max tokens, cut
off, or failed, and keeps every entity that arrived before.

The same engine runs from the command line:

```bash
echo "Jason is 10 and John is 30." | iterplay extract --schema user.py --text -
```
"""
)
