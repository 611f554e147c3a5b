"""Many sessions at once: card latency with eight browser sessions streaming, against one alone.

    .venv/bin/python benchmarks/sessions.py [--sessions 8] [--repeats 3]

Real parts only, as in ``browser_latency.py``: the scripted OpenAI-compatible server in its own
process (logging the monotonic time each piece was written), the app as ``streamlit run app.py``,
and Debian's chromium. Each session is a fresh browser context on a share link naming its own
scenario model, whose reply writes ``--elements`` people with names of that session only
(``session3-person7``), one element per piece, ``--pause`` seconds apart.

Per repetition, measured in the same run:

- **one session**: a single context presses **Extract** and waits for the ending (the baseline);
- **N sessions**: N contexts are opened, then **Extract** is pressed in each, one right after
  the other, and every page is waited for.

Per card: from the server writing the piece that holds the element's closing brace to the card
holding its fields in that page (a ``MutationObserver`` stamps it; page clocks are converted to
the server's monotonic clock as ``browser_latency.py`` explains). A session fails when its ending
is not Complete, when its cards are not exactly its own people in order, or when any other
session's name shows on its page.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from browser_latency import (  # noqa: E402
    CARD_OBSERVER,
    ScriptedServerProcess,
    card_times,
    chromium_version,
    ms,
    wall_minus_monotonic,
)
from playwright.sync_api import Browser, expect, sync_playwright  # noqa: E402

from iterplay.share import SharedState  # noqa: E402
from iterplay.testing import Piece, Reply  # noqa: E402
from tests.browser.harness import API_KEY, AppProcess, launch_chromium  # noqa: E402
from tests.browser.playground_page import Playground, share_link  # noqa: E402

USER_SCHEMA = (
    "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
)
RUN_TIMEOUT_MS = 180_000


def people(session: int, elements: int) -> list[dict]:
    return [{"name": f"session{session}-person{k}", "age": k} for k in range(elements)]


def session_reply(session: int, elements: int, pause: float) -> Reply:
    """One element per piece, its closing brace last, each piece ``pause`` after the last."""
    texts = [json.dumps(person) for person in people(session, elements)]
    pieces = ['{"tasks": [' + texts[0]] + [", " + text for text in texts[1:]] + ["]}"]
    return Reply(pieces=tuple(Piece(text, pause) for text in pieces), channel="tool_call")


@dataclass(frozen=True)
class Round:
    """One round of sessions run at once."""

    sessions: int
    entities_expected: int
    entities_shown: int
    failures: list[str]
    latencies: list[float]  # every card of every session

    @property
    def worst(self) -> float:
        return max(self.latencies)

    @property
    def median(self) -> float:
        return statistics.median(self.latencies)


def run_round(
    browser: Browser,
    app: AppProcess,
    server: ScriptedServerProcess,
    models: dict[int, str],
    elements: int,
) -> Round:
    contexts = []
    pages = {}
    try:
        for session, model in models.items():
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.add_init_script(CARD_OBSERVER)
            contexts.append(context)
            state = SharedState(schema=USER_SCHEMA, text="People.", model=model, mode="tools")
            page = context.new_page()
            pages[session] = Playground(page).open(share_link(app.url, state))
        offset = wall_minus_monotonic()
        for playground in pages.values():
            playground.extract_button.click()
        failures: list[str] = []
        latencies: list[float] = []
        shown = 0
        for session, playground in pages.items():
            ending = playground.wait_for_ending(timeout_ms=RUN_TIMEOUT_MS)
            expect(playground.entity_cards).to_have_count(elements, timeout=RUN_TIMEOUT_MS)
            cards = playground.all_card_fields()
            shown += len(cards)
            failures += session_failures(session, ending, cards, playground.page_text(), models)
            sent = server.sent(models[session])
            times = card_times(playground.page, offset)
            latencies += [times[k].filled - sent[k] for k in range(elements)]
        total = elements * len(models)
        return Round(len(models), total, shown, failures, latencies)
    finally:
        for context in contexts:
            context.close()


def session_failures(
    session: int, ending: str, cards: list[dict], page_text: str, models: dict[int, str]
) -> list[str]:
    failures = []
    if "Complete" not in ending:
        failures.append(f"session {session} ended: {ending!r}")
    expected = [{"name": p["name"], "age": str(p["age"])} for p in people(session, len(cards))]
    if cards != expected:
        failures.append(f"session {session} showed other cards than its own")
    strangers = [other for other in models if other != session and f"session{other}-" in page_text]
    if strangers:
        failures.append(f"session {session} showed names of sessions {strangers}")
    return failures


def report(rounds: dict[str, list[Round]], elements: int, pause: float) -> None:
    many = rounds["many"][0].sessions
    print(
        f"\nEach session: {elements} elements, {pause * 1000:.0f} ms apart; "
        "closing brace written -> card holding its fields"
    )
    print(
        f"{'round':<12} {'rep':>3} {'sessions':>8} {'entities':>9} {'failures':>8} "
        f"{'median card':>12} {'worst card':>11}"
    )
    for name, runs in rounds.items():
        for number, r in enumerate(runs, 1):
            print(
                f"{name:<12} {number:>3} {r.sessions:>8} "
                f"{r.entities_shown:>4}/{r.entities_expected:<4} {len(r.failures):>8} "
                f"{ms(r.median):>12} {ms(r.worst):>11}"
            )
    for failure in [f for runs in rounds.values() for r in runs for f in r.failures]:
        print(f"  FAILURE: {failure}")
    single = statistics.median(r.worst for r in rounds["one"])
    multi = statistics.median(r.worst for r in rounds["many"])
    single_median = statistics.median(statistics.median(r.latencies) for r in rounds["one"])
    multi_median = statistics.median(statistics.median(r.latencies) for r in rounds["many"])
    print(f"\n{'':<40} {'1 session':>10} {f'{many} sessions':>11} {'ratio':>6}")
    print(
        f"{'worst card, median over reps':<40} {ms(single):>10} {ms(multi):>11} "
        f"{multi / single:>6.2f}"
    )
    print(
        f"{'median card, median over reps':<40} {ms(single_median):>10} {ms(multi_median):>11} "
        f"{multi_median / single_median:>6.2f}"
    )
    failures = sum(len(r.failures) for runs in rounds.values() for r in runs)
    shown = sum(r.entities_shown for r in rounds["many"])
    expected = sum(r.entities_expected for r in rounds["many"])
    print(f"{many}-session rounds: {shown}/{expected} entities shown, {failures} failures")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--elements", type=int, default=10)
    parser.add_argument("--pause", type=float, default=0.3)
    args = parser.parse_args(argv)

    started = time.monotonic()
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, chromium "
        f"{chromium_version()}, load average {os.getloadavg()[0]:.1f}; {args.repeats} repetitions"
    )
    reps = range(args.repeats)
    plan = {"warm-up": {0: "warm-up-0"}}
    for n in reps:
        plan[f"one-{n}"] = {0: f"one-{n}-0"}
        plan[f"many-{n}"] = {s: f"many-{n}-{s}" for s in range(args.sessions)}
    scenarios = {
        model: session_reply(session, args.elements, args.pause)
        for models in plan.values()
        for session, model in models.items()
    }
    rounds: dict[str, list[Round]] = {"one": [], "many": []}
    with tempfile.TemporaryDirectory(prefix="sessions-") as workdir:
        work = Path(workdir)
        server = ScriptedServerProcess(scenarios, work)
        env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": API_KEY}
        try:
            with AppProcess(env, work / "app.log") as app, sync_playwright() as driver:
                browser = launch_chromium(driver)
                run_round(browser, app, server, plan["warm-up"], args.elements)
                for n in reps:  # interleaved, so drifting load hits both alike
                    rounds["one"].append(
                        run_round(browser, app, server, plan[f"one-{n}"], args.elements)
                    )
                    rounds["many"].append(
                        run_round(browser, app, server, plan[f"many-{n}"], args.elements)
                    )
                browser.close()
        finally:
            server.stop()
    report(rounds, args.elements, args.pause)
    print(f"\ntotal: {time.monotonic() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    return 1 if any(r.failures for runs in rounds.values() for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
