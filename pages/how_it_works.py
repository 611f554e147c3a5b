# ruff: noqa: E501  (the page is prose; its table rows are long by nature)
"""Teaching page: how the wrapper, the request and the stream fit together."""

import streamlit as st

st.title("📖 How it works")
st.markdown(
    """
iterplay does, step by step and in the open, what `instructor` does when you ask for
`Iterable[User]` with `stream=True`.

**1. The wrapper.** Your target model `User` is wrapped in a model the LLM can fill in one go:

```python
class IterableUser(BaseModel):
    \"\"\"Correct segmentation of `User` tasks\"\"\"

    tasks: list[User] = Field(description="Correctly segmented list of `User` tasks")
```

Several targets make `tasks: list[Union[A, B]]`. The playground's *wrapper* panel shows yours.

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

**4. The ending.** iterplay says whether the stream was complete, truncated by max tokens, cut
off, or failed, and keeps every entity that arrived before.

The same engine runs from the command line:

```bash
echo "Jason is 10 and John is 30." | iterplay extract --schema user.py --text -
```
"""
)
