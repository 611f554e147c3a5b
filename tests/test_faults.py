"""Provider faults, each played through the three ways in: the core, the CLI and the page.

Every fault a provider can throw at a run is specified once, in ``FAULTS``, with what the user
must get: the ``Failed`` kind or the incomplete ``Finished`` ending, a phrase of its one-sentence
message, and the entities that arrived before the fault (kept, never dropped). Each fault is then
played through ``run_extraction``, the real ``iterplay extract`` subprocess (its last JSON line
and exit status), and the playground page under AppTest (its run log and the message it shows).
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import BaseModel
from streamlit.testing.v1 import AppTest

from iterplay.errors import FailureKind
from iterplay.events import Entity, Event, Failed, Finished, Retrying
from iterplay.provider import ProviderConfig
from iterplay.provider_errors import MAX_RETRIES
from iterplay.request import ExtractionRequest
from iterplay.run import run_extraction
from iterplay.stream import Ending
from iterplay.testing import Piece, Reply, ScriptedServer
from iterplay.wrapper import build_wrapper
from tests.apptest_page import as_shown
from tests.spans import assert_spans_locate_elements
from tests.test_cli import ITERPLAY, USER_PY, clean_env

API_KEY = "sk-fault-matrix-0123456789"
PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")
JASON = '{"name": "Jason", "age": 10}'
TIMEOUT = 1.0
STALL = 60.0  # longer than any test: a stalled stream is only ever ended by the client
UNREACHABLE_HOST = "iterplay-fault.invalid"  # RFC 6761: never resolves


class User(BaseModel):
    name: str
    age: int


def first_element_then(*pieces: Piece, channel: str = "tool_call", **reply: object) -> Reply:
    """A stream whose first element arrives whole before ``pieces``."""
    return Reply(pieces=(Piece('{"tasks": [' + JASON + ", "), *pieces), channel=channel, **reply)


def error_event(message: str) -> Piece:
    return Piece(f"data: {json.dumps({'error': {'message': message}})}\n\n", raw=True)


@dataclass(frozen=True)
class Fault:
    """One provider fault and what the user must get from it."""

    name: str
    outcome: FailureKind | Ending
    says: str
    replies: tuple[Reply, ...] = ()
    endpoint: str = "scripted"
    kept: tuple[str, ...] = ()
    mode: str = "tools"
    timeout: float = 30.0
    model: str = field(default="")

    @property
    def model_name(self) -> str:
        return self.model or self.name


CONTEXT_REASON = (
    "This model's maximum context length is 4096 tokens. However, you requested 4408 tokens "
    "(4407 in the messages, 1 in the completion)."
)

FAULTS = [
    Fault("connection refused", FailureKind.CONNECTION, "connection refused", endpoint="refused"),
    Fault("DNS failure", FailureKind.CONNECTION, "could not be found (DNS", endpoint="dns"),
    Fault(
        "connect timeout",
        FailureKind.TIMEOUT,
        f"Could not connect to {{url}} within {TIMEOUT:g} s",
        endpoint="unresponsive",
        timeout=TIMEOUT,
    ),
    Fault(
        "read timeout before the answer",
        FailureKind.TIMEOUT,
        f"did not answer within {TIMEOUT:g} s",
        (Reply(headers_delay=STALL),),
        timeout=TIMEOUT,
    ),
    Fault(
        "read timeout mid-stream",
        Ending.CUT_OFF,
        f"the provider sent nothing for {TIMEOUT:g} s",
        (first_element_then(Piece("]}", pause=STALL)),),
        kept=("Jason",),
        timeout=TIMEOUT,
    ),
    Fault(
        "401",
        FailureKind.AUTH,
        "refused the API key (401): Incorrect API key provided.",
        (Reply(status=401, error={"message": "Incorrect API key provided."}),),
    ),
    Fault(
        "403",
        FailureKind.AUTH,
        "refused access to model '403' with this key (403): Project lacks access.",
        (Reply(status=403, error={"message": "Project lacks access."}),),
    ),
    Fault("unknown model", FailureKind.NOT_FOUND, "Model 'unknown model' was not found"),
    Fault(
        "base URL without /v1",
        FailureKind.NOT_FOUND,
        "try {url}/v1 as the base URL",
        (Reply.from_text(JASON),),
        endpoint="without /v1",
    ),
    Fault(
        "429 after every retry",
        FailureKind.RATE_LIMIT,
        f"Still refused after {MAX_RETRIES} retries.",
        (Reply(status=429, error={"message": "Slow down."}, headers={"retry-after-ms": "20"}),),
    ),
    Fault(
        "429 without a full stop",
        FailureKind.RATE_LIMIT,
        f"Too Many Requests. Still refused after {MAX_RETRIES} retries.",
        (
            Reply(
                status=429, error={"message": "Too Many Requests"}, headers={"retry-after-ms": "20"}
            ),
        ),
    ),
    Fault(
        "429 asking to wait an hour",
        FailureKind.RATE_LIMIT,
        "It asks to wait 3600 s, longer than iterplay waits (10 s): try again after ",
        (Reply(status=429, error={"message": "Quota."}, headers={"Retry-After": "3600"}),),
    ),
    Fault(
        "500",
        FailureKind.SERVER,
        "had a server error (500): Boom.",
        (Reply(status=500, error={"message": "Boom."}),),
    ),
    Fault(
        "503",
        FailureKind.SERVER,
        "had a server error (503): Overloaded.",
        (Reply(status=503, error={"message": "Overloaded."}),),
    ),
    Fault(
        "context window exceeded",
        FailureKind.CONTEXT_LENGTH,
        f"The text is too long for model 'context window exceeded' at {{url}} (400): "
        f"{CONTEXT_REASON}",
        (Reply(status=400, error={"message": CONTEXT_REASON, "code": "context_length_exceeded"}),),
    ),
    Fault(
        "stream without events, error when asked again",
        FailureKind.CONTEXT_LENGTH,
        CONTEXT_REASON,
        (
            Reply(finish_reason=None),
            Reply(status=400, error={"message": CONTEXT_REASON, "code": "context_length_exceeded"}),
        ),
    ),
    Fault(
        "stream dropped mid-element",
        Ending.CUT_OFF,
        "was cut off inside element 1 (the connection closed",
        (first_element_then(Piece('{"name": "Jo'), Piece('hn", "age": 30}]}'), drop_after=2),),
        kept=("Jason",),
    ),
    Fault(
        "malformed SSE",
        FailureKind.BAD_RESPONSE,
        "sent a stream event that is not JSON; is this an OpenAI-compatible server?",
        (first_element_then(Piece("data: <html>oops</html>\n\n", raw=True)),),
        kept=("Jason",),
    ),
    Fault(
        "error event mid-stream",
        FailureKind.SERVER,
        "reported an error during the stream: Overloaded.",
        (first_element_then(error_event("Overloaded.")),),
        kept=("Jason",),
    ),
    Fault(
        "empty answer",
        Ending.EMPTY,
        "The model's answer was empty (finish_reason=stop).",
        (Reply(channel="tool_call"),),
    ),
    Fault(
        "prose instead of JSON",
        Ending.NO_ARRAY,
        "characters of text but no JSON array or object",
        (Reply.from_text("I could not find any people in this text."),),
        mode="json",
    ),
    Fault(
        "no tool call",
        Ending.NO_TOOL_CALL,
        "(27 characters: “Jason is a person aged ten.”) instead of calling the IterableUser tool",
        (Reply.from_text("Jason is a person aged ten."),),
    ),
]


@dataclass(frozen=True)
class Outcome:
    """What a user got: the kind or ending, the sentence, the entities kept (names)."""

    outcome: str
    message: str
    kept: tuple[str, ...]


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture(scope="module")
def endpoints(server: ScriptedServer) -> Iterator[dict[str, str]]:
    """Base URLs of every kind of endpoint a fault needs, by name."""
    with socket.socket() as refusing, socket.socket() as full:
        refusing.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        fillers = [_connect_without_waiting(full.getsockname()[1]) for _ in range(4)]
        try:
            yield {
                "scripted": server.url,
                "refused": f"http://127.0.0.1:{refusing.getsockname()[1]}/v1",
                "dns": f"http://{UNREACHABLE_HOST}/v1",
                "unresponsive": f"http://127.0.0.1:{full.getsockname()[1]}/v1",
                "without /v1": server.url.removesuffix("/v1"),
            }
        finally:
            for filler in fillers:
                filler.close()


def _connect_without_waiting(port: int) -> socket.socket:
    """A connection that fills the listener's accept queue, which never accepts it: later
    connections get no answer to their SYN, so they time out connecting."""
    filler = socket.socket()
    filler.setblocking(False)
    filler.connect_ex(("127.0.0.1", port))
    return filler


@pytest.fixture(params=FAULTS, ids=[fault.name for fault in FAULTS])
def fault(request: pytest.FixtureRequest, server: ScriptedServer) -> Fault:
    """The fault, scripted afresh (a reply sequence starts over for every way in)."""
    fault: Fault = request.param
    if fault.replies:
        server.script(fault.model_name, *fault.replies)
    return fault


def expected_phrase(fault: Fault, endpoints: dict[str, str]) -> str:
    return fault.says.replace("{url}", endpoints[fault.endpoint])


def assert_one_plain_sentence(message: str) -> None:
    assert message and message[0].isupper(), message
    assert "\n" not in message and "Traceback" not in message
    assert API_KEY not in message


def check(outcome: Outcome, fault: Fault, endpoints: dict[str, str]) -> None:
    assert outcome.outcome == fault.outcome.value, outcome
    assert expected_phrase(fault, endpoints) in outcome.message
    assert_one_plain_sentence(outcome.message)
    assert outcome.kept == fault.kept


# -- the core -----------------------------------------------------------------------------------


def core_outcome(events: list[Event]) -> Outcome:
    last = events[-1]
    assert sum(isinstance(event, Finished | Failed) for event in events) == 1
    kept = tuple(event.value.name for event in events if isinstance(event, Entity))
    if isinstance(last, Failed):
        return Outcome(last.kind.value, last.message, kept)
    assert isinstance(last, Finished) and not last.complete
    return Outcome(last.ending, last.message, kept)


def test_through_run_extraction(fault, endpoints):
    provider = ProviderConfig(
        base_url=endpoints[fault.endpoint],
        model=fault.model_name,
        api_key=API_KEY,
        timeout=fault.timeout,
    )
    request = ExtractionRequest(build_wrapper([User]), "Jason is 10.", fault.model_name, fault.mode)

    events = list(run_extraction(provider, request, pause=lambda seconds: None))

    check(core_outcome(events), fault, endpoints)
    assert_spans_locate_elements(events)


# -- the CLI ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "user.py"
    path.write_text(USER_PY)
    return path


def test_through_the_cli(fault, endpoints, schema_file):
    command = [*ITERPLAY, "extract", "--schema", str(schema_file), "--text", "-"]
    command += ["--base-url", endpoints[fault.endpoint], "--api-key", API_KEY]
    command += ["--model", fault.model_name, "--mode", fault.mode]
    env = clean_env(ITERPLAY_TIMEOUT=str(fault.timeout))

    run = subprocess.run(
        command, input="Jason is 10.", capture_output=True, text=True, timeout=60, env=env
    )

    records = [json.loads(line) for line in run.stdout.splitlines()]
    last = records[-1]
    kept = tuple(record["data"]["name"] for record in records if record["type"] == "entity")
    if isinstance(fault.outcome, FailureKind):
        assert (last["type"], run.returncode) == ("error", 2)
        outcome = Outcome(last["kind"], last["message"], kept)
    else:
        assert (last["type"], last["complete"], run.returncode) == ("done", False, 1)
        outcome = Outcome(last["ending"], last["message"], kept)
    check(outcome, fault, endpoints)
    assert [record["type"] for record in records[:-1]] == ["entity"] * len(kept)
    assert run.stderr == ""


# -- the page -----------------------------------------------------------------------------------


def run_on_the_page(monkeypatch, base_url: str, model: str, mode: str, timeout: float) -> AppTest:
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("ITERPLAY_MODEL", model)
    monkeypatch.setenv("ITERPLAY_TIMEOUT", str(timeout))
    app = AppTest.from_file(PAGE, default_timeout=60).run()
    app.selectbox(key="mode_remote").set_value(mode).run()
    app.button(key="extract").click().run()
    assert not app.exception
    return app


def test_through_the_page(fault, endpoints, monkeypatch):
    app = run_on_the_page(
        monkeypatch, endpoints[fault.endpoint], fault.model_name, fault.mode, fault.timeout
    )

    log = app.session_state["active_run"]
    kept = tuple(element.value.name for element in log.elements if isinstance(element, Entity))
    if isinstance(fault.outcome, FailureKind):
        assert isinstance(log.end, Failed)
        shown = [as_shown(box.value) for box in app.error]
        outcome = Outcome(log.end.kind.value, log.end.message, kept)
        assert any(fault.outcome.label in text for text in shown), shown
    else:
        assert isinstance(log.end, Finished)
        shown = [as_shown(box.value) for box in app.warning]
        outcome = Outcome(log.end.ending, log.end.message, kept)
    check(outcome, fault, endpoints)
    assert any(log.end.message in text for text in shown), shown
    page_text = "\n".join(str(element.value) for element in app.markdown)
    assert "Traceback" not in page_text and API_KEY not in page_text


# -- a retry that works: visible in each way in, then the stream ---------------------------------

RATE_LIMITED_ONCE = (
    Reply(status=429, error={"message": "Slow down."}, headers={"Retry-After": "0"}),
    Reply.from_text('{"tasks": [' + JASON + "]}", channel="tool_call"),
)


def test_a_retry_is_an_event_then_the_stream_completes(server):
    server.script("rate-limited-once", *RATE_LIMITED_ONCE)
    provider = ProviderConfig(base_url=server.url, model="rate-limited-once", api_key=API_KEY)
    waits: list[float] = []
    request = ExtractionRequest(build_wrapper([User]), "Jason is 10.", provider.model, "tools")

    events = list(run_extraction(provider, request, pause=waits.append))

    retry = events[0]
    assert isinstance(retry, Retrying)
    assert (retry.attempt, retry.wait_seconds) == (1, 0.0)
    assert "is rate limiting requests (429): Slow down." in retry.reason
    assert waits == [0.0]
    assert [event.value.name for event in events if isinstance(event, Entity)] == ["Jason"]
    assert isinstance(events[-1], Finished) and events[-1].complete


def test_retry_after_within_the_cap_is_waited_for(server):
    limited = Reply(status=429, headers={"Retry-After": "7"})
    server.script("wait-7", limited, RATE_LIMITED_ONCE[1])
    provider = ProviderConfig(base_url=server.url, model="wait-7", api_key=API_KEY)
    waits: list[float] = []
    request = ExtractionRequest(build_wrapper([User]), "Jason is 10.", provider.model, "tools")

    events = list(run_extraction(provider, request, pause=waits.append))

    assert waits == [7.0]
    assert isinstance(events[-1], Finished) and events[-1].complete


def test_a_503_without_retry_after_is_not_retried(server):
    server.script("503-once", Reply(status=503), RATE_LIMITED_ONCE[1])
    provider = ProviderConfig(base_url=server.url, model="503-once", api_key=API_KEY)
    request = ExtractionRequest(build_wrapper([User]), "Jason is 10.", provider.model, "tools")

    events = list(run_extraction(provider, request, pause=lambda seconds: None))

    assert [type(event) for event in events] == [Failed]


def test_a_503_with_retry_after_is_retried(server):
    server.script(
        "503-retry", Reply(status=503, headers={"Retry-After": "0"}), RATE_LIMITED_ONCE[1]
    )
    provider = ProviderConfig(base_url=server.url, model="503-retry", api_key=API_KEY)
    request = ExtractionRequest(build_wrapper([User]), "Jason is 10.", provider.model, "tools")

    events = list(run_extraction(provider, request, pause=lambda seconds: None))

    assert isinstance(events[0], Retrying) and events[-1].complete


def test_the_cli_prints_the_retry_only_with_events(server, schema_file):
    command = [*ITERPLAY, "extract", "--schema", str(schema_file), "--text", "-"]
    command += ["--base-url", server.url, "--api-key", API_KEY, "--model", "rate-limited-once"]

    def types(*flags: str) -> list[str]:
        server.script("rate-limited-once", *RATE_LIMITED_ONCE)
        run = subprocess.run(
            [*command, *flags], input="Jason is 10.", capture_output=True, text=True,
            timeout=60, env=clean_env(),
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        return [json.loads(line)["type"] for line in run.stdout.splitlines()]

    assert types() == ["entity", "done"]
    with_events = types("--events")
    assert with_events[0] == "retrying"
    assert with_events.count("retrying") == 1 and with_events[-2:] == ["entity", "done"]


def test_the_page_shows_the_retry_and_then_the_cards(server, monkeypatch):
    server.script("rate-limited-once", *RATE_LIMITED_ONCE)

    app = run_on_the_page(monkeypatch, server.url, "rate-limited-once", "tools", 30.0)

    log = app.session_state["active_run"]
    assert [retry.attempt for retry in log.retries] == [1]
    assert [element.value.name for element in log.elements] == ["Jason"]
    assert "Complete" in app.success[0].value


WAITING_PAGE = """
from components.stats_bar import retry_notice
from iterplay.events import Retrying
retry_notice(Retrying(1, 4.0, "The provider is rate limiting requests (429): Slow down.", 0.1))
"""


def test_the_retry_notice_on_the_page():
    app = AppTest.from_string(WAITING_PAGE, default_timeout=30).run()

    assert [as_shown(box.value) for box in app.info] == [
        f"**Retrying in 4 s** (retry 1 of {MAX_RETRIES}) — The provider is rate limiting "
        "requests (429): Slow down."
    ]
