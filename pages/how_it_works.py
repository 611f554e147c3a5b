# ruff: noqa: E501  (the page is prose; its table rows are long by nature)
"""Teaching page: what the playground does, as instructor code, and how the pieces fit.

With a run in the playground (a live one, or an opened run file), each step shows that run's
own model, wrapper, JSON Schema, request and stream (``components.stream_anatomy``); without
one, a static example stands in.
"""

import streamlit as st
from pydantic import BaseModel

from components import stream_anatomy
from components.navigation import through_app_navigation
from components.replay_panel import current_run_file
from iterplay.wrapper import build_wrapper

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

USER_MODEL = """\
class User(BaseModel):
    name: str
    age: int
"""


class User(BaseModel):
    name: str
    age: int


EXAMPLE_WRAPPER = build_wrapper([User])

through_app_navigation()
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
"""
)

run = current_run_file()
if run is None:
    st.info(
        "Run an extraction in the playground (or open a run file there) and the steps below "
        "show that run: your model, its wrapper, the exact request, and every character of "
        "the stream with a scrubber over time. Until then they use the `User` example."
    )
else:
    st.success(
        "The steps below show the playground's run: the model it used, its wrapper, the exact "
        "request, and every character of its stream."
    )

st.subheader("1. Your model")
if run is None:
    st.code(USER_MODEL, language="python")
else:
    stream_anatomy.model_section(run)

st.subheader("2. The wrapper, and why it is needed")
st.markdown(
    """
A model cannot be asked for a bare list. A tool call's arguments are a JSON *object* (a
function's parameters are an object schema), JSON mode answers with one object, and OpenAI's
structured outputs want an object at the root. So the list goes into a field of an object, and
your model is wrapped in one the LLM can fill in one go:
"""
)
if run is None:
    st.code(EXAMPLE_WRAPPER.python_source(), language="python")
else:
    stream_anatomy.wrapper_section(run)
st.markdown(
    """
The model writes `{"tasks": [{...}, {...}]}`; the `tasks` list is what `Iterable[User]`
iterates over. Several targets make `tasks: list[Union[A, B]]`. The playground's *wrapper*
panel shows yours, as Python and as JSON Schema.
"""
)

st.subheader("3. Its JSON Schema")
st.markdown(
    "What the model is asked to fill: the wrapper as JSON Schema, your model under `$defs`."
)
if run is None:
    st.code(EXAMPLE_WRAPPER.json_schema_text(), language="json")
else:
    stream_anatomy.schema_section(run)

st.subheader("4. The request")
st.markdown(
    """
The wrapper's JSON Schema reaches the model in one of four modes:

| mode | how the schema is sent | where the JSON comes back |
|---|---|---|
| `tools` | a function `IterableUser` with the schema as parameters, forced by `tool_choice` | `delta.tool_calls[0].function.arguments` |
| `json_schema` | `response_format={"type": "json_schema", ...}` | `delta.content` |
| `json` | `response_format={"type": "json_object"}` and the schema in the system prompt | `delta.content` |
| `md_json` | the schema in the system prompt, answer in a fenced json block | `delta.content`, inside prose |

On llama.cpp (the embedded model), `json_schema` and `json` send
`{"type": "json_object", "schema": ...}`, which llama.cpp turns into a grammar: even a 135M
model then writes valid JSON.
"""
)
if run is not None:
    st.markdown("The exact body your run sent (the key travels in a header, never here):")
    stream_anatomy.request_section(run)

st.subheader("5. The stream")
st.markdown(
    """
Tokens arrive as small pieces of text: `{"tas`, `ks": [{"na`, `me": "Ja` ...
A splitter follows strings, escapes and brackets as the text arrives and hands over each element
of `tasks` the moment its closing brace comes in. Each element is validated against your model:
a valid one becomes a card, an invalid one an error card, and the stream goes on.
"""
)
if run is not None:
    st.markdown(
        """
Below, every character your run received, coloured by what it was. Move the moment back to
see the stream and the cards as they were then: a card exists from the moment the chunk that
closed its element arrived. Choose an element to see its span and its card together.
"""
    )
    stream_anatomy.stream_section(run)

st.subheader('6. The "writing #n" card')
st.markdown(
    """
While element *n* is still being written, a dashed card headed
**✍️ writing #n…** shows what has arrived of it so far: the unfinished JSON parsed leniently, so
fields fill in as the model types them and the last one may be cut short. It is not validated
yet. When the element's closing brace arrives, the dashed card makes way for element *n*'s
real card (or its error card), and the next element starts its own "writing" card. If the run
ends first (Stop, a cut, max tokens), the dashed card stays as **✂️ #n never finished**: what
the model had written of it.
"""
)

st.subheader("7. The ending")
st.markdown(
    """
iterplay says whether the stream was complete, truncated by max tokens, cut
off, or failed, and keeps every entity that arrived before.

The same engine runs from the command line:

```bash
echo "Jason is 10 and John is 30." | iterplay extract --schema user.py --text -
```
"""
)
