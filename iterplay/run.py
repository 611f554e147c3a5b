"""One extraction run: request -> chunks -> splitter -> validation -> typed events.

``run_extraction`` is a generator the UI and the CLI both consume. It never raises for things a
user can cause (bad key, unreachable server, cut stream, invalid element): those become events,
after every entity that already arrived.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import openai

from iterplay import provider_errors
from iterplay.errors import FailureKind, ProviderError, StreamCutError
from iterplay.events import Event, Failed, Finished, Retrying, Stats
from iterplay.inputs import valid_unicode
from iterplay.limits import Limits, limits
from iterplay.provider import ProviderConfig
from iterplay.provider_errors import retry_decision
from iterplay.request import MODES, PROVIDERS, ExtractionRequest, ProviderQuirks, build_payload
from iterplay.sse import iter_chunks
from iterplay.stream import Ending, Phase
from iterplay.stream_events import StreamEvents, StreamTally, complete_message

_NO_FINISH = "it ended with no finish reason"
_NORMAL_FINISH = {"stop", "tool_calls", "function_call", "eos"}
OFF_CHANNEL_SHOWN = 120  # characters of a plain-text answer quoted when no tool was called


@dataclass
class _Meter:
    """The clock and usage of one run; its text's counts are in ``tally``."""

    started: float = field(default_factory=time.perf_counter)
    tally: StreamTally = field(default_factory=StreamTally)
    usage: dict[str, Any] | None = None

    def now(self) -> float:
        return time.perf_counter() - self.started

    def completion_tokens(self) -> int | None:
        """As the provider reported them, when it did."""
        return _token_count((self.usage or {}).get("completion_tokens"))

    def stats(self) -> Stats:
        usage = self.usage or {}
        prompt_tokens = _token_count(usage.get("prompt_tokens"))
        return self.tally.stats(self.now(), prompt_tokens, self.completion_tokens())


def _token_count(value: Any) -> int | None:
    """A token count the provider reported, if it is one (a hostile server may send anything)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return value
    return None


def run_extraction(
    provider: ProviderConfig,
    request: ExtractionRequest,
    *,
    partials: bool = False,
    on_open: Callable[[Any], None] | None = None,
    pause: Callable[[float], object] = time.sleep,
) -> Iterator[Event]:
    """Stream one extraction, yielding events as they happen; the last is Finished or Failed.

    ``on_open`` receives the HTTP response once the provider has answered, so a caller on
    another thread can abort it (see ``iterplay.background_run``). ``pause`` waits before a
    retry (after a ``Retrying`` event); a caller that can cancel passes a wait it can cut short.
    """
    batches = run_extraction_batches(
        provider, request, partials=partials, on_open=on_open, pause=pause
    )
    for batch in batches:
        yield from batch


def run_extraction_batches(
    provider: ProviderConfig,
    request: ExtractionRequest,
    *,
    partials: bool = False,
    on_open: Callable[[Any], None] | None = None,
    pause: Callable[[float], object] = time.sleep,
) -> Iterator[list[Event]]:
    """The events of ``run_extraction``, grouped by the chunk that produced them.

    A chunk's Token, the entities it completed and its Partial come as one list, so a consumer
    on another thread can draw them together: the card first, not after the raw text.
    """
    meter = _Meter()
    try:
        payload = build_payload(request, provider.quirks)
        if provider.prompt_budget is not None:
            provider.prompt_budget.check(payload["messages"])
    except ProviderError as refused:  # refused before anything was sent
        yield [Failed(refused.kind, str(refused), meter.stats())]
        return
    retries = 0
    while True:
        try:
            response = _open_stream(provider, request, payload)
            break
        except ProviderError as error:
            decision = retry_decision(error, retries)
            if isinstance(decision, ProviderError):
                yield [Failed(decision.kind, str(decision), meter.stats())]
                return
            retries += 1
            yield [Retrying(retries, decision, str(error), meter.now())]
            pause(decision)
    if on_open is not None:
        on_open(response.http_response)
    reader = _StreamReader(request, provider, meter, partials)
    try:
        with provider_errors.reading(provider):
            for chunk in iter_chunks(response.iter_lines()):
                batch = reader.take(chunk)
                if batch:
                    yield batch
                over = reader.limit_passed()
                if over:
                    yield [reader.finished(None, Ending.LIMIT, detail=over)]
                    return
    except StreamCutError as cut:
        yield [reader.finished(None, Ending.CUT_OFF, detail=cut.detail)]
        return
    except ProviderError as error:
        yield [Failed(error.kind, str(error), meter.stats())]
        return
    finally:
        response.close()
    if reader.silent:
        yield [_silent_stream_failure(provider, request, payload, meter)]
        return
    yield [reader.end()]


@functools.lru_cache(maxsize=16)
def _client(base_url: str, api_key: str, timeout: float) -> openai.OpenAI:
    """One SDK client per endpoint: building one costs about 27 ms (transport, TLS context),
    which was most of iterplay's time-to-first-token overhead on the embedded model."""
    return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout)


def _open_stream(provider: ProviderConfig, request: ExtractionRequest, payload: dict[str, Any]):
    client = _client(provider.base_url, provider.api_key or "no-key", provider.timeout)
    with provider_errors.opening(provider, request):
        streaming = client.chat.completions.with_streaming_response
        return streaming.create(**payload).__enter__()


def _silent_stream_failure(
    provider: ProviderConfig, request: ExtractionRequest, payload: dict[str, Any], meter: _Meter
) -> Failed:
    """A stream that ended without a single event: ask again, unstreamed, for the reason.

    Some servers (llama-cpp-python) report an error that happens once the stream has started,
    such as a prompt longer than the context window, only in their own log; the same request
    without streaming gets it back as an error status. One token is enough to find out.
    """
    unstreamed = {key: value for key, value in payload.items() if key != "stream_options"}
    unstreamed.update(stream=False, max_tokens=1)
    try:
        # A client of its own: the server may have left the pooled connection broken.
        with (
            openai.OpenAI(
                base_url=provider.base_url,
                api_key=provider.api_key or "no-key",
                max_retries=0,
                timeout=provider.timeout,
            ) as client,
            provider_errors.opening(provider, request),
        ):
            client.chat.completions.create(**unstreamed)
    except ProviderError as error:
        if error.kind is not FailureKind.BAD_RESPONSE:
            return Failed(error.kind, str(error), meter.stats())
    return Failed(
        FailureKind.BAD_RESPONSE,
        f"The provider at {provider.display_url} answered without any stream events; "
        "is this the /v1 base URL of an OpenAI-compatible server?",
        meter.stats(),
    )


class _StreamReader:
    """Turns the chunks of one stream into events; owns the splitter and the stream's end."""

    def __init__(
        self, request: ExtractionRequest, provider: ProviderConfig, meter: _Meter, partials: bool
    ) -> None:
        self.request = request
        self.quirks: ProviderQuirks = PROVIDERS[provider.quirks]
        self.redact = provider.redact
        self.bounds = limits()
        self.meter = meter
        self.text_events = StreamEvents(
            request.wrapper, self.bounds, partials=partials, tally=meter.tally
        )
        self.splitter = self.text_events.splitter
        self.channel = MODES[request.mode].channel
        self.finish_reason: str | None = None
        self.off_channel_characters = 0
        self.off_channel_start = ""  # what the model wrote instead, shown in the ending

    def take(self, chunk: dict[str, Any]) -> list[Event]:
        """The events one chunk produced: its Token, the elements it completed, a Partial."""
        batch: list[Event] = []
        if chunk.get("usage"):
            self.meter.usage = chunk["usage"]
        for choice in chunk.get("choices", [])[:1]:
            delta = choice.get("delta")
            text = _delta_text(delta, self.channel)
            if text:
                batch.extend(self.text_events.take(text, self.meter.now()))
            elif self.channel != "content" and isinstance(delta, dict):
                off_channel = _delta_text(delta, "content")
                self.off_channel_characters += len(off_channel)
                if len(self.off_channel_start) < OFF_CHANNEL_SHOWN:
                    self.off_channel_start += off_channel[:OFF_CHANNEL_SHOWN]
            if choice.get("finish_reason"):
                self.finish_reason = self.redact(choice["finish_reason"])
        return batch

    def limit_passed(self) -> str:
        """What the run passed (a phrase naming its limit and variable), or "" while within them.

        A run stops when one more element than the limit completes, or the stream outgrows its
        limit, so neither the server nor the browser holds more than the limits say.
        """
        bounds = self.bounds
        if self.splitter.completed > bounds.entities_per_run:
            return (
                f"more than {bounds.entities_per_run:,} elements, the limit per run "
                f"({Limits.variable('entities_per_run')})"
            )
        if self.meter.tally.characters > bounds.stream_chars:
            return (
                f"more than {bounds.stream_chars:,} characters, the limit per run "
                f"({Limits.variable('stream_chars')})"
            )
        return ""

    @property
    def silent(self) -> bool:
        """The stream ended with no text and no finish reason: nothing to go on."""
        return self.meter.tally.chunks == 0 and self.finish_reason is None

    def end(self) -> Finished:
        """The last event of a stream that ended by itself."""
        return self.finished(self.finish_reason, self._ending())

    def _ending(self) -> Ending:
        if self.finish_reason == "length" or self._ran_out_of_tokens():
            return Ending.TRUNCATED
        if self.finish_reason == "content_filter":
            return Ending.FILTERED
        if self.finish_reason is None:
            return Ending.CUT_OFF
        if self._json_closed():
            return Ending.COMPLETE
        if self.meter.tally.chunks == 0:
            return Ending.NO_TOOL_CALL if self.off_channel_characters else Ending.EMPTY
        splitter = self.splitter
        if not splitter.array_found and splitter.completed == 0 and splitter.phase is Phase.SEEKING:
            return Ending.NO_ARRAY
        return Ending.UNTERMINATED

    def _ran_out_of_tokens(self) -> bool:
        """A stream the provider says ended normally, but that used every token it was allowed.

        Some servers report ``tool_calls`` or ``stop`` when max tokens cut the answer short
        (llama-cpp-python in tools mode); the count of completion tokens tells the truth.
        """
        limit = self.request.max_tokens
        produced = self.meter.completion_tokens()
        if produced is None and self.quirks.one_token_per_chunk:
            produced = self.meter.tally.chunks
        if limit is None or produced is None or produced < limit:
            return False
        return not self._json_closed()

    def _off_channel_quoted(self) -> str:
        text = " ".join(self.redact(self.off_channel_start).split())
        cut = len(text) > OFF_CHANNEL_SHOWN or self.off_channel_characters > OFF_CHANNEL_SHOWN
        return f"“{text[:OFF_CHANNEL_SHOWN]}{'…' if cut else ''}”"

    def _json_closed(self) -> bool:
        splitter = self.splitter
        return splitter.array_closed or bool(splitter.completed and splitter.phase is Phase.SEEKING)

    def finished(self, finish_reason: str | None, ending: Ending, detail: str = "") -> Finished:
        where = self.splitter.where()
        tool = self.request.wrapper.name
        tally = self.meter.tally
        messages = {
            Ending.COMPLETE: complete_message(tally.entities, tally.invalid),
            Ending.TRUNCATED: f"The model hit the max-tokens limit {where}; raise max tokens to "
            "get the rest.",
            Ending.CUT_OFF: f"The stream was cut off {where} ({detail or _NO_FINISH}); "
            "everything shown arrived before the cut.",
            Ending.UNTERMINATED: f"The model stopped (finish_reason={finish_reason}) {where}, "
            "before the JSON was closed.",
            Ending.NO_ARRAY: f"The model answered with {tally.characters:,} characters of "
            "text but no JSON array or object to extract from; see the raw stream.",
            Ending.EMPTY: f"The model's answer was empty (finish_reason={finish_reason}).",
            Ending.NO_TOOL_CALL: "The model answered in plain text "
            f"({self.off_channel_characters:,} characters: {self._off_channel_quoted()}) "
            f"instead of calling the {tool} tool; "
            "try the json mode, or a model that supports tool calls.",
            Ending.LIMIT: f"The run was stopped {where}: the model sent {detail}; everything "
            "shown arrived before that.",
            Ending.FILTERED: f"The provider's content filter ended the answer {where} "
            "(finish_reason=content_filter); everything shown arrived before it.",
        }
        return Finished(
            finish_reason=finish_reason,
            complete=ending is Ending.COMPLETE and (finish_reason in _NORMAL_FINISH),
            ending=ending.value,
            message=messages[ending],
            stats=self.meter.stats(),
        )


def _delta_text(delta: Any, channel: str) -> str:
    """The JSON text a delta carries on ``channel``; a part not shaped as OpenAI's carries none.

    Lone surrogates (JSON's ``"\\ud800"``) become U+FFFD here, once, so the splitter, pydantic,
    the page and the CLI only ever see text that can be encoded.
    """
    if not isinstance(delta, dict):
        return ""
    if channel == "content":
        text = delta.get("content")
    else:
        calls = delta.get("tool_calls")
        call = calls[0] if isinstance(calls, list) and calls else None
        function = call.get("function") if isinstance(call, dict) else None
        text = function.get("arguments") if isinstance(function, dict) else None
    return valid_unicode(text) if isinstance(text, str) else ""
