"""The network boundary: the SDK's and the HTTP library's errors, translated into ours, once.

Everything that goes wrong between iterplay and a provider passes through here:

- before the stream starts (``opening``): a ``ProviderError`` with its ``FailureKind`` and one
  sentence that keeps the provider's own reason;
- after it started (``reading``): a broken or silent connection is a ``StreamCutError`` (the run
  ends cut off, keeping what arrived); an event that is not a chat-completions chunk, or an error
  event, is a ``ProviderError``.

``retry_decision`` says whether a refused request is worth another try (429, or 503 with
``Retry-After``) and how long to wait first: at most ``MAX_RETRIES`` times, never longer than
``MAX_RETRY_WAIT`` seconds; a provider asking for longer gets a sentence saying when to retry.
"""

from __future__ import annotations

import email.utils
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import openai

from iterplay.errors import FailureKind, ProviderError, StreamCutError
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest
from iterplay.sse import StreamEventError
from iterplay.wording import counted, sentence

MAX_RETRIES = 2
MAX_RETRY_WAIT = 10.0
DEFAULT_RETRY_WAIT = 1.0
_REASON_LIMIT = 300
_CONTEXT_ERROR = re.compile(r"context.?(length|window|size)|maximum context|too many tokens", re.I)
_DNS_FAILURE = re.compile(
    r"name or service not known|nodename nor servname|getaddrinfo failed|"
    r"temporary failure in name resolution|no address associated",
    re.I,
)


@contextmanager
def opening(provider: ProviderConfig, request: ExtractionRequest) -> Iterator[None]:
    """Around sending the request and reading the status: any error becomes a ProviderError."""
    try:
        yield
    except openai.APIStatusError as exc:
        raise _status_error(exc, provider, request) from None
    except openai.APITimeoutError as exc:
        raise _timeout_error(exc, provider) from None
    except openai.APIConnectionError as exc:
        raise _connection_error(exc, provider) from None
    except openai.APIError as exc:
        raise ProviderError(
            FailureKind.BAD_RESPONSE,
            provider.redact(f"The provider's answer was not OpenAI-compatible: {exc}"),
        ) from None


@contextmanager
def reading(provider: ProviderConfig) -> Iterator[None]:
    """Around reading the stream's body: StreamCutError for the transport, ProviderError else."""
    try:
        yield
    except StreamEventError as error:
        raise _stream_event_error(error, provider) from None
    except Exception as exc:  # the transport's own errors differ between SDK versions
        if not _is_transport_error(exc):
            raise
        if _is_timeout(exc):
            detail = f"the provider sent nothing for {provider.timeout:g} s, so the client gave up"
        else:
            detail = f"the connection closed: {type(exc).__name__}"
        raise StreamCutError(detail) from None


def retry_decision(error: ProviderError, retries_done: int) -> float | ProviderError:
    """Seconds to wait before trying again, or the error to end the run with."""
    if error.retry_after is None:
        return error
    if error.retry_after > MAX_RETRY_WAIT:
        when = time.strftime("%H:%M:%S", time.localtime(time.time() + error.retry_after))
        return ProviderError(
            error.kind,
            f"{sentence(str(error))} It asks to wait {error.retry_after:g} s, longer than "
            "iterplay waits "
            f"({MAX_RETRY_WAIT:g} s): try again after {when}.",
        )
    if retries_done >= MAX_RETRIES:
        retries = counted(MAX_RETRIES, "retry", "retries")
        return ProviderError(error.kind, f"{sentence(str(error))} Still refused after {retries}.")
    return error.retry_after


# -- before the stream: statuses, timeouts, connections ------------------------------------------


def _status_error(
    exc: openai.APIStatusError, provider: ProviderConfig, request: ExtractionRequest
) -> ProviderError:
    status = exc.status_code
    reason = _provider_reason(exc)
    where = provider.display_url
    retry_after = None
    if status in (401, 403):
        kind = FailureKind.AUTH
        lead = (
            f"The provider at {where} refused the API key"
            if status == 401
            else f"The provider at {where} refused access to model '{request.model}' with this key"
        )
    elif status == 404:
        kind, lead = FailureKind.NOT_FOUND, _not_found_lead(exc, reason, provider, request)
    elif status == 429:
        kind = FailureKind.RATE_LIMIT
        lead = f"The provider at {where} is rate limiting requests"
        asked = _retry_after(exc)
        retry_after = DEFAULT_RETRY_WAIT if asked is None else asked
    elif status >= 500:
        kind, lead = FailureKind.SERVER, f"The provider at {where} had a server error"
        retry_after = _retry_after(exc) if status == 503 else None
    elif _is_context_error(exc, reason):
        kind = FailureKind.CONTEXT_LENGTH
        lead = f"The text is too long for model '{request.model}' at {where}"
    else:
        kind = FailureKind.BAD_REQUEST
        lead = (
            f"The provider at {where} refused the request (mode '{request.mode}' may be "
            "unsupported there)"
        )
    return ProviderError(kind, provider.redact(f"{lead} ({status}): {reason}"), retry_after)


def _not_found_lead(
    exc: openai.APIStatusError, reason: str, provider: ProviderConfig, request: ExtractionRequest
) -> str:
    """A missing model, or a base URL that does not lead to the chat-completions endpoint."""
    code = _error_field(exc, "code")
    quoted = (f"'{request.model}'", f'"{request.model}"', f"`{request.model}`")
    if code == "model_not_found" or any(name in reason for name in quoted):
        return f"Model '{request.model}' was not found at {provider.display_url}"
    path = urlsplit(provider.base_url).path.rstrip("/")
    if not path.endswith("/v1"):
        suggestion = provider.display_url.rstrip("/") + "/v1"
        return (
            f"There is no chat-completions endpoint at {provider.display_url} (OpenAI-compatible "
            f"servers usually serve it under /v1: try {suggestion} as the base URL)"
        )
    return f"There is no chat-completions endpoint at {provider.display_url}; check the base URL"


def _timeout_error(exc: openai.APITimeoutError, provider: ProviderConfig) -> ProviderError:
    if any("ConnectTimeout" in type(link).__name__ for link in _chain(exc)):
        message = (
            f"Could not connect to {provider.display_url} within {provider.timeout:g} s; is the "
            "host up and the port right?"
        )
    else:
        message = (
            f"The provider at {provider.display_url} did not answer within {provider.timeout:g} s."
        )
    return ProviderError(FailureKind.TIMEOUT, message)


def _connection_error(exc: openai.APIConnectionError, provider: ProviderConfig) -> ProviderError:
    chain = _chain(exc)
    if any(isinstance(link, socket.gaierror) or _DNS_FAILURE.search(str(link)) for link in chain):
        host = urlsplit(provider.base_url).hostname or provider.display_url
        message = (
            f"The host name '{host}' in the base URL could not be found (DNS lookup failed); "
            "check the base URL."
        )
    elif any(isinstance(link, ConnectionRefusedError) for link in chain) or any(
        "refused" in str(link).lower() for link in chain
    ):
        message = (
            f"Could not connect to {provider.display_url} (connection refused); is the server "
            "running and the base URL right?"
        )
    else:
        message = (
            f"Could not connect to {provider.display_url}; is the server running and the base "
            "URL right?"
        )
    return ProviderError(FailureKind.CONNECTION, message)


def _stream_event_error(error: StreamEventError, provider: ProviderConfig) -> ProviderError:
    if error.kind == "server":
        return ProviderError(
            FailureKind.SERVER,
            provider.redact(
                f"The provider at {provider.display_url} reported an error during the stream: "
                f"{error.detail}"
            ),
        )
    return ProviderError(
        FailureKind.BAD_RESPONSE,
        f"The provider at {provider.display_url} sent {error.detail}; is this an "
        "OpenAI-compatible server?",
    )


# -- reading the provider's answer --------------------------------------------------------------


def _provider_reason(exc: openai.APIStatusError) -> str:
    """The provider's own words: the error body's message, else the SDK's summary, shortened."""
    message = _error_field(exc, "message") or _error_field(exc, "detail")
    text = str(message).strip() if message else str(getattr(exc, "message", "") or exc)
    text = " ".join(text.split())
    return text if len(text) <= _REASON_LIMIT else text[:_REASON_LIMIT] + "..."


def _error_field(exc: openai.APIStatusError, name: str) -> object:
    """``name`` from the error body, at the top or under ``error`` (OpenAI's shape)."""
    body = exc.body
    if not isinstance(body, dict):
        return None
    nested = body.get("error")
    if isinstance(nested, dict) and nested.get(name):
        return nested[name]
    return body.get(name)


def _is_context_error(exc: openai.APIStatusError, reason: str) -> bool:
    code = f"{_error_field(exc, 'code') or ''} {_error_field(exc, 'type') or ''}"
    return bool(_CONTEXT_ERROR.search(code) or _CONTEXT_ERROR.search(reason))


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    headers = exc.response.headers
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it was raised from or while handling, outermost first."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    return chain


def _is_timeout(exc: Exception) -> bool:
    return isinstance(exc, openai.APITimeoutError) or any(
        "Timeout" in cls.__name__ for cls in type(exc).__mro__
    )


def _is_transport_error(exc: Exception) -> bool:
    """True for the HTTP library's errors (httpx or httpx2, depending on the SDK version)."""
    if isinstance(exc, openai.APIConnectionError):
        return True
    return any(cls.__module__.split(".")[0].startswith("httpx") for cls in type(exc).__mro__)
