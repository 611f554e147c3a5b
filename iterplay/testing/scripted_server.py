"""A real OpenAI-compatible chat-completions server that answers with scripted replies.

Tests and benchmarks point the real openai SDK (and iterplay) at it, so what they exercise is the
actual wire format: server-sent events over chunked HTTP/1.1, pauses between chunks, connections
cut mid-stream, OpenAI error bodies, slow headers. The request's ``model`` picks the reply, so one
server serves many scenarios at once.

Run it in another process (for browser tests) with::

    python -m iterplay.testing.scripted_server --port 0 --scenarios FILE.json [--sent-log FILE]

where FILE.json maps model name -> ``Reply.to_dict()`` (or a list of them, answered in turn).
It prints ``READY <base url>`` once it listens and stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

COMPLETION_ID = "chatcmpl-scripted"
TOOL_CALL_ID = "call_scripted"
DEFAULT_TOOL_NAME = "tool"
CHANNELS = ("content", "tool_call")

SentCallback = Callable[[str, int, float], None]


@dataclass(frozen=True)
class Piece:
    """One chunk the scripted model writes, after an optional pause.

    ``raw`` pieces are written to the body exactly as given (one HTTP chunk) instead of as an SSE
    event carrying ``text``: a malformed event, an error event, a comment. A piece ``after`` a
    gate waits until the test opens that gate (``ScriptedServer.open_gate``), so a test can hold
    a stream for exactly as long as it needs to.
    """

    text: str
    pause: float = 0.0
    raw: bool = False
    after: str | None = None


@dataclass(frozen=True)
class Reply:
    """Everything the server does for one model name: the stream, or the failure to simulate."""

    pieces: tuple[Piece, ...] = ()
    channel: str = "content"
    finish_reason: str | None = "stop"
    drop_after: int | None = None
    status: int = 200
    error: dict[str, Any] | None = None
    raw_body: bytes | None = None
    usage: dict[str, int] | None = None
    headers_delay: float = 0.0
    headers: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, not {self.channel!r}")
        object.__setattr__(self, "pieces", tuple(self.pieces))

    @property
    def text(self) -> str:
        """The whole text the pieces spell, as a non-streaming answer carries it."""
        return "".join(piece.text for piece in self.pieces if not piece.raw)

    @classmethod
    def from_text(cls, text: str, chunk_size: int = 7, pause: float = 0.0, **kwargs: Any) -> Reply:
        """Cut ``text`` into pieces of ``chunk_size`` characters, each after ``pause`` seconds."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        pieces = [text[start : start + chunk_size] for start in range(0, len(text), chunk_size)]
        return cls.from_pieces(pieces, pause=pause, **kwargs)

    @classmethod
    def from_pieces(cls, pieces: Sequence[str], pause: float = 0.0, **kwargs: Any) -> Reply:
        """One piece per string, each after the same ``pause``."""
        return cls(pieces=tuple(Piece(text, pause) for text in pieces), **kwargs)

    @classmethod
    def held_after_first_element(cls, text: str, gate: str, **kwargs: Any) -> Reply:
        """``text`` up to its first element's closing brace at once, the rest only once the
        test opens ``gate`` (if ever): a run held mid-stream with one element out."""
        first_end = text.index("}") + 1
        return cls(pieces=(Piece(text[:first_end]), Piece(text[first_end:], after=gate)), **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``raw_body`` bytes survive as text via surrogate escapes."""
        data = asdict(self)
        data["pieces"] = [asdict(piece) for piece in self.pieces]
        if self.raw_body is not None:
            data["raw_body"] = self.raw_body.decode("utf-8", "surrogateescape")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Inverse of ``to_dict``; in hand-written files a piece may be a bare string."""
        fields = dict(data)
        fields["pieces"] = tuple(_piece_from_json(piece) for piece in fields.get("pieces", ()))
        if fields.get("raw_body") is not None:
            fields["raw_body"] = fields["raw_body"].encode("utf-8", "surrogateescape")
        return cls(**fields)


def _piece_from_json(piece: str | dict[str, Any]) -> Piece:
    return Piece(piece) if isinstance(piece, str) else Piece(**piece)


class ScriptedServer:
    """A threaded HTTP server on ``host:port`` (0 = any free port) that plays scripted replies.

    ``requests`` holds every JSON request body received, in order; ``authorizations`` the
    ``Authorization`` header of every request (None when it had none), so a test can check
    which key reached which server; ``sent`` holds
    ``(model, piece_index, time.monotonic())`` taken right after each streamed piece was written,
    so a benchmark can measure latency even from another process. ``on_sent`` is called with
    the same triple (the command-line mode uses it to write the sent log).

    A model scripted with several replies answers its first request with the first, the next
    with the second, and every later one with the last (a 429, then the stream, say).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        *,
        on_sent: SentCallback | None = None,
    ):
        self.host = host
        self.port = port
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        self.sent: list[tuple[str, int, float]] = []
        self._on_sent = on_sent
        self._replies: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._gates: dict[str, threading.Event] = {}
        self._busy = threading.Condition()
        self._handling = 0
        self._httpd: _ScriptedHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL for the openai SDK, e.g. ``http://127.0.0.1:41234/v1``."""
        if self._url is None:
            raise RuntimeError("the scripted server has not been started")
        return self._url

    def script(self, model: str, reply: Reply, *later: Reply) -> None:
        """Answer requests for ``model`` with ``reply`` from now on (then ``later``, in order)."""
        with self._lock:
            self._replies[model] = [reply, *later]

    def reply_for(self, model: object) -> Reply | None:
        """The reply for the next request naming ``model``; None for unknown models."""
        with self._lock:
            replies = self._replies.get(model) if isinstance(model, str) else None
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def open_gate(self, name: str) -> None:
        """Let every piece waiting ``after`` this gate go (and any that reaches it later)."""
        self._gate(name).set()

    def _gate(self, name: str) -> threading.Event:
        with self._lock:
            return self._gates.setdefault(name, threading.Event())

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait until no request is being answered; False if one still is after ``timeout``."""
        with self._busy:
            return self._busy.wait_for(lambda: self._handling == 0, timeout)

    def _handler_started(self) -> None:
        with self._busy:
            self._handling += 1

    def _handler_ended(self) -> None:
        with self._busy:
            self._handling -= 1
            self._busy.notify_all()

    def models(self) -> list[str]:
        """Scripted model names, in the order they were first scripted."""
        with self._lock:
            return list(self._replies)

    def start(self) -> ScriptedServer:
        """Bind and serve in a background thread; returns self: ``ScriptedServer().start()``."""
        if self._httpd is not None:
            raise RuntimeError("the scripted server is already running")
        self._stopping.clear()
        self._httpd = _ScriptedHTTPServer((self.host, self.port), self)
        host, port = self._httpd.server_address[:2]
        self._url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="scripted-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, wake every paused stream (they end abruptly) and close the socket."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; False when the server is stopping, so the caller gives up at once."""
        return not self._stopping.wait(seconds)

    def _wait_for_gate(self, name: str) -> bool:
        """Wait until gate ``name`` opens; False when the server is stopping first."""
        gate = self._gate(name)
        while not gate.wait(0.05):
            if self._stopping.is_set():
                return False
        return True

    def _record_request(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)

    def _record_authorization(self, header: str | None) -> None:
        with self._lock:
            self.authorizations.append(header)

    def _record_sent(self, model: str, index: int) -> None:
        sent_at = time.monotonic()
        with self._lock:
            self.sent.append((model, index, sent_at))
        if self._on_sent is not None:
            self._on_sent(model, index, sent_at)


class _ScriptedHTTPServer(ThreadingHTTPServer):
    """Carries the ``ScriptedServer`` to handlers and keeps client disconnects off stderr."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], scripted: ScriptedServer):
        self.scripted = scripted
        super().__init__(address, _ChatCompletionsHandler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        self.scripted._handler_started()
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.scripted._handler_ended()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exception(), ConnectionError):
            return
        super().handle_error(request, client_address)


def _error_body(message: str, type_: str, code: str | None = None, param: str | None = None):
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _status_error_body(status: int, error: dict[str, Any] | None) -> dict[str, Any]:
    """OpenAI's error shape for ``status``, with whatever fields the script gave on top."""
    type_ = "server_error" if status >= 500 else "invalid_request_error"
    default = _error_body(HTTPStatus(status).phrase, type_)["error"]
    return {"error": {**default, **(error or {})}}


INVALID_API_KEY = _error_body(
    "Incorrect API key provided. You can find your API key at "
    "https://platform.openai.com/account/api-keys.",
    "invalid_request_error",
    code="invalid_api_key",
)


def _model_not_found(model: object) -> dict[str, Any]:
    return _error_body(
        f"The model '{model}' does not exist",
        "invalid_request_error",
        code="model_not_found",
        param="model",
    )


def _tool_name(request: dict[str, Any]) -> str:
    """The function the request forces, else its first tool, as OpenAI names the call."""
    choice = request.get("tool_choice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return choice["function"].get("name") or DEFAULT_TOOL_NAME
    tools = request.get("tools")
    if isinstance(tools, list) and tools and isinstance(tools[0], dict):
        return (tools[0].get("function") or {}).get("name") or DEFAULT_TOOL_NAME
    return DEFAULT_TOOL_NAME


def _default_usage(reply: Reply) -> dict[str, int]:
    """Counted as one token per piece: there is no tokenizer here, and no prompt cost."""
    tokens = len(reply.pieces)
    return {"prompt_tokens": 0, "completion_tokens": tokens, "total_tokens": tokens}


def _first_delta(reply: Reply, tool_name: str) -> dict[str, Any]:
    if reply.channel == "content":
        return {"role": "assistant", "content": "", "refusal": None}
    call = {
        "index": 0,
        "id": TOOL_CALL_ID,
        "type": "function",
        "function": {"name": tool_name, "arguments": ""},
    }
    return {"role": "assistant", "content": None, "tool_calls": [call], "refusal": None}


def _piece_delta(channel: str, text: str) -> dict[str, Any]:
    if channel == "content":
        return {"content": text}
    return {"tool_calls": [{"index": 0, "function": {"arguments": text}}]}


def _completion(model: str, reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
    """The non-streaming ``chat.completion`` holding the whole scripted text."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
    if reply.channel == "tool_call":
        function = {"name": _tool_name(request), "arguments": reply.text}
        call = {"id": TOOL_CALL_ID, "type": "function", "function": function}
        message = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}
    finish_reason = reply.finish_reason
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
    return {
        "id": COMPLETION_ID,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [choice],
        "usage": reply.usage or _default_usage(reply),
    }


@dataclass(frozen=True)
class _ChunkMaker:
    """Builds ``chat.completion.chunk`` objects; with include_usage every chunk has a usage key."""

    model: str
    include_usage: bool
    created: int

    def _base(self) -> dict[str, Any]:
        chunk = {
            "id": COMPLETION_ID,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [],
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def choice(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**self._base(), "choices": [choice]}

    def usage(self, usage: dict[str, int]) -> dict[str, Any]:
        return {**self._base(), "usage": usage}


def _dumps(data: Any) -> str:
    """Compact JSON; a lone surrogate in a script is sent as JSON's ``\\udXXX`` escape."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, separators=(",", ":"))
    return text


class _ChatCompletionsHandler(BaseHTTPRequestHandler):
    """Answers ``POST /v1/chat/completions`` and ``GET /v1/models`` as OpenAI does."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _ScriptedHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and benchmarks read their own output, not an access log."""

    @property
    def scripted(self) -> ScriptedServer:
        return self.server.scripted

    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self._route() != "/v1/models":
            self._send_json(404, _error_body(f"Unknown path {self.path}", "invalid_request_error"))
            return
        models = [
            {"id": model, "object": "model", "created": 0, "owned_by": "iterplay-scripted"}
            for model in self.scripted.models()
        ]
        self._send_json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        request = self._read_json()
        if request is None or not self._authorized():
            return
        if self._route() != "/v1/chat/completions":
            self._send_json(404, _error_body(f"Unknown path {self.path}", "invalid_request_error"))
            return
        model = request.get("model")
        reply = self.scripted.reply_for(model)
        if reply is None:
            self._send_json(404, _model_not_found(model))
            return
        self._answer(model, reply, request)

    def _route(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def _read_json(self) -> dict[str, Any] | None:
        """Read the whole body (keep-alive needs it consumed); 400 unless it is a JSON object."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            request = json.loads(raw)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            message = "We could not parse the JSON body of your request."
            self._send_json(400, _error_body(message, "invalid_request_error"))
            return None
        self.scripted._record_request(request)
        return request

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization")
        self.scripted._record_authorization(header)
        key = self.scripted.api_key
        if key is None or header == f"Bearer {key}":
            return True
        self._send_json(401, INVALID_API_KEY)
        return False

    def _answer(self, model: str, reply: Reply, request: dict[str, Any]) -> None:
        if not self.scripted._wait(reply.headers_delay):
            self._drop_connection()
        elif reply.raw_body is not None:
            self._send_body(reply.status, reply.raw_body, "text/html; charset=utf-8", reply.headers)
        elif reply.status >= 400:
            body = _status_error_body(reply.status, reply.error)
            self._send_json(reply.status, body, reply.headers)
        elif request.get("stream"):
            self._stream(model, reply, request)
        else:
            self._send_whole_completion(model, reply, request)

    def _send_whole_completion(self, model: str, reply: Reply, request: dict[str, Any]) -> None:
        """All pauses up front, then one body; ``drop_after`` closes without any response."""
        stopped = not self.scripted._wait(sum(piece.pause for piece in reply.pieces))
        if stopped or reply.drop_after is not None:
            self._drop_connection()
        else:
            self._send_json(200, _completion(model, reply, request))

    def _stream(self, model: str, reply: Reply, request: dict[str, Any]) -> None:
        stream_options = request.get("stream_options") or {}
        include_usage = bool(stream_options.get("include_usage"))
        chunks = _ChunkMaker(model, include_usage, int(time.time()))
        self._start_event_stream(reply.headers)
        self._send_event(_dumps(chunks.choice(_first_delta(reply, _tool_name(request)))))
        for index, piece in enumerate(reply.pieces[: reply.drop_after]):
            held = piece.after is not None and not self.scripted._wait_for_gate(piece.after)
            if held or not self.scripted._wait(piece.pause):
                self._drop_connection()
                return
            if piece.raw:
                self._send_chunk(piece.text.encode())
            else:
                self._send_event(_dumps(chunks.choice(_piece_delta(reply.channel, piece.text))))
            self.scripted._record_sent(model, index)
        if reply.drop_after is not None:
            self._drop_connection()
            return
        if reply.finish_reason is not None:
            self._send_event(_dumps(chunks.choice({}, reply.finish_reason)))
        if include_usage:
            self._send_event(_dumps(chunks.usage(reply.usage or _default_usage(reply))))
        self._send_event("[DONE]")
        self.wfile.write(b"0\r\n\r\n")

    def _start_event_stream(self, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _send_event(self, data: str) -> None:
        """One SSE event as one HTTP chunk."""
        self._send_chunk(f"data: {data}\n\n".encode())

    def _send_chunk(self, data: bytes) -> None:
        """One HTTP chunk, in one unbuffered write (wfile is unbuffered)."""
        self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))

    def _send_json(
        self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send_body(status, _dumps(data).encode(), "application/json", headers)

    def _send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop_connection(self) -> None:
        """Cut the connection as a crashed upstream would: the client sees an incomplete body."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _load_scenarios(path: Path) -> dict[str, list[Reply]]:
    """model -> a reply dict, or a list of them (answered in turn, the last one repeating)."""
    scenarios = json.loads(path.read_text(encoding="utf-8"))
    return {
        model: [
            Reply.from_dict(reply)
            for reply in (replies if isinstance(replies, list) else [replies])
        ]
        for model, replies in scenarios.items()
    }


@contextmanager
def _sent_log(path: Path | None) -> Iterator[SentCallback | None]:
    """A callback appending ``model<TAB>piece_index<TAB>monotonic`` lines, flushed one by one."""
    if path is None:
        yield None
        return
    lock = threading.Lock()
    with path.open("a", encoding="utf-8") as log:

        def write(model: str, index: int, sent_at: float) -> None:
            with lock:
                log.write(f"{model}\t{index}\t{sent_at!r}\n")
                log.flush()

        yield write


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m iterplay.testing.scripted_server",
        description="Serve scripted OpenAI-compatible streaming replies.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--scenarios", type=Path, required=True, help="JSON: model -> reply")
    parser.add_argument("--sent-log", type=Path, help="append model, piece index, monotonic time")
    parser.add_argument("--api-key", help="require this bearer key")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; print ``READY <url>`` once listening."""
    args = _parse_args(argv)
    scenarios = _load_scenarios(args.scenarios)
    stop_requested = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop_requested.set())
    with _sent_log(args.sent_log) as on_sent:
        server = ScriptedServer(args.host, args.port, args.api_key, on_sent=on_sent)
        for model, replies in scenarios.items():
            server.script(model, *replies)
        with server:
            print(f"READY {server.url}", flush=True)
            stop_requested.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
