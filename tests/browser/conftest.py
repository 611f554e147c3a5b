"""Fixtures for the browser tests: real app process, real scripted provider, real chromium.

One scripted server, one app process and one chromium serve the whole session; every test gets
fresh browser contexts (so fresh Streamlit sessions). Each test scripts its own scenario under
its own model name and opens a share link naming that model. Every page a test opened is
screenshotted into ``test-artifacts/browser/`` (or ``$ITERPLAY_BROWSER_ARTIFACTS``) and checked
for traceback text when the test ends; the app's log is checked for tracebacks too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from iterplay.share import SharedState
from iterplay.testing import Reply, ScriptedServer
from tests.browser.harness import (
    API_KEY,
    CHROMIUM,
    REPO,
    TUNED_STREAMLIT,
    AppProcess,
    launch_chromium,
)
from tests.browser.playground_page import USER, Playground, share_link

DEFAULT_MODEL = "two-users"
TWO_USERS = '{"tasks": [{"name": "Jason", "age": 10}, {"name": "John", "age": 30}]}'
VIEWPORT = {"width": 1440, "height": 900}

if not Path(CHROMIUM).exists():
    _missing = f"no chromium at {CHROMIUM}; ./test.sh installs Debian's chromium"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        # In CI a missing browser is a broken machine, not a reason to pass without the suite.
        raise pytest.UsageError(f"The browser tests cannot run: {_missing}.")
    pytest.skip(_missing, allow_module_level=True)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("ITERPLAY_BROWSER_ARTIFACTS") or REPO / "test-artifacts/browser")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def provider_server() -> Iterator[ScriptedServer]:
    """The scripted OpenAI-compatible provider, requiring the test key."""
    with ScriptedServer(api_key=API_KEY) as server:
        server.script(DEFAULT_MODEL, Reply.from_text(TWO_USERS, channel="tool_call"))
        yield server


@pytest.fixture(scope="session")
def app(provider_server, artifacts_dir, tmp_path_factory) -> Iterator[AppProcess]:
    """The app, configured through the environment to use the scripted provider."""
    env = scripted_provider_env(provider_server, tmp_path_factory.mktemp("app-logs"))
    with AppProcess(env, artifacts_dir / "app.log") as process:
        yield process


def scripted_provider_env(provider_server: ScriptedServer, log_dir: Path) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": provider_server.url,
        "OPENAI_API_KEY": API_KEY,
        "ITERPLAY_MODEL": DEFAULT_MODEL,
        "ITERPLAY_LOG_DIR": str(log_dir),
    }


@pytest.fixture(scope="session")
def tuned_app(provider_server, artifacts_dir, tmp_path_factory):
    """Starts the app as ``app`` is, with module constants set first (``tuned_streamlit.py``):
    ``tuned_app({"module.NAME": value})``; one process per settings, for the whole session."""
    started: dict[tuple, AppProcess] = {}
    with ExitStack() as stack:

        def start(settings: Mapping[str, float]) -> AppProcess:
            key = tuple(sorted(settings.items()))
            if key not in started:
                logs = tmp_path_factory.mktemp("tuned-app-logs")
                env = scripted_provider_env(provider_server, logs)
                launcher = [str(TUNED_STREAMLIT), *(f"{k}={v}" for k, v in key)]
                log = artifacts_dir / f"tuned-app-{len(started) + 1}.log"
                started[key] = stack.enter_context(AppProcess(env, log, launcher=launcher))
            return started[key]

        yield start


@pytest.fixture(scope="session")
def embedded_app(artifacts_dir, tmp_path_factory) -> Iterator[AppProcess]:
    """The app with no provider configured: the embedded model is the default."""
    env = {"ITERPLAY_LOG_DIR": str(tmp_path_factory.mktemp("embedded-app-logs"))}
    with AppProcess(env, artifacts_dir / "embedded-app.log") as process:
        yield process


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator[Browser]:
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


def _tracebacks(log: str) -> list[str]:
    return re.findall(r"Traceback \(most recent call last\).*", log)


@pytest.fixture
def new_playground(request, browser, artifacts_dir) -> Iterator[Callable[[], Playground]]:
    """Makes playgrounds, each in a fresh browser context; screenshots and checks them after."""
    apps = [
        request.getfixturevalue(name)
        for name in ("app", "embedded_app")
        if name in request.fixturenames
    ]
    log_starts = {process: len(process.log_text()) for process in apps}
    contexts = []
    playgrounds: list[Playground] = []

    def make(color_scheme: str | None = None) -> Playground:
        context = browser.new_context(viewport=VIEWPORT, color_scheme=color_scheme)
        contexts.append(context)
        playgrounds.append(Playground(context.new_page()))
        return playgrounds[-1]

    yield make
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        for number, playground in enumerate(playgrounds):
            suffix = f"-{number}" if number else ""
            playground.page.screenshot(path=artifacts_dir / f"{name}{suffix}.png", full_page=True)
            playground.assert_no_traceback()
        for process, start in log_starts.items():
            assert not _tracebacks(process.log_text()[start:]), f"traceback in {process.log_path}"
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def playground(new_playground) -> Playground:
    return new_playground()


@pytest.fixture
def scenario(request, app, provider_server) -> Callable[..., str]:
    """Scripts ``reply`` under a model named after the test; returns a share link naming it."""

    def make(
        reply: Reply, *later: Reply, text: str = "Ann is 31, Bob is 42 and Cy is 7.", **state
    ) -> str:
        model = f"{request.node.name}-{len(provider_server.models())}"
        provider_server.script(model, reply, *later)
        fields = {"schema": USER, "text": text, "model": model, "mode": "tools", **state}
        return share_link(app.url, SharedState(**fields))

    return make
