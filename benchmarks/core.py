"""Core engine benchmarks: every figure is a ratio to a baseline measured in the same run.

    .venv/bin/python benchmarks/core.py [--reps N]

The scripted OpenAI-compatible server runs in its own process (so it never competes with the
code under test for the GIL) and streams over loopback HTTP exactly as a provider would, in
``tools`` mode (the JSON arrives as tool-call argument deltas). Figures are medians of
``--reps`` interleaved repetitions, after one warm-up.

(a) End to end: the CLI's ``extract`` path in process (``iterplay.cli.extract`` on parsed
    arguments, JSON Lines written to /dev/null: schema loading, request, splitter, validation,
    serialisation) against the floor: the openai SDK merely consuming the same stream and
    keeping its text. Interpreter start-up and imports are left out and measured on their own
    (``iterplay extract`` on an empty stream); a real subprocess minus that start-up is shown
    as a cross-check.
(b) The splitter alone as its input grows 4x: time(4n) / time(n) should be about 4, never 16.
(c) Entity latency: from the server's monotonic timestamp, taken right after it wrote an
    element's closing brace, to the moment this process reads that entity's line from a real
    ``iterplay extract`` subprocess, over a stream with pauses between elements.
(d) For context: instructor's splitter (brace counting that rescans its buffer on every
    chunk), fed from the same SDK stream, against the floor.
(e) Live scoring: the 2,000-element stream scored against 2,000 expected entities as it
    arrives (figures asked for every 100 entities, as the playground redraws), against the same
    run unscored. Once with every entity right, once with every tenth age wrong (those pair by
    the assignment step).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import openai

from iterplay.cli import JsonLines, build_parser, extract
from iterplay.events import Entity
from iterplay.provider import ProviderConfig
from iterplay.request import ExtractionRequest, build_payload
from iterplay.run import run_extraction
from iterplay.schema import load_schema, select_targets
from iterplay.scoring import Case, ExpectedIndex, Scorer, check_case, comparer_for, entry_of
from iterplay.stream import ElementSplitter
from iterplay.testing import Piece, Reply
from iterplay.wrapper import build_wrapper

SMALL_CHUNK = 16  # characters per streamed piece, many small elements (about 4 tokens)
HUGE_CHUNK = 128  # characters per streamed piece, one huge element
MANY = 2_000
HUGE_SIZE = 800_000
NAIVE_SIZE = 200_000
LATENCY_ELEMENTS = 25
LATENCY_PAUSE = 0.02
LATENCY_RUNS = 3
SUBPROCESS_REPS = 3
ITERPLAY_SCRIPT = Path(sys.executable).with_name("iterplay")
ITERPLAY = (
    [str(ITERPLAY_SCRIPT)] if ITERPLAY_SCRIPT.exists() else [sys.executable, "-m", "iterplay.cli"]
)

USER_SCHEMA = """\
from pydantic import BaseModel


class User(BaseModel):
    name: str
    age: int
    email: str
"""

NOTE_SCHEMA = """\
from pydantic import BaseModel


class Note(BaseModel):
    body: str
"""

BRACES = '{}[]"\\:, abcdef'  # the huge element's string: mostly characters a splitter must mind
PROSE = "abcdefghij klmnopqrstuvwxyz "  # instructor's splitter miscounts braces inside strings


# -- workloads ----------------------------------------------------------------------------------


def small_elements(count: int) -> list[str]:
    return [
        json.dumps({"name": f"User {i}", "age": 20 + i % 60, "email": f"user{i}@example.com"})
        for i in range(count)
    ]


def huge_element(size: int, alphabet: str, seed: int = 7) -> str:
    """One ``{"body": "..."}`` element about ``size`` characters long once JSON-escaped."""
    rng = random.Random(seed)
    body: list[str] = []
    length = 0
    while length < size - 12:
        ch = rng.choice(alphabet)
        body.append(ch)
        length += 2 if ch in '"\\' else 1
    return json.dumps({"body": "".join(body)})


def tasks_text(elements: list[str]) -> str:
    return '{"tasks": [' + ", ".join(elements) + "]}"


def cut(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass(frozen=True)
class Workload:
    model: str
    text: str
    chunk: int
    schema: str

    def reply(self) -> Reply:
        return Reply.from_pieces(cut(self.text, self.chunk), channel="tool_call")

    def describe(self) -> str:
        chunks = len(cut(self.text, self.chunk))
        return f"{len(self.text) / 1000:.0f} KB in {chunks:,} chunks of {self.chunk} chars"


MANY_SMALL = Workload("many-small", tasks_text(small_elements(MANY)), SMALL_CHUNK, "user.py")
ONE_HUGE = Workload(
    "one-huge", tasks_text([huge_element(HUGE_SIZE, BRACES)]), HUGE_CHUNK, "note.py"
)
NAIVE_HUGE = Workload(
    "naive-huge", tasks_text([huge_element(NAIVE_SIZE, PROSE)]), HUGE_CHUNK, "note.py"
)
EMPTY = Workload("empty", '{"tasks": []}', 64, "user.py")


def latency_reply() -> tuple[Reply, list[int]]:
    """Elements with pauses, each closing brace its own piece; also those pieces' indices."""
    pieces = [Piece('{"tasks": [')]
    closing: list[int] = []
    for i, element in enumerate(small_elements(LATENCY_ELEMENTS)):
        pieces.append(Piece((", " if i else "") + element[:-1], LATENCY_PAUSE))
        closing.append(len(pieces))
        pieces.append(Piece("}", LATENCY_PAUSE))
    pieces.append(Piece("]}"))
    return Reply(pieces=tuple(pieces), channel="tool_call"), closing


# -- the scripted server in its own process -----------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    sent_log: Path

    def sent_lines(self) -> list[str]:
        return self.sent_log.read_text().splitlines() if self.sent_log.exists() else []


@contextmanager
def scripted_server(folder: Path, replies: dict[str, Reply]) -> Iterator[Server]:
    scenarios = folder / "scenarios.json"
    scenarios.write_text(json.dumps({model: reply.to_dict() for model, reply in replies.items()}))
    sent_log = folder / "sent.log"
    command = [sys.executable, "-m", "iterplay.testing.scripted_server", "--port", "0"]
    command += ["--scenarios", str(scenarios), "--sent-log", str(sent_log)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            ready = process.stdout.readline()
            if not ready.startswith("READY "):
                raise RuntimeError(f"the scripted server did not start: {ready!r}")
            yield Server(ready.split()[1], sent_log)
        finally:
            process.terminate()
            process.wait(timeout=10)


# -- what is timed ------------------------------------------------------------------------------


@cache
def cli_payload(workload: Workload, folder: Path) -> dict[str, Any]:
    """The request ``iterplay extract`` sends for ``workload``, so the floor streams the same."""
    schema = load_schema((folder / workload.schema).read_text(), "pydantic")
    wrapper = build_wrapper(select_targets(schema))
    text = (folder / "text").read_text()
    return build_payload(ExtractionRequest(wrapper=wrapper, text=text, model=workload.model))


def sdk_arguments(url: str, workload: Workload, folder: Path) -> Iterator[str]:
    """The tool-call argument text of the stream, chunk by chunk, through the openai SDK."""
    client = openai.OpenAI(base_url=url, api_key="bench", max_retries=0)
    stream = client.chat.completions.create(**cli_payload(workload, folder))
    for chunk in stream:
        for choice in chunk.choices[:1]:
            for call in choice.delta.tool_calls or ():
                yield call.function.arguments or ""


def floor(url: str, workload: Workload, folder: Path) -> None:
    """The least any consumer does: the same request, streamed with the SDK, text kept."""
    "".join(sdk_arguments(url, workload, folder))


def server_alone(url: str, workload: Workload) -> None:
    """Read the whole response off the socket without parsing: how fast the server writes."""
    host, port = url.removeprefix("http://").removesuffix("/v1").rsplit(":", 1)
    body = json.dumps({"model": workload.model, "messages": [], "stream": True}).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head.encode() + body)
        while sock.recv(1 << 16):
            pass


def extract_argv(url: str, workload: Workload, folder: Path) -> list[str]:
    argv = ["extract", "--schema", str(folder / workload.schema), "--text", str(folder / "text")]
    return [*argv, "--base-url", url, "--api-key", "bench", "--model", workload.model]


def cli_in_process(url: str, workload: Workload, folder: Path) -> None:
    args = build_parser().parse_args(extract_argv(url, workload, folder))
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        status = extract(args, JsonLines(devnull))
    if status != 0:
        raise RuntimeError(f"extract ended with status {status} on {workload.model}")


def cli_subprocess(url: str, workload: Workload, folder: Path) -> None:
    command = [*ITERPLAY, *extract_argv(url, workload, folder)]
    status = subprocess.run(command, stdout=subprocess.DEVNULL, check=False).returncode
    if status != 0:
        raise RuntimeError(f"iterplay extract exited {status} on {workload.model}")


def run_with_partials(url: str, workload: Workload, folder: Path) -> None:
    """What the UI consumes: every event, with the element in progress parsed as it grows."""
    schema = load_schema((folder / workload.schema).read_text(), "pydantic")
    wrapper = build_wrapper(select_targets(schema))
    provider = ProviderConfig(base_url=url, model=workload.model, api_key="bench")
    text = (folder / "text").read_text()
    request = ExtractionRequest(wrapper=wrapper, text=text, model=workload.model)
    for _event in run_extraction(provider, request, partials=True):
        pass


def expected_index(folder: Path, expected: list[dict]) -> ExpectedIndex:
    """Built once per case, before any run (the playground when cases change, eval per case)."""
    wrapper = build_wrapper(select_targets(load_schema((folder / "user.py").read_text())))
    checked = check_case(Case("text", tuple(expected)), wrapper)
    return ExpectedIndex(comparer_for(wrapper), checked.entries)


def run_scored(url: str, workload: Workload, folder: Path, index: ExpectedIndex | None) -> None:
    """The run the playground makes, scored live against a case (None: not scored)."""
    schema = load_schema((folder / workload.schema).read_text(), "pydantic")
    wrapper = build_wrapper(select_targets(schema))
    provider = ProviderConfig(base_url=url, model=workload.model, api_key="bench")
    request = ExtractionRequest(wrapper=wrapper, text="text", model=workload.model)
    scorer = Scorer(index) if index is not None else None
    entities = 0
    for event in run_extraction(provider, request):
        if isinstance(event, Entity):
            entities += 1
            if scorer is not None:
                scorer.add(entry_of(event.value, wrapper))
                if entities % 100 == 0:
                    scorer.scoring()
    if scorer is not None and scorer.scoring().counts.extracted != MANY:
        raise RuntimeError("the scored run lost entities")


def scoring_overhead(server: Server, folder: Path, reps: int) -> Section:
    """(e): the scored run against the same run unscored."""
    right = [json.loads(element) for element in small_elements(MANY)]
    tenth_wrong = [
        {**user, "age": user["age"] + 1} if i % 10 == 0 else user for i, user in enumerate(right)
    ]
    setup = timed(lambda: expected_index(folder, right))
    indexes = {
        "all right": expected_index(folder, right),
        "tenth wrong": expected_index(folder, tenth_wrong),
    }
    steps = {
        "unscored": lambda: run_scored(server.url, MANY_SMALL, folder, None),
        "all right": lambda: run_scored(server.url, MANY_SMALL, folder, indexes["all right"]),
        "tenth wrong": lambda: run_scored(server.url, MANY_SMALL, folder, indexes["tenth wrong"]),
    }
    m = interleaved_medians(steps, reps)
    return Section(
        f"(e) live scoring, {MANY:,} streamed entities against {MANY:,} expected",
        [
            Row("run_extraction, unscored", m["unscored"], m["unscored"]),
            Row("scored, every entity right", m["all right"], m["unscored"], 1.1),
            Row("scored, every tenth age wrong", m["tenth wrong"], m["unscored"], 1.1),
            Row("once per case: checking and indexing the expected", setup, m["unscored"]),
        ],
    )


def naive_consumer(url: str, workload: Workload, folder: Path) -> None:
    found = list(naive_tasks_from_chunks(sdk_arguments(url, workload, folder)))
    if len(found) != 1:
        raise RuntimeError(f"the naive splitter found {len(found)} elements, not 1")


def naive_tasks_from_chunks(json_chunks: Iterable[str]) -> Iterator[str]:
    """instructor's ``IterableBase.tasks_from_chunks``, minus validation."""
    started = False
    potential_object = ""
    for chunk in json_chunks:
        potential_object += chunk
        if not started:
            if "[" in chunk:
                started = True
                potential_object = chunk[chunk.find("[") + 1 :]
            continue
        task_json, potential_object = naive_get_object(potential_object, 0)
        if task_json:
            yield task_json


def naive_get_object(s: str, stack: int) -> tuple[str | None, str]:
    """instructor's ``IterableBase.get_object``: counts braces from the buffer's start."""
    start_index = s.find("{")
    for i, c in enumerate(s):
        if c == "{":
            stack += 1
        if c == "}":
            stack -= 1
            if stack == 0:
                return s[start_index : i + 1], s[i + 2 :]
    return None, s


def split_all(chunks: list[str]) -> int:
    splitter = ElementSplitter()
    return sum(len(splitter.feed(chunk)) for chunk in chunks)


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds, and CPU seconds of this process plus any child it waited for."""

    wall: float
    cpu: float


def timed(action: Callable[[], object]) -> Timing:
    gc.collect()
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    action()
    cpu = time.process_time() - cpu + _children_cpu() - children
    return Timing(time.perf_counter() - wall, cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def interleaved_medians(
    actions: dict[str, Callable[[], object]],
    reps: int,
    warm_up: Iterable[Callable[[], object]] | None = None,
) -> dict[str, Timing]:
    """Run the actions in turn, ``reps`` rounds, so drifting machine load hits each alike.

    ``warm_up`` (default: each action) runs once first, for imports, caches and pools.
    """
    for action in actions.values() if warm_up is None else warm_up:
        action()
    times: dict[str, list[Timing]] = {name: [] for name in actions}
    for _ in range(reps):
        for name, action in actions.items():
            times[name].append(timed(action))
    return {
        name: Timing(
            statistics.median(t.wall for t in values), statistics.median(t.cpu for t in values)
        )
        for name, values in times.items()
    }


# -- the measurements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    case: str
    measured: Timing
    baseline: Timing
    limit: float | None = None

    @property
    def wall_ratio(self) -> float:
        return self.measured.wall / self.baseline.wall

    @property
    def cpu_ratio(self) -> float:
        return self.measured.cpu / self.baseline.cpu

    @property
    def verdict(self) -> str:
        """Judged on wall-clock time, as the targets are stated."""
        if self.limit is None:
            return ""
        met = "met" if self.wall_ratio <= self.limit else "MISSED"
        return f"target <= {self.limit:g}x: {met}"


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


def end_to_end(server: Server, folder: Path, reps: int) -> list[Section]:
    """(a): each workload, the floor as the baseline."""
    sections = []
    warm_up = [
        lambda: floor(server.url, EMPTY, folder),
        lambda: cli_in_process(server.url, EMPTY, folder),
        lambda: run_with_partials(server.url, EMPTY, folder),
    ]
    for workload, limit in ((MANY_SMALL, 1.6), (ONE_HUGE, 1.3)):
        steps = {
            "floor": lambda w=workload: floor(server.url, w, folder),
            "cli": lambda w=workload: cli_in_process(server.url, w, folder),
            "partials": lambda w=workload: run_with_partials(server.url, w, folder),
            "server": lambda w=workload: server_alone(server.url, w),
        }
        m = interleaved_medians(steps, reps, warm_up)
        sections.append(
            Section(
                f"(a) {workload.model}: {workload.describe()}",
                [
                    Row("floor: the openai SDK consuming the stream", m["floor"], m["floor"]),
                    Row("iterplay extract, in process, to /dev/null", m["cli"], m["floor"], limit),
                    Row("run_extraction(partials=True), the UI's path", m["partials"], m["floor"]),
                    Row("server alone: raw socket read, no parsing", m["server"], m["floor"]),
                ],
            )
        )
    return sections


def subprocess_cross_check(server: Server, folder: Path, reps: int) -> Section:
    """``iterplay extract`` as a real subprocess, its start-up (an empty stream) subtracted."""
    workloads = (MANY_SMALL, ONE_HUGE)
    steps = {w.model: lambda w=w: cli_subprocess(server.url, w, folder) for w in workloads}
    steps |= {f"floor {w.model}": lambda w=w: floor(server.url, w, folder) for w in workloads}
    steps["start-up"] = lambda: cli_subprocess(server.url, EMPTY, folder)
    m = interleaved_medians(steps, reps, [steps["start-up"]])
    start = m["start-up"]
    rows = [
        Row(
            f"{w.model}: subprocess minus start-up",
            Timing(m[w.model].wall - start.wall, m[w.model].cpu - start.cpu),
            m[f"floor {w.model}"],
        )
        for w in workloads
    ]
    title = (
        f"(a') iterplay extract as a subprocess; start-up (an empty stream) took "
        f"{start.wall * 1000:.0f} ms wall, {start.cpu * 1000:.0f} ms CPU and is subtracted"
    )
    return Section(title, rows)


def splitter_scaling(reps: int) -> Section:
    cases = [
        ("many small elements", lambda n: tasks_text(small_elements(n)), MANY // 2, SMALL_CHUNK),
        ("one huge element", lambda n: tasks_text([huge_element(n, BRACES)]), 200_000, HUGE_CHUNK),
        ("one huge element", lambda n: tasks_text([huge_element(n, BRACES)]), 50_000, 1),
    ]
    rows = []
    for name, make, n, chunk in cases:
        small, large = cut(make(n), chunk), cut(make(4 * n), chunk)
        steps = {"n": lambda c=small: split_all(c), "4n": lambda c=large: split_all(c)}
        m = interleaved_medians(steps, reps)
        size = len("".join(small))
        case = f"{name}, {chunk}-char chunks: {size / 1000:.0f} KB -> {4 * size / 1000:.0f} KB"
        rows.append(Row(case, m["4n"], m["n"], 5.0))
    return Section("(b) the splitter alone, input grown 4x; baseline: the 1x input", rows)


def entity_latency(server: Server, folder: Path, closing: list[int]) -> list[float]:
    """Milliseconds from each closing brace leaving the server to its entity line arriving."""
    latency_workload = Workload("latency", "", 1, "user.py")
    latencies = []
    for _ in range(LATENCY_RUNS):
        already_sent = len(server.sent_lines())
        arrivals: dict[int, float] = {}
        command = [*ITERPLAY, *extract_argv(server.url, latency_workload, folder)]
        with subprocess.Popen(command, stdout=subprocess.PIPE) as process:
            for line in process.stdout:
                arrived = time.monotonic()
                record = json.loads(line)
                if record["type"] == "entity":
                    arrivals[record["index"]] = arrived
        sent_lines = server.sent_lines()[already_sent:]
        sent = {
            int(index): float(at)
            for model, index, at in (line.split("\t") for line in sent_lines)
            if model == "latency"
        }
        latencies += [(arrivals[i] - sent[piece]) * 1000 for i, piece in enumerate(closing)]
    return latencies


def naive_vs_floor(server: Server, folder: Path) -> Section:
    steps = {
        "floor": lambda: floor(server.url, NAIVE_HUGE, folder),
        "naive": lambda: naive_consumer(server.url, NAIVE_HUGE, folder),
    }
    m = interleaved_medians(steps, reps=1, warm_up=[])
    title = f"(d) {NAIVE_HUGE.model}: {NAIVE_HUGE.describe()}, run once"
    rows = [
        Row("floor: the openai SDK consuming the stream", m["floor"], m["floor"]),
        Row("instructor's splitter on the SDK stream", m["naive"], m["floor"]),
    ]
    return Section(title, rows)


# -- report -------------------------------------------------------------------------------------


def print_section(section: Section) -> None:
    print(section.title)
    width = max(len(row.case) for row in section.rows)
    print(f"    {'':<{width}}  {'wall':>9}  {'ratio':>6}  {'CPU':>9}  {'ratio':>6}")
    for row in section.rows:
        wall, cpu = row.measured.wall * 1000, row.measured.cpu * 1000
        line = (
            f"    {row.case:<{width}}  {wall:6.0f} ms  {row.wall_ratio:5.2f}x"
            f"  {cpu:6.0f} ms  {row.cpu_ratio:5.2f}x  {row.verdict}"
        )
        print(line.rstrip())
    print()


def print_latency(latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p90 = ordered[round(0.9 * (len(ordered) - 1))]
    verdict = "met" if ordered[-1] <= 15 else ("met at p90" if p90 <= 15 else "MISSED")
    print(
        f"(c) entity latency, closing brace written -> entity line read: {len(ordered)} entities, "
        f"{LATENCY_PAUSE * 1000:.0f} ms pauses, {LATENCY_RUNS} iterplay extract subprocesses\n"
        f"    median {statistics.median(ordered):.2f} ms, p90 {p90:.2f} ms, "
        f"max {ordered[-1]:.2f} ms  target <= 15 ms: {verdict}"
    )
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions per figure (median)")
    parser.add_argument(
        "--only-scoring", action="store_true", help="measure only (e), live scoring"
    )
    options = parser.parse_args()
    started = time.perf_counter()
    latency, closing = latency_reply()
    replies = {w.model: w.reply() for w in (MANY_SMALL, ONE_HUGE, NAIVE_HUGE, EMPTY)}
    replies["latency"] = latency
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}, medians of {options.reps} unless said\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "user.py").write_text(USER_SCHEMA)
        (folder / "note.py").write_text(NOTE_SCHEMA)
        (folder / "text").write_text("Jason is 10 and John is 30.")
        with scripted_server(folder, replies) as server:
            if options.only_scoring:
                print_section(scoring_overhead(server, folder, options.reps))
                return 0
            for section in end_to_end(server, folder, options.reps):
                print_section(section)
            print_section(subprocess_cross_check(server, folder, SUBPROCESS_REPS))
            print_section(splitter_scaling(options.reps))
            print_latency(entity_latency(server, folder, closing))
            print_section(naive_vs_floor(server, folder))
            print_section(scoring_overhead(server, folder, options.reps))
    print(f"total: {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
