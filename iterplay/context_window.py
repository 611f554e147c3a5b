"""Whether a prompt fits the model's context window, known before sending where we can count.

The embedded model's server (llama-cpp-python) reports a prompt longer than its window only in
its own log once the stream has started, so the user would see a stream that ends empty. Its
tokenizer is at hand, though: ``PromptBudget`` renders the messages as the model's chat template
does (ChatML, SmolLM2's) and counts them at the server's ``/extras/tokenize/count``, which gives
the same figure llama.cpp checks (measured: equal to ``usage.prompt_tokens`` in every mode).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from iterplay.errors import FailureKind, ProviderError

COUNT_TIMEOUT = 10.0


@dataclass(frozen=True)
class PromptBudget:
    """How to count a prompt's tokens for one model, and how many its context window holds."""

    count_url: str
    context_window: int

    def check(self, messages: Sequence[dict[str, Any]]) -> None:
        """Raise a CONTEXT_LENGTH ProviderError when the prompt cannot fit (uncounted: pass).

        A prompt of exactly the window does not fit either: llama.cpp needs room for at least
        one token of answer.
        """
        prompt = chatml(messages)
        tokens = self.count(prompt)
        if tokens is None or tokens < self.context_window:
            return
        excess = tokens - self.context_window + 1
        characters = round(excess * len(prompt) / tokens)
        raise ProviderError(
            FailureKind.CONTEXT_LENGTH,
            f"The text is too long for the embedded model: the prompt comes to {tokens:,} "
            f"tokens and the model's context window holds {self.context_window:,}; shorten "
            f"the text by at least {excess:,} tokens (about {characters:,} characters), or "
            "point at a model with a bigger window.",
        )

    def count(self, prompt: str) -> int | None:
        """The tokens of ``prompt``, or None when the server cannot count (then we just send)."""
        body = json.dumps({"input": prompt}).encode()
        request = urllib.request.Request(self.count_url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=COUNT_TIMEOUT) as response:
                count = json.load(response).get("count")
        except (urllib.error.URLError, OSError, ValueError, AttributeError):
            return None
        return count if isinstance(count, int) else None


def chatml(messages: Sequence[dict[str, Any]]) -> str:
    """The prompt text SmolLM2's chat template makes of ``messages``, ready for the answer."""
    turns = "".join(
        f"<|im_start|>{message['role']}\n{message.get('content') or ''}<|im_end|>\n"
        for message in messages
    )
    return turns + "<|im_start|>assistant\n"
