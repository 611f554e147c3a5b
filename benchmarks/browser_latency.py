"""Browser latency: from an element's closing brace leaving the provider to its card in the page.

    .venv/bin/python benchmarks/browser_latency.py [--repeats 3]

Real parts only: the scripted OpenAI-compatible server in its own process (``python -m
iterplay.testing.scripted_server --sent-log``), the app as ``streamlit run app.py``, and Debian's
chromium driven by Playwright. Every repetition opens a fresh browser context on a share link
naming its own scenario model, presses **Extract**, and waits for the run's ending.

(a) Paused run: one element per streamed piece, ``--pause`` seconds apart. Per element: from the
    server's ``time.monotonic()`` taken right after it wrote the piece holding the element's
    closing brace, to the moment the card holds its fields in the page. Target: worst <= 60 ms.
(b) Fast run: ``--fast-elements`` elements in ``--chunk-size`` pieces, written as fast as the app
    reads them. The lag from the last piece written to the last card in the page. Target: 1 s.
(c) Four lanes: the paused run of (a) on four lanes at once (a share link with three lanes, each
    its own scenario model). Per lane, closing brace -> card as in (a); the worst card of any
    lane against the single-lane worst in the same run. Target: <= 2x. A worst card depends on
    how many cards it is the worst of: one four-lane repetition shows 40 cards from four runs,
    one run of (a) 10 cards from one run, so even with no card slower the four lanes' worst is
    larger (a delay that hits one card in ten shows in most 40-card samples and in few 10-card
    ones). So the single-lane figure is measured like for like as well: before each four-lane
    repetition, four single-lane runs one after another (40 cards, four runs), whose worst card
    is the baseline; the ratio against (a)'s per-run worst is printed beside it.

Baseline, measured in the same run: the *floor*, a minimal Streamlit page (written to a temporary
file by this script) that reads the same stream with the bare openai SDK, counts braces, and
appends each element as the same kind of card (a keyed bordered container holding a markdown
field list). It shows what Streamlit and the browser cost by themselves; ratios are
iterplay / floor. Each page first does one unmeasured paused run (a process's first run pays
one-off imports and set-up). For (b), the core loop alone (``run_extraction`` with partials, no
UI) over an identical stream shows the engine's own share.

How page times meet the server's clock: a ``MutationObserver``, installed before the page loads,
records ``performance.timeOrigin + performance.now()`` (wall-clock ms) when each
``.st-key-entity-card-<i>`` appears and when it first holds its field list (an ``li``), and the
animation frame after that. This process reads ``time.time() - time.monotonic()`` (same machine,
so the browser's wall clock is this clock) and converts page times to the server's monotonic
clock; a calibration step checks that page timestamps taken inside a known ``time.monotonic()``
interval land inside it. CDP ``Network.webSocketFrameReceived`` stamps every websocket frame with
Chromium's TimeTicks (CLOCK_MONOTONIC on Linux, the clock of ``time.monotonic()``; it matches the
page's own message-event times to the millisecond), and ``Network.eventSourceMessageReceived``
each message of the live card channel (``components/live_cards.py``) on the same clock; "frame"
below is either. They split (a) into the app's side (until the first frame carrying the card
arrives: a live channel message when the page listens, else Streamlit's update) and the
browser's side (last frame before the card filled in, to the card). CDP
``Performance.getMetrics`` gives the renderer's busy time during (b).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from iterplay.provider import ProviderConfig  # noqa: E402
from iterplay.request import ExtractionRequest  # noqa: E402
from iterplay.run import run_extraction  # noqa: E402
from iterplay.schema import load_schema  # noqa: E402
from iterplay.share import SharedState  # noqa: E402
from iterplay.testing import Piece, Reply  # noqa: E402
from iterplay.wrapper import build_wrapper  # noqa: E402
from tests.browser.harness import API_KEY, CHROMIUM, AppProcess, launch_chromium  # noqa: E402
from tests.browser.playground_page import Playground, share_link  # noqa: E402

USER_SCHEMA = (
    "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n    age: int\n"
)
PAUSED_TARGET = 0.060
FAST_TARGET = 1.0
LOAD_TIMEOUT_MS = 60_000
FAST_TIMEOUT_MS = 300_000

CARD_OBSERVER = """
(() => {
  if (window.top !== window) return;
  const now = () => performance.timeOrigin + performance.now();
  const cards = new Map();  // "lane:index" -> times (lane 0: st-key-entity-card-<i>)
  const pending = new Map();  // "lane:index" -> the card's class
  const pattern = /st-key-(?:lane(\\d+)-)?entity-card-(\\d+)/;
  window.__cards = cards;
  const check = (element) => {
    const match = typeof element.className === "string" && pattern.exec(element.className);
    if (!match) return;
    const key = (match[1] || "0") + ":" + match[2];
    if (!cards.has(key)) {
      cards.set(key, { inserted: now(), filled: null, frame: null });
      pending.set(key, match[0]);
    }
  };
  const scan = (node) => {
    if (node.nodeType !== 1) return;
    check(node);
    node.querySelectorAll('[class*="entity-card-"]').forEach(check);
  };
  new MutationObserver((records) => {
    const t = now();
    for (const record of records) {
      if (record.type === "childList") record.addedNodes.forEach(scan);
      else check(record.target);
    }
    for (const [key, name] of [...pending]) {
      const card = document.querySelector("." + name);
      if (card && card.querySelector("li")) {
        const times = cards.get(key);
        times.filled = t;
        pending.delete(key);
        requestAnimationFrame(() => { times.frame = now(); });
      }
    }
  }).observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["class"],
  });
})();
"""

FLOOR_APP = '''
"""The floor: the same stream, the bare openai SDK, one keyed card per element, nothing else."""
import json
import os
import platform
import re
import os

import openai
import streamlit as st

model = st.query_params.get("model", "")
if st.button("Extract", type="primary"):
    client = openai.OpenAI(
        base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]
    )
    stream = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "People."}], stream=True
    )
    cards = st.container()
    element, depth, index = "", 0, 0
    for chunk in stream:
        for choice in chunk.choices[:1]:
            for call in (choice.delta.tool_calls or [])[:1]:
                for char in call.function.arguments or "":
                    depth += (char == "{") - (char == "}")
                    if depth >= 2 or (depth == 1 and char == "}"):
                        element += char
                    if depth == 1 and char == "}":
                        fields = json.loads(element)
                        with cards, st.container(key=f"entity-card-{index}", border=True):
                            st.markdown(
                                f"*#{index}*\\n\\n"
                                + "\\n".join(f"- **{k}**: {v}" for k, v in fields.items())
                            )
                        element, index = "", index + 1
    st.success("Complete — the floor read the whole stream.")
'''


@dataclass(frozen=True)
class CardTimes:
    """Monotonic seconds: the card appeared, held its fields, and the next animation frame."""

    inserted: float
    filled: float
    frame: float | None


@dataclass(frozen=True)
class Frame:
    """A websocket frame or live channel message from the app: monotonic arrival time at
    chromium, and its bytes."""

    arrived: float
    payload: bytes


@dataclass(frozen=True)
class Subject:
    """A page under test: how to open it on a scenario model and wait until it is ready."""

    name: str
    link: Callable[[str], str]
    ready: Callable[[Page], None]


class ScriptedServerProcess:
    """The scripted provider in its own process, logging each piece's monotonic send time."""

    def __init__(self, scenarios: dict[str, Reply], workdir: Path) -> None:
        self.sent_log = workdir / "sent.tsv"
        scenario_file = workdir / "scenarios.json"
        scenario_file.write_text(
            json.dumps({model: reply.to_dict() for model, reply in scenarios.items()})
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "iterplay.testing.scripted_server",
                "--scenarios",
                str(scenario_file),
                "--sent-log",
                str(self.sent_log),
                "--api-key",
                API_KEY,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self.process.stdout.readline().split()
        if ready[:1] != ["READY"]:
            self.process.kill()
            raise RuntimeError(f"the scripted server did not start: {ready}")
        self.url = ready[1]

    def sent(self, model: str) -> dict[int, float]:
        """Piece index -> monotonic time it was written, for ``model``."""
        times = {}
        for line in self.sent_log.read_text().splitlines():
            name, index, sent_at = line.split("\t")
            if name == model:
                times[int(index)] = float(sent_at)
        return times

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def paused_reply(elements: int, pause: float) -> Reply:
    """One element per piece (its closing brace last), each piece ``pause`` after the one before."""
    texts = [json.dumps({"name": f"person-{i}", "age": i}) for i in range(elements)]
    pieces = ['{"tasks": [' + texts[0]] + [", " + text for text in texts[1:]] + ["]}"]
    return Reply(pieces=tuple(Piece(text, pause) for text in pieces), channel="tool_call")


def fast_reply(elements: int, chunk_size: int) -> Reply:
    text = json.dumps({"tasks": [{"name": f"person-{i:04d}", "age": i} for i in range(elements)]})
    return Reply.from_text(text, chunk_size=chunk_size, channel="tool_call")


def closing_piece_of_each_element(reply: Reply) -> list[int]:
    """Index of the piece holding each element's closing brace (elements are flat objects)."""
    pieces, depth = [], 0
    for index, piece in enumerate(reply.pieces):
        for char in piece.text:
            depth += (char == "{") - (char == "}")
            if char == "}" and depth == 1:
                pieces.append(index)
    return pieces


def wall_minus_monotonic() -> float:
    """``time.time() - time.monotonic()``: the median of a few back-to-back readings."""
    return statistics.median(time.time() - time.monotonic() for _ in range(9))


def calibration_error(page: Page, offset: float) -> float:
    """Worst distance of a converted page timestamp outside its bracketing monotonic interval."""
    worst = 0.0
    for _ in range(10):
        before = time.monotonic()
        page_ms = page.evaluate("performance.timeOrigin + performance.now()")
        after = time.monotonic()
        converted = page_ms / 1000 - offset
        worst = max(worst, before - converted, converted - after)
    return worst


def card_times(page: Page, offset: float, lane: int = 0) -> dict[int, CardTimes]:
    """Card index -> its times, for one lane (0: the playground's own run)."""
    raw = page.evaluate("Object.fromEntries(window.__cards)")
    return {
        int(key.split(":")[1]): CardTimes(
            times["inserted"] / 1000 - offset,
            times["filled"] / 1000 - offset,
            times["frame"] / 1000 - offset if times["frame"] is not None else None,
        )
        for key, times in raw.items()
        if times["filled"] is not None and int(key.split(":")[0]) == lane
    }


def record_websocket_frames(page: Page) -> list[Frame]:
    frames: list[Frame] = []
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.webSocketFrameReceived",
        lambda event: frames.append(Frame(event["timestamp"], frame_payload(event["response"]))),
    )
    # The live card channel's messages (components/live_cards.py), on the same clock.
    cdp.on(
        "Network.eventSourceMessageReceived",
        lambda event: frames.append(Frame(event["timestamp"], event["data"].encode())),
    )
    return frames


def frame_payload(frame: dict) -> bytes:
    """A websocket frame's payload; CDP gives binary frames (opcode 2) in base64."""
    payload = frame.get("payloadData", "")
    return base64.b64decode(payload) if frame.get("opcode") == 2 else payload.encode()


@contextmanager
def observed_page(browser: Browser, subject: Subject, model: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(CARD_OBSERVER)
    try:
        page = context.new_page()
        page.goto(subject.link(model))
        subject.ready(page)
        yield page
    finally:
        context.close()


def extract_button(page: Page):
    return page.get_by_role("button", name="Extract", exact=True)


def ending(page: Page):
    return page.locator("[data-testid='stAlert']").filter(has_text="Complete")


@dataclass(frozen=True)
class PausedResult:
    latencies: list[float]
    app_side: list[float]  # closing brace sent -> the first frame with the card reached chromium
    browser_side: list[float]  # the last frame before the card filled in -> card in the DOM
    calibration: float


def run_paused(browser: Browser, subject: Subject, server, model: str, reply: Reply):
    with observed_page(browser, subject, model) as page:
        frames = record_websocket_frames(page)
        offset = wall_minus_monotonic()
        calibration = calibration_error(page, offset)
        extract_button(page).click()
        expect(ending(page)).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        cards = card_times(page, offset)
    sent = server.sent(model)
    closing = [sent[piece] for piece in closing_piece_of_each_element(reply)]
    latencies, app_side, browser_side = [], [], []
    for index, sent_at in enumerate(closing):
        filled = cards[index].filled
        key = f"entity-card-{index}".encode()
        latencies.append(filled - sent_at)
        app_side.append(next(frame.arrived for frame in frames if key in frame.payload) - sent_at)
        browser_side.append(filled - max(f.arrived for f in frames if f.arrived <= filled))
    return PausedResult(latencies, app_side, browser_side, calibration)


LANES = 4
LANES_TARGET_RATIO = 2.0


def run_lanes(browser: Browser, app: AppProcess, server, models: list[str], reply: Reply):
    """(c): the paused reply on every lane at once; per lane, closing brace -> card."""
    lanes = [
        {"model": model, "mode": None, "system_prompt": None, "temperature": None}
        for model in models[1:]
    ]
    state = SharedState(
        schema=USER_SCHEMA, text="People.", model=models[0], mode="tools", lanes=lanes
    )
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(CARD_OBSERVER)
    try:
        page = context.new_page()
        page.goto(share_link(app.url, state))
        Playground(page).ready()
        frames = record_websocket_frames(page)
        offset = wall_minus_monotonic()
        extract_button(page).click()
        expect(ending(page)).to_have_count(len(models), timeout=LOAD_TIMEOUT_MS)
        cards = {lane: card_times(page, offset, lane) for lane in range(len(models))}
    finally:
        context.close()
    closing_pieces = closing_piece_of_each_element(reply)
    latencies, app_side = {}, {}
    for lane, model in enumerate(models):
        sent = server.sent(model)
        latencies[lane] = [
            cards[lane][index].filled - sent[piece] for index, piece in enumerate(closing_pieces)
        ]
        app_side[lane] = [
            first_frame_with(frames, card_class(lane, index)) - sent[piece]
            for index, piece in enumerate(closing_pieces)
        ]
    return LanesResult(latencies, app_side)


@dataclass(frozen=True)
class LanesResult:
    """Per lane, for each card: closing brace -> card; closing brace -> its frame in chromium."""

    latencies: dict[int, list[float]]
    app_side: dict[int, list[float]]


def card_class(lane: int, index: int) -> re.Pattern[bytes]:
    """The class naming card ``index`` of ``lane`` in the HTML the app sends."""
    prefix = f"lane{lane}-" if lane else ""
    return re.compile(rf"st-key-{prefix}entity-card-{index}(?!\d)".encode())


def first_frame_with(frames: list[Frame], pattern: re.Pattern[bytes]) -> float:
    return next(frame.arrived for frame in frames if pattern.search(frame.payload))


def report_lanes(
    results: list[LanesResult],
    single: list[PausedResult],
    one_by_one: list[list[PausedResult]],
    elements: int,
) -> None:
    """``single``: the runs of (a); ``one_by_one``: per repetition, the four single-lane runs
    made just before it, as many cards and runs as the four lanes show at once."""
    print(f"\n(c) {LANES} lanes at once, each the paused run of (a); closing brace -> card")
    print(
        f"{'rep':>3} "
        + " ".join(f"{'lane ' + str(j) + ' worst':>13}" for j in range(LANES))
        + f" {'app worst':>10} {'app med':>8} {'4 x 1 lane':>11}"
    )
    for number, (result, runs) in enumerate(zip(results, one_by_one, strict=True), 1):
        app = [value for values in result.app_side.values() for value in values]
        print(
            f"{number:>3} "
            + " ".join(f"{ms(max(result.latencies[j])):>13}" for j in range(LANES))
            + f" {ms(max(app)):>10} {median_ms(app):>8} {ms(worst_of(runs)):>11}"
        )
    print(
        "app: closing brace written -> the first frame carrying the card reached chromium\n"
        f"4 x 1 lane: the worst card of the {LANES} single-lane runs made one after another "
        "before that repetition"
    )
    lanes = [result.latencies for result in results]
    worst_lanes = statistics.median(max(max(v) for v in run.values()) for run in lanes)
    baselines = [
        ("worst card, 4 lanes / 4 x 1 lane, med reps", median_of_worst(one_by_one)),
        (
            "worst card, 4 lanes / (a)'s 1 run, med reps",
            statistics.median(worst_of([r]) for r in single),
        ),
    ]
    print(f"\n{'':<44} {'4 lanes':>10} {'1 lane':>10} {'ratio':>6} {'target':>9}")
    for label, worst_single in baselines:
        ratio = worst_lanes / worst_single
        print(
            f"{label:<44} {ms(worst_lanes):>10} {ms(worst_single):>10} {ratio:>6.2f} "
            f"{'<= 2.00':>9} {'met' if ratio <= LANES_TARGET_RATIO else 'MISSED'}"
        )
    every = [value for run in lanes for values in run.values() for value in values]
    print(
        f"{'median card, all lanes and reps':<44} {median_ms(every):>10}   "
        f"({elements} x {LANES} cards per rep)"
    )


def worst_of(runs: list[PausedResult]) -> float:
    return max(max(run.latencies) for run in runs)


def median_of_worst(groups: list[list[PausedResult]]) -> float:
    return statistics.median(worst_of(runs) for runs in groups)


@dataclass(frozen=True)
class FastResult:
    stream: float  # first to last piece written
    last_card: float  # after the last piece written
    next_frame: float | None
    last_ws: float
    ws_frames: int
    ws_bytes: int
    renderer_busy: float  # seconds of renderer main-thread tasks during the run
    run_time: float  # click to last card


def run_fast(browser: Browser, subject: Subject, server, model: str, elements: int):
    with observed_page(browser, subject, model) as page:
        frames = record_websocket_frames(page)
        performance = page.context.new_cdp_session(page)
        performance.send("Performance.enable")
        offset = wall_minus_monotonic()
        busy_before = renderer_busy(performance)
        clicked = time.monotonic()
        extract_button(page).click()
        page.wait_for_selector(f".st-key-entity-card-{elements - 1} li", timeout=FAST_TIMEOUT_MS)
        expect(ending(page)).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        busy = renderer_busy(performance) - busy_before
        cards = card_times(page, offset)
    sent = server.sent(model)
    end = max(sent.values())
    last = cards[elements - 1]
    return FastResult(
        stream=end - min(sent.values()),
        last_card=last.filled - end,
        next_frame=last.frame - end if last.frame is not None else None,
        last_ws=max(frame.arrived for frame in frames) - end,
        ws_frames=len(frames),
        ws_bytes=sum(len(frame.payload) for frame in frames),
        renderer_busy=busy,
        run_time=last.filled - clicked,
    )


def renderer_busy(session) -> float:
    metrics = session.send("Performance.getMetrics")["metrics"]
    return next(metric["value"] for metric in metrics if metric["name"] == "TaskDuration")


def run_engine_alone(server: ScriptedServerProcess, model: str) -> float:
    """The core loop alone, as the app calls it: seconds after the stream's end until done."""
    wrapper = build_wrapper([load_schema(USER_SCHEMA, "pydantic").models["User"]])
    provider = ProviderConfig(base_url=server.url, model=model, api_key=API_KEY)
    request = ExtractionRequest(wrapper, "People.", model, "tools", max_tokens=32_000)
    for _ in run_extraction(provider, request, partials=True):
        pass
    return time.monotonic() - max(server.sent(model).values())


def iterplay_subject(app: AppProcess) -> Subject:
    def link(model: str) -> str:
        state = SharedState(schema=USER_SCHEMA, text="People.", model=model, mode="tools")
        return share_link(app.url, state)

    return Subject("iterplay", link, lambda page: Playground(page).ready())


def floor_subject(floor: AppProcess) -> Subject:
    def ready(page: Page) -> None:
        expect(extract_button(page)).to_be_visible(timeout=LOAD_TIMEOUT_MS)

    return Subject("floor", lambda model: f"{floor.url}?model={quote(model)}", ready)


def chromium_version() -> str:
    output = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    return output.split()[1] if len(output.split()) > 1 else "?"


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def median_ms(values) -> str:
    return ms(statistics.median(values))


def report_paused(results: dict[str, list[PausedResult]], elements: int, pause: float) -> None:
    print(
        f"\n(a) Paused run: {elements} elements, {pause * 1000:.0f} ms apart; closing brace -> card"
    )
    print(
        f"{'page':<9} {'rep':>3} {'median':>9} {'worst':>9} {'app med':>9} {'app worst':>10} "
        f"{'brws med':>9} {'brws worst':>10} {'calib':>7}"
    )
    for name, runs in results.items():
        for number, r in enumerate(runs, 1):
            print(
                f"{name:<9} {number:>3} {median_ms(r.latencies):>9} {ms(max(r.latencies)):>9} "
                f"{median_ms(r.app_side):>9} {ms(max(r.app_side)):>10} "
                f"{median_ms(r.browser_side):>9} {ms(max(r.browser_side)):>10} "
                f"{ms(r.calibration):>7}"
            )
    print(
        "app: closing brace written -> the first frame carrying the card reached chromium\n"
        "(a live channel message or a websocket frame); brws: the last frame before the card\n"
        "filled in -> the card, with its fields\n"
        "calib: worst page-clock conversion error seen in calibration"
    )
    summary = {}
    for name, runs in results.items():
        every = [latency for run in runs for latency in run.latencies]
        summary[name] = (
            statistics.median(every),
            statistics.median(max(run.latencies) for run in runs),
            max(every),
        )
    print(f"\n{'':<44} {'iterplay':>10} {'floor':>10} {'ratio':>6} {'target':>9}")
    labels = ["median card, all cards", "worst card, median over reps", "worst card, all reps"]
    for row, label in enumerate(labels):
        mine, floor = summary["iterplay"][row], summary["floor"][row]
        target = ms(PAUSED_TARGET) if row else ""
        verdict = ("met" if mine <= PAUSED_TARGET else "MISSED") if row else ""
        print(
            f"{label:<44} {ms(mine):>10} {ms(floor):>10} {mine / floor:>6.2f} {target:>9} {verdict}"
        )


def report_fast(
    results: dict[str, list[FastResult]], engine: list[float], elements: int, chunk_size: int
) -> None:
    print(f"\n(b) Fast run: {elements} elements in {chunk_size}-character pieces, no pauses")
    print(
        f"{'page':<9} {'rep':>3} {'stream':>9} {'last msg':>10} {'last card':>10} "
        f"{'next frm':>10} {'ws frames':>9} {'ws MB':>6} {'renderer':>9}"
    )
    for name, runs in results.items():
        for number, r in enumerate(runs, 1):
            print(
                f"{name:<9} {number:>3} {ms(r.stream):>9} {ms(r.last_ws):>10} "
                f"{ms(r.last_card):>10} {ms(r.next_frame):>10} {r.ws_frames:>9} "
                f"{r.ws_bytes / 1e6:>6.2f} {r.renderer_busy:>8.2f}s"
            )
    print(
        "stream: first to last piece written; last msg / last card / next frm: after the last\n"
        "piece written, the app's last frame or live message reached chromium / the last card\n"
        "held its fields / the animation frame after it; renderer: busy time of chromium's\n"
        "renderer main thread from the click to the last card"
    )
    mine = statistics.median(r.last_card for r in results["iterplay"])
    floor = statistics.median(r.last_card for r in results["floor"])
    print(f"\n{'':<44} {'iterplay':>10} {'floor':>10} {'ratio':>6} {'target':>9}")
    print(
        f"{'last card after the stream ended, median':<44} {ms(mine):>10} {ms(floor):>10} "
        f"{mine / floor:>6.2f} {ms(FAST_TARGET):>9} {'met' if mine <= FAST_TARGET else 'MISSED'}"
    )
    print(
        f"{'core loop alone done after the stream ended':<44} "
        f"{median_ms(engine):>10}   (run_extraction with partials, no UI, median)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--paused-elements", type=int, default=10)
    parser.add_argument("--pause", type=float, default=0.3)
    parser.add_argument("--fast-elements", type=int, default=2000)
    parser.add_argument("--chunk-size", type=int, default=16, help="characters per piece in (b)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, chromium "
        f"{chromium_version()}, load average {os.getloadavg()[0]:.1f}; {args.repeats} repetitions"
    )
    reps = range(args.repeats)
    pages = ("iterplay", "floor")
    paused = paused_reply(args.paused_elements, args.pause)
    fast = fast_reply(args.fast_elements, args.chunk_size)
    scenarios = {f"paused-{name}-{n}": paused for name in pages for n in (*reps, "warm-up")}
    scenarios |= {f"fast-{name}-{n}": fast for name in (*pages, "engine") for n in reps}
    scenarios |= {
        f"{kind}-{n}-{j}": paused
        for kind in ("lanes", "one-by-one")
        for n in reps
        for j in range(LANES)
    }
    with tempfile.TemporaryDirectory(prefix="browser-latency-") as workdir:
        work = Path(workdir)
        (work / "floor.py").write_text(FLOOR_APP)
        server = ScriptedServerProcess(scenarios, work)
        env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": API_KEY}
        try:
            with (
                AppProcess(env, work / "app.log") as app,
                AppProcess(env, work / "floor.log", script=work / "floor.py") as floor,
                sync_playwright() as driver,
            ):
                browser = launch_chromium(driver)
                subjects = {"iterplay": iterplay_subject(app), "floor": floor_subject(floor)}
                for name, subject in subjects.items():  # first runs pay one-off imports
                    run_paused(browser, subject, server, f"paused-{name}-warm-up", paused)
                paused_results = {
                    name: [
                        run_paused(browser, subject, server, f"paused-{name}-{n}", paused)
                        for n in reps
                    ]
                    for name, subject in subjects.items()
                }
                report_paused(paused_results, args.paused_elements, args.pause)
                one_by_one, lanes_results = [], []
                for n in reps:  # interleaved, so that a drift in load hits both alike
                    one_by_one.append(
                        [
                            run_paused(
                                browser, subjects["iterplay"], server, f"one-by-one-{n}-{j}", paused
                            )
                            for j in range(LANES)
                        ]
                    )
                    lanes_results.append(
                        run_lanes(
                            browser, app, server, [f"lanes-{n}-{j}" for j in range(LANES)], paused
                        )
                    )
                report_lanes(
                    lanes_results, paused_results["iterplay"], one_by_one, args.paused_elements
                )
                fast_results = {
                    name: [
                        run_fast(browser, subject, server, f"fast-{name}-{n}", args.fast_elements)
                        for n in reps
                    ]
                    for name, subject in subjects.items()
                }
                engine = [run_engine_alone(server, f"fast-engine-{n}") for n in reps]
                report_fast(fast_results, engine, args.fast_elements, args.chunk_size)
                browser.close()
        finally:
            server.stop()
    print(f"\ntotal: {time.monotonic() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
