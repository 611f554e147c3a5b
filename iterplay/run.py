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
import pydantic_core
from pydantic import ValidationError

from iterplay.errors import ProviderError
from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Stats, Token
from iterplay.provider import ProviderConfig
from iterplay.request import MODES, ExtractionRequest, build_payload
from iterplay.sse import StreamEventError, iter_chunks
from iterplay.stream import ElementSplitter, Ending, Phase

_SMALL_ELEMENT = 4096
_NO_FINISH = "it ended with no finish reason"
_NORMAL_FINISH = {"stop", "tool_calls", "function_call", "eos"}


@dataclass
class _Meter:
    """Mutable counters for one run; frozen into ``Stats`` whenever an event needs them."""

    started: float = field(default_factory=time.perf_counter)
    first_token: float | None = None
    chunks: int = 0
    characters: int = 0
    entities: int = 0
    invalid: int = 0
    usage: dict[str, Any] | None = None

    def now(self) -> float:
        return time.perf_counter() - self.started

    def saw_text(self, text: str) -> float:
        t = self.now()
        if self.first_token is None:
            self.first_token = t
        self.chunks += 1
        self.characters += len(text)
        return t

    def stats(self) -> Stats:
        usage = self.usage or {}
        return Stats(
            time_to_first_token=self.first_token,
            total_time=self.now(),
            chunks=self.chunks,
            characters=self.characters,
            entities=self.entities,
            invalid_entities=self.invalid,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
        )


class _PartialThrottle:
    """Decides when re-parsing the element in progress is worth it.

    Small elements are re-parsed on every chunk so a card fills in live; a large one only when
    its text has doubled since the last parse, which keeps the total work linear. A parse that
    reads the same as the last one (the chunk ended inside a key, say) is not worth an event.
    """

    def __init__(self) -> None:
        self.index = -1
        self.parsed_length = 0
        self.last_data: Any = None

    def due(self, index: int, length: int) -> bool:
        if index != self.index:
            self.index, self.parsed_length, self.last_data = index, 0, None
        if length <= self.parsed_length:
            return False
        if length <= _SMALL_ELEMENT or length >= 2 * self.parsed_length:
            self.parsed_length = length
            return True
        return False


def run_extraction(
    provider: ProviderConfig,
    request: ExtractionRequest,
    *,
    partials: bool = False,
    on_open: Callable[[Any], None] | None = None,
) -> Iterator[Event]:
    """Stream one extraction, yielding events as they happen; the last is Finished or Failed.

    ``on_open`` receives the HTTP response once the provider has answered, so a caller on
    another thread can abort it (see ``iterplay.background_run``).
    """
    for batch in run_extraction_batches(provider, request, partials=partials, on_open=on_open):
        yield from batch


def run_extraction_batches(
    provider: ProviderConfig,
    request: ExtractionRequest,
    *,
    partials: bool = False,
    on_open: Callable[[Any], None] | None = None,
) -> Iterator[list[Event]]:
    """The events of ``run_extraction``, grouped by the chunk that produced them.

    A chunk's Token, the entities it completed and its Partial come as one list, so a consumer
    on another thread can draw them together: the card first, not after the raw text.
    """
    meter = _Meter()
    try:
        response = _open_stream(provider, request)
    except ProviderError as error:
        yield [Failed(error.kind, str(error), meter.stats())]
        return
    if on_open is not None:
        on_open(response.http_response)
    splitter = ElementSplitter()
    throttle = _PartialThrottle()
    channel = MODES[request.mode].channel
    finish_reason: str | None = None
    try:
        for chunk in iter_chunks(response.iter_lines()):
            if chunk.get("usage"):
                meter.usage = chunk["usage"]
            for choice in chunk.get("choices", [])[:1]:
                text = _delta_text(choice.get("delta"), channel)
                if text:
                    batch: list[Event] = [Token(text, meter.saw_text(text))]
                    batch.extend(_elements(splitter, text, request, meter))
                    if partials:
                        batch.extend(_partial(splitter, throttle))
                    yield batch
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
    except StreamEventError as error:
        yield [Failed(error.kind, _stream_event_message(error, provider), meter.stats())]
        return
    except Exception as exc:  # the transport's own errors differ between SDK versions
        if _is_transport_error(exc):
            detail = (
                f"the provider sent nothing for {provider.timeout:g} s, so the client gave up"
                if _is_timeout(exc)
                else f"the connection closed: {type(exc).__name__}"
            )
            yield [_finished(None, Ending.CUT_OFF, splitter, meter, detail=detail)]
            return
        raise
    finally:
        response.close()
    if meter.chunks == 0 and finish_reason is None:
        yield [
            Failed(
                "bad_response",
                f"The provider at {provider.display_url} answered without any stream events; "
                "is this the /v1 base URL of an OpenAI-compatible server?",
                meter.stats(),
            )
        ]
        return
    yield [_finished(finish_reason, _ending(finish_reason, splitter), splitter, meter)]


@functools.lru_cache(maxsize=16)
def _client(base_url: str, api_key: str, timeout: float) -> openai.OpenAI:
    """One SDK client per endpoint: building one costs about 27 ms (transport, TLS context),
    which was most of iterplay's time-to-first-token overhead on the embedded model."""
    return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout)


def _open_stream(provider: ProviderConfig, request: ExtractionRequest):
    client = _client(provider.base_url, provider.api_key or "no-key", provider.timeout)
    try:
        streaming = client.chat.completions.with_streaming_response
        return streaming.create(**build_payload(request, provider.quirks)).__enter__()
    except openai.APIStatusError as exc:
        raise ProviderError(*_describe_status(exc, provider, request)) from None
    except openai.APITimeoutError:
        raise ProviderError(
            "timeout",
            f"The provider at {provider.display_url} did not answer within {provider.timeout:g} s.",
        ) from None
    except openai.APIConnectionError:
        raise ProviderError(
            "connection",
            f"Could not connect to {provider.display_url}; is the server running and the base "
            "URL right?",
        ) from None
    except openai.APIError as exc:
        raise ProviderError(
            "bad_response",
            provider.redact(f"The provider's answer was not OpenAI-compatible: {exc}"),
        ) from None


def _stream_event_message(error: StreamEventError, provider: ProviderConfig) -> str:
    if error.kind == "server":
        return provider.redact(
            f"The provider at {provider.display_url} reported an error during the stream: "
            f"{error.detail}"
        )
    return (
        f"The provider at {provider.display_url} sent {error.detail}; is this an "
        "OpenAI-compatible server?"
    )


def _delta_text(delta: dict[str, Any] | None, channel: str) -> str:
    if not delta:
        return ""
    if channel == "content":
        return delta.get("content") or ""
    calls = delta.get("tool_calls") or ()
    return "".join((call.get("function") or {}).get("arguments") or "" for call in calls[:1])


def _elements(
    splitter: ElementSplitter, text: str, request: ExtractionRequest, meter: _Meter
) -> Iterator[Event]:
    first_index = splitter.completed
    for offset, raw in enumerate(splitter.feed(text)):
        index = first_index + offset
        try:
            value = request.wrapper.element_adapter.validate_json(raw)
        except ValidationError as exc:
            meter.invalid += 1
            yield Invalid(index, raw, _plain_errors(exc), meter.now())
        else:
            meter.entities += 1
            yield Entity(index, value, raw, meter.now())


def _partial(splitter: ElementSplitter, throttle: _PartialThrottle) -> Iterator[Partial]:
    length = splitter.partial_length
    if length is None or not throttle.due(splitter.completed, length):
        return
    text = splitter.partial_text or ""
    try:
        data = pydantic_core.from_json(text, allow_partial="trailing-strings")
    except ValueError:
        return
    if data == throttle.last_data:
        return
    throttle.last_data = data
    yield Partial(splitter.completed, data)


def _plain_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _ending(finish_reason: str | None, splitter: ElementSplitter) -> Ending:
    if finish_reason == "length":
        return Ending.TRUNCATED
    if finish_reason is None:
        return Ending.CUT_OFF
    if splitter.array_closed or (splitter.completed and splitter.phase is Phase.SEEKING):
        return Ending.COMPLETE
    if not splitter.array_found and splitter.completed == 0 and splitter.phase is Phase.SEEKING:
        return Ending.NO_ARRAY
    return Ending.UNTERMINATED


def _finished(
    finish_reason: str | None,
    ending: Ending,
    splitter: ElementSplitter,
    meter: _Meter,
    detail: str = "",
) -> Finished:
    where = splitter.where()
    messages = {
        Ending.COMPLETE: "The stream completed.",
        Ending.TRUNCATED: f"The model hit the max-tokens limit {where}; raise max tokens to get "
        "the rest.",
        Ending.CUT_OFF: f"The stream was cut off {where} ({detail or _NO_FINISH}); "
        "everything shown arrived before the cut.",
        Ending.UNTERMINATED: f"The model stopped (finish_reason={finish_reason}) {where}, "
        "before the JSON was closed.",
        Ending.NO_ARRAY: "The model's answer held no JSON array or object to extract from.",
    }
    return Finished(
        finish_reason=finish_reason,
        complete=ending is Ending.COMPLETE and (finish_reason in _NORMAL_FINISH),
        ending=ending.value,
        message=messages[ending],
        stats=meter.stats(),
    )


def _is_timeout(exc: Exception) -> bool:
    return isinstance(exc, openai.APITimeoutError) or any(
        "Timeout" in cls.__name__ for cls in type(exc).__mro__
    )


def _is_transport_error(exc: Exception) -> bool:
    """True for the HTTP library's errors (httpx or httpx2, depending on the SDK version)."""
    if isinstance(exc, openai.APIConnectionError):
        return True
    return any(cls.__module__.split(".")[0].startswith("httpx") for cls in type(exc).__mro__)


_STATUS_KINDS = {401: "auth", 403: "auth", 404: "not_found", 429: "rate_limit"}


def _describe_status(
    exc: openai.APIStatusError, provider: ProviderConfig, request: ExtractionRequest
) -> tuple[str, str]:
    """A kind and one plain sentence for an error status, with the provider's own reason."""
    status = exc.status_code
    kind = _STATUS_KINDS.get(status) or ("server" if status >= 500 else "bad_request")
    reason = _provider_reason(exc)
    lead = {
        "auth": f"The provider at {provider.display_url} refused the API key",
        "not_found": f"Model '{request.model}' was not found at {provider.display_url}",
        "rate_limit": f"The provider at {provider.display_url} is rate limiting requests",
        "server": f"The provider at {provider.display_url} had a server error",
        "bad_request": f"The provider at {provider.display_url} refused the request "
        f"(mode '{request.mode}' may be unsupported there)",
    }[kind]
    return kind, provider.redact(f"{lead} ({status}): {reason}")


def _provider_reason(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if message:
            return str(message).strip()
    text = str(getattr(exc, "message", "") or exc)
    return text if len(text) <= 300 else text[:300] + "..."
