"""What produced a run, so its results can say when the inputs on screen have changed since."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class RunInputs:
    """Every input a run's results depend on. ``provider`` is "embedded" or the endpoint's URL
    as shown to the user (never a key)."""

    schema: str
    schema_kind: str
    targets: tuple[str, ...]
    text: str
    system_prompt: str
    provider: str
    model: str
    mode: str
    temperature: float
    max_tokens: int
    strict: bool


_LABELS = {
    "schema": "the schema",
    "schema_kind": "the schema",
    "targets": "the target models",
    "text": "the text",
    "system_prompt": "the system prompt",
    "provider": "the provider",
    "model": "the model",
    "mode": "the mode",
    "temperature": "the temperature",
    "max_tokens": "max tokens",
    "strict": "strict outputs",
}


def changed_inputs(before: RunInputs, now: RunInputs) -> tuple[str, ...]:
    """What differs between two sets of inputs, as words, in the order the page shows them."""
    labels: list[str] = []
    for field in fields(RunInputs):
        label = _LABELS[field.name]
        if getattr(before, field.name) != getattr(now, field.name) and label not in labels:
            labels.append(label)
    return tuple(labels)


def in_words(labels: tuple[str, ...]) -> str:
    """``("the text", "the mode")`` -> ``"the text and the mode"``."""
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} and {labels[-1]}"
