"""iterplay on the embedded model against the same model driven in-process (the floor).

    .venv/bin/python benchmarks/embedded_speed.py [--repeats 5] [--warmup 2]

iterplay: ``run_extraction`` against the embedded llama.cpp server that iterplay starts (HTTP on
loopback, SSE, the openai SDK, the splitter and pydantic validation). Floor: ``llama_cpp.Llama``
in this process, loaded with the server's own settings (``local_model.llama_settings()``: context,
threads, batch threads), called with ``create_chat_completion(stream=True)`` and exactly the
keyword arguments the server derives from iterplay's request (same messages, grammar via
``response_format``/``tools``, max_tokens, temperature and the server's sampling defaults).

Both sides see the same sequence of requests (so llama.cpp's prompt-prefix cache behaves the
same), interleaved pairwise with the order alternating, after warm-up runs; the figures are
medians. Times are measured by this script's clock from the call to each event:
- first token: the first non-empty content (or tool-call argument) delta;
- first entity: iterplay's first validated Entity event; for the floor, the arrival of the delta
  that closes the first array element (found afterwards by replaying the recorded deltas through
  the splitter, so the floor pays nothing for it);
- tokens/s: (deltas - 1) / (last delta - first delta); llama.cpp sends one token per delta.
Overhead = iterplay / floor for times, floor / iterplay for tokens/s (1.00 = no overhead).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from iterplay.events import Entity, Failed, Token
from iterplay.local_model import (
    THREADING_ENVIRONMENT,
    embedded_provider,
    find_weights,
    llama_settings,
)
from iterplay.request import ExtractionRequest, build_payload
from iterplay.run import run_extraction
from iterplay.stream import ElementSplitter
from iterplay.wrapper import build_wrapper

if TYPE_CHECKING:
    import llama_cpp

MODES = ("json", "tools")
MAX_TOKENS = 200
TEXTS = (
    "Consider this data: Jason is 10 and John is 30.",
    "Mary is 45 years old and her son Tom is 12.",
    "Alice, aged 33, met Bob, who is 29, in Paris.",
    "Carlos (52), Mei (27) and Ahmed (40) joined the team.",
)
# The fields llama-cpp-python's server drops before calling create_chat_completion.
SERVER_EXCLUDED_FIELDS = {"n", "logit_bias_type", "user", "min_tokens"}


class User(BaseModel):
    name: str
    age: int


@dataclass(frozen=True)
class Timing:
    first_token: float
    first_entity: float | None
    total: float
    deltas: int
    streaming: float

    @property
    def tokens_per_second(self) -> float:
        return (self.deltas - 1) / self.streaming if self.streaming > 0 else float("nan")


def timing(started: float, deltas: list[float], first_entity: float | None) -> Timing:
    if not deltas:
        raise RuntimeError("the model sent nothing")
    return Timing(
        first_token=deltas[0] - started,
        first_entity=None if first_entity is None else first_entity - started,
        total=deltas[-1] - started,
        deltas=len(deltas),
        streaming=deltas[-1] - deltas[0],
    )


def through_iterplay(provider, request: ExtractionRequest) -> Timing:
    deltas: list[float] = []
    first_entity = None
    started = time.perf_counter()
    for event in run_extraction(provider, request):
        now = time.perf_counter()
        if isinstance(event, Token):
            deltas.append(now)
        elif isinstance(event, Entity) and first_entity is None:
            first_entity = now
        elif isinstance(event, Failed):
            raise RuntimeError(event.message)
    return timing(started, deltas, first_entity)


def server_kwargs(request: ExtractionRequest) -> dict[str, Any]:
    """What llama-cpp-python's server passes to ``create_chat_completion`` for this request."""
    from llama_cpp.server.types import CreateChatCompletionRequest

    body = CreateChatCompletionRequest.model_validate(build_payload(request, "llama_cpp"))
    return body.model_dump(exclude=SERVER_EXCLUDED_FIELDS)


def delta_text(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices") or [{}]
    delta = choices[0].get("delta") or {}
    if delta.get("content"):
        return delta["content"]
    calls = delta.get("tool_calls") or [{}]
    function = calls[0].get("function") or {}
    return function.get("arguments") or ""


def in_process(llm: llama_cpp.Llama, request: ExtractionRequest) -> Timing:
    arrivals: list[tuple[float, str]] = []
    started = time.perf_counter()
    for chunk in llm.create_chat_completion(**server_kwargs(request)):
        text = delta_text(chunk)
        if text:
            arrivals.append((time.perf_counter(), text))
    splitter = ElementSplitter()
    first_entity = next((t for t, text in arrivals if splitter.feed(text)), None)
    return timing(started, [t for t, _ in arrivals], first_entity)


def requests(provider, mode: str) -> Iterator[ExtractionRequest]:
    wrapper = build_wrapper([User])
    for text in TEXTS:
        yield ExtractionRequest(
            wrapper=wrapper,
            text=text,
            model=provider.model,
            mode=mode,
            temperature=0,
            max_tokens=MAX_TOKENS,
        )


def measure(
    provider, llm: llama_cpp.Llama, mode: str, repeats: int, warmup: int
) -> tuple[list[Timing], list[Timing]]:
    sides: dict[str, Callable[[ExtractionRequest], Timing]] = {
        "iterplay": lambda request: through_iterplay(provider, request),
        "floor": lambda request: in_process(llm, request),
    }
    for _ in range(warmup):
        for request in requests(provider, mode):
            for run in sides.values():
                run(request)
    results: dict[str, list[Timing]] = {"iterplay": [], "floor": []}
    for repeat in range(repeats):
        for number, request in enumerate(requests(provider, mode)):
            order = ["iterplay", "floor"] if (repeat + number) % 2 == 0 else ["floor", "iterplay"]
            for side in order:
                results[side].append(sides[side](request))
    return results["iterplay"], results["floor"]


def median(values: list[float]) -> float:
    return statistics.median(values)


def milliseconds(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def report(mode: str, iterplay: list[Timing], floor: list[Timing]) -> list[list[str]]:
    """One row per metric; a pair counts only when both sides have the value (an entity)."""
    rows = []
    metrics = [
        ("first token (ms)", lambda t: milliseconds(t.first_token), False),
        ("first entity (ms)", lambda t: milliseconds(t.first_entity), False),
        ("total (ms)", lambda t: milliseconds(t.total), False),
        ("tokens/s", lambda t: t.tokens_per_second, True),
    ]
    for name, value, higher_is_better in metrics:
        pairs = [
            (value(o), value(b))
            for o, b in zip(iterplay, floor, strict=True)
            if value(o) is not None and value(b) is not None
        ]
        ours, base = [o for o, _ in pairs], [b for _, b in pairs]
        paired = [b / o if higher_is_better else o / b for o, b in pairs]
        overall = median(base) / median(ours) if higher_is_better else median(ours) / median(base)
        rows.append(
            [
                mode,
                name,
                f"{median(ours):.1f}",
                f"{median(base):.1f}",
                f"{overall:.2f}x",
                f"{median(paired):.2f}x",
                str(len(pairs)),
            ]
        )
    return rows


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="rounds over the texts (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up rounds (default 2)")
    args = parser.parse_args()

    # The server's OpenMP settings, before llama.cpp's libraries load into this process.
    for key, value in THREADING_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    import llama_cpp

    settings = llama_settings()
    threading_env = {key: os.environ[key] for key in THREADING_ENVIRONMENT}
    print(__doc__.split("\n\n", 2)[2].strip(), end="\n\n")
    print(
        f"llama-cpp-python {llama_cpp.__version__}, {settings}, {threading_env}; "
        f"{len(TEXTS)} texts x {args.repeats} rounds per mode after {args.warmup} warm-up "
        f"rounds; max_tokens {MAX_TOKENS}, temperature 0; "
        f"load average before: {os.getloadavg()[0]:.2f}"
    )
    provider = embedded_provider()
    llm = llama_cpp.Llama(model_path=str(find_weights()), verbose=False, **settings)
    rows = []
    for mode in MODES:
        iterplay, floor = measure(provider, llm, mode, args.repeats, args.warmup)
        rows += report(mode, iterplay, floor)
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    print_table(
        ["mode", "metric", "iterplay", "floor", "ratio of medians", "median paired ratio", "n"],
        rows,
    )


if __name__ == "__main__":
    main()
