"""Playground state <-> URL token, so a link reproduces a demo.

Token: base64url (no padding) of zlib-compressed UTF-8 JSON. Version 1 holds the inputs;
version 2 adds ``cases``, the records of a cases file (``scoring.cases``), ``lanes`` (the
variants raced beside lane 0) and ``run``, a recorded run as its run file holds it (opening the
link replays it, with no provider), and is written only when there are some, so every other
link stays a version 1 link that older servers read. A run is carried up to
``ITERPLAY_MAX_SHARE_RUN_BYTES`` of JSON; past that, the run file is the way to share it.
Never a key or a base URL: the state type has no field for them. A link is untrusted input, so
decoding is bounded (token length, decompressed size, nesting depth, digits in a number) and
every field is checked for its type, range, size and encoding; anything else is a
ShareLinkError with one plain sentence.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import zlib
from dataclasses import asdict, dataclass, replace
from typing import Any

from iterplay.errors import CasesError, InputError, RunFileError, ShareLinkError
from iterplay.inputs import check_model_name, check_temperature, unicode_problem, utf8_size
from iterplay.limits import Limits, limits
from iterplay.request import MODES
from iterplay.run_file import RunFile, run_file_data, run_file_from_data
from iterplay.scoring.cases import CaseSet, read_cases, write_cases

VERSION = 1  # a link with nothing more than version 1 holds stays a version 1 link
VERSION_2 = 2  # adds cases, lanes and a recorded run
VERSIONS = (VERSION, VERSION_2)
LANE_FIELDS = ("model", "mode", "system_prompt", "temperature")
MAX_SHARED_LANES = 3
SCHEMA_KINDS = ("pydantic", "json_schema")
MAX_JSON_DEPTH = 32
MAX_NUMBER_CHARS = 100
MAX_TARGETS = 64
MAX_TARGET_CHARS = 200
MAX_CASES = 1_000


@dataclass(frozen=True)
class SharedState:
    """What a link carries: the playground's inputs, nothing about who is using it."""

    schema: str
    schema_kind: str = "pydantic"
    target: list[str] | None = None
    text: str = ""
    system_prompt: str | None = None
    model: str | None = None
    mode: str | None = None
    temperature: float | None = None
    cases: CaseSet | None = None  # texts with their expected entities (version 2)
    # lanes 1 and up (version 2): {"model", "mode", "system_prompt", "temperature"}, each None
    # to keep lane 0's value; all lanes use the server's provider
    lanes: list[dict[str, Any]] | None = None
    run: RunFile | None = None  # a recorded run to replay on opening (version 2)


def encode_state(state: SharedState, bounds: Limits | None = None) -> str:
    """The token for ``state``; a ShareLinkError says why it cannot be shared."""
    bounds = bounds or limits()
    data = _inputs_data(state)
    if state.cases is not None and state.cases.cases:
        data["v"] = VERSION_2
        data["cases"] = cases_records(state.cases)
    if state.lanes:
        data["v"] = VERSION_2
        data["lanes"] = [dict(lane) for lane in state.lanes]
    if state.run is not None:
        data["v"] = VERSION_2
        data["run"] = run_file_data(state.run)
        size = _json_size(data["run"])
        if size is not None and size > bounds.share_run_bytes:
            raise ShareLinkError(
                f"This run is too big to share in a link ({size:,} bytes; the limit is "
                f"{bounds.share_run_bytes:,}); share its run file instead."
            )
    problem = _state_problem(data, bounds)
    if problem:
        name, reason = problem
        raise ShareLinkError(
            f"This playground cannot be shared as a link: its '{name}' value is bad ({reason})."
        )
    payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
    token = base64.urlsafe_b64encode(zlib.compress(payload, 9)).decode("ascii").rstrip("=")
    # A link expands to at most share_json_bytes when opened: a longer one would be refused.
    if len(token) > bounds.share_link_chars or len(payload) > bounds.share_json_bytes:
        if state.run is not None:
            raise ShareLinkError(
                "This run is too big to share in a link (with the inputs, it makes a link longer "
                "than we open); share its run file instead."
            )
        raise ShareLinkError(
            f"This playground is too large to share as a link ({len(token):,} characters; "
            f"the limit is {bounds.share_link_chars:,}); shorten the text or the schema."
        )
    return token


def decode_state(token: Any, bounds: Limits | None = None) -> SharedState:
    """Parse a token from a link; any damage is a ShareLinkError with a plain reason."""
    bounds = bounds or limits()
    if not isinstance(token, str) or not token.isascii():
        raise ShareLinkError("This share link is damaged (not valid base64).")
    if len(token) > bounds.share_link_chars:
        raise ShareLinkError("This share link is too long to be one of ours.")
    try:
        compressed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise ShareLinkError("This share link is damaged (not valid base64).") from None
    data = _parse_json(_bounded_decompress(compressed, bounds.share_json_bytes))
    if not isinstance(data, dict) or type(data.get("v")) is not int or data["v"] not in VERSIONS:
        raise ShareLinkError("This share link is from another version or not from iterplay.")
    problem = _state_problem(data, bounds)
    if problem:
        name, reason = problem
        raise ShareLinkError(f"This share link has a bad '{name}' value ({reason}).")
    return SharedState(
        schema=data["schema"],
        schema_kind=data.get("schema_kind", "pydantic"),
        target=data.get("target"),
        text=data.get("text", ""),
        system_prompt=data.get("system_prompt"),
        model=data.get("model"),
        mode=data.get("mode"),
        temperature=check_temperature(data.get("temperature")),
        cases=_cases(data.get("cases")) if data["v"] >= VERSION_2 else None,
        lanes=_lanes(data.get("lanes")) if data["v"] >= VERSION_2 else None,
        run=_run(data.get("run")) if data["v"] >= VERSION_2 else None,
    )


def _inputs_data(state: SharedState) -> dict[str, Any]:
    """The version 1 fields of ``state``, as a link holds them."""
    data = {"v": VERSION, **asdict(replace(state, cases=None, lanes=None, run=None))}
    del data["cases"], data["lanes"], data["run"]
    return data


RUN_NAME = "the recorded run"


def _run(data: Any) -> RunFile | None:
    """The run file of checked ``data`` (see ``_run_problem``)."""
    return None if data is None else run_file_from_data(data, RUN_NAME)


def _run_problem(data: Any, bounds: Limits) -> str | None:
    """Why ``data`` is not a recorded run a link may carry, or None: within its bound, and
    read as a run file is (format and version first, then every field)."""
    if data is None:
        return None
    size = _json_size(data)
    if size is None:
        return "it holds text that is not valid Unicode"
    if size > bounds.share_run_bytes:
        return f"it is larger than the limit of {bounds.share_run_bytes:,} bytes"
    try:
        run_file_from_data(data, RUN_NAME)
    except RunFileError as error:
        return str(error).rstrip(".")
    return None


def _json_size(data: Any) -> int | None:
    """The size of ``data`` as UTF-8 JSON, or None when it holds text that is not Unicode."""
    try:
        return len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except UnicodeEncodeError:
        return None


def _lanes(records: Any) -> list[dict[str, Any]] | None:
    """Checked lane records (see ``_lanes_problem``), every field present."""
    if not records:
        return None
    return [{name: record.get(name) for name in LANE_FIELDS} for record in records]


def _lanes_problem(records: Any, bounds: Limits) -> str | None:
    if records is None:
        return None
    if not isinstance(records, list) or len(records) > MAX_SHARED_LANES:
        return f"it must be a list of at most {MAX_SHARED_LANES} lanes"
    for number, lane in enumerate(records, start=1):
        if not isinstance(lane, dict) or set(lane) - set(LANE_FIELDS):
            return f"lane {number} must be an object with {', '.join(LANE_FIELDS)}"
        problem = (
            _checked_problem(check_model_name, lane.get("model"))
            or _choice_problem(lane.get("mode"), tuple(MODES), optional=True)
            or _text_problem(lane.get("system_prompt"), bounds.text_bytes)
            or _checked_problem(check_temperature, lane.get("temperature"))
        )
        if problem:
            return f"lane {number}: {problem}"
    return None


def cases_records(case_set: CaseSet) -> list[dict[str, Any]]:
    """A case set as a link holds it: the records of its cases file (settings first)."""
    return [json.loads(line) for line in write_cases(case_set).splitlines()]


def _cases(records: Any) -> CaseSet | None:
    """The case set of checked ``records`` (see ``_cases_problem``)."""
    if records is None:
        return None
    return read_cases(json.dumps(record, ensure_ascii=False) for record in records)


def _cases_problem(records: Any) -> str | None:
    """Why ``records`` are not the records of a cases file, or None: read as a cases file is."""
    if records is None:
        return None
    if not isinstance(records, list) or len(records) > MAX_CASES:
        return f"it must be a list of at most {MAX_CASES:,} cases"
    try:
        json.dumps(records, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "it holds text that is not valid Unicode"
    try:
        _cases(records)
    except CasesError as error:  # its message names a line of the file: here, a record
        return str(error).replace("line ", "record ", 1)
    return None


def _bounded_decompress(compressed: bytes, max_bytes: int) -> bytes:
    decompressor = zlib.decompressobj()
    try:
        payload = decompressor.decompress(compressed, max_bytes + 1)
    except zlib.error:
        raise ShareLinkError("This share link is damaged (it does not decompress).") from None
    if len(payload) > max_bytes or decompressor.unconsumed_tail:
        raise ShareLinkError("This share link expands to more than we accept.")
    if not decompressor.eof:
        raise ShareLinkError("This share link is cut short; copy the whole link.")
    return payload


class _Unacceptable(ValueError):
    """A number or constant the JSON of a link may not hold."""


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:  # before int(): thousands of digits cost quadratic time
        raise _Unacceptable(text)
    return int(text)


def _finite_float(text: str) -> float:
    number = float(text)
    if len(text) > MAX_NUMBER_CHARS or not math.isfinite(number):
        raise _Unacceptable(text)
    return number


def _no_constant(name: str) -> Any:
    raise _Unacceptable(name)  # NaN, Infinity and -Infinity are not JSON


def _parse_json(payload: bytes) -> Any:
    try:
        text = payload.decode("utf-8")
        data = json.loads(
            text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
        )
    except _Unacceptable:
        raise ShareLinkError(
            "This share link holds a number too large or not finite; it is not one of ours."
        ) from None
    except RecursionError:
        raise ShareLinkError("This share link is nested too deeply to be one of ours.") from None
    except (UnicodeDecodeError, ValueError):
        raise ShareLinkError("This share link is damaged (its contents are not JSON).") from None
    if _depth_exceeds(data, MAX_JSON_DEPTH):
        raise ShareLinkError("This share link is nested too deeply to be one of ours.")
    return data


def _depth_exceeds(data: Any, limit: int) -> bool:
    """True when lists and objects nest deeper than ``limit``; iterative, so any depth is safe."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in value)
    return False


def shared_state_problem(state: SharedState, bounds: Limits | None = None) -> str | None:
    """Why ``state`` could not come from a link (a value of the wrong type, range or size), as
    "its 'name' value is bad (reason)", or None: for inputs that arrive another way (a run
    file) and must pass the checks a link's do."""
    problem = _state_problem(_inputs_data(state), bounds or limits())
    if problem is None:
        return None
    name, reason = problem
    return f"its '{name}' value is bad ({reason})"


def _state_problem(data: dict[str, Any], bounds: Limits) -> tuple[str, str] | None:
    """The first field of ``data`` that is wrong and why, or None."""
    checks = (
        ("schema", _text_problem(data.get("schema"), bounds.schema_bytes, optional=False)),
        ("schema_kind", _choice_problem(data.get("schema_kind", "pydantic"), SCHEMA_KINDS)),
        ("target", _target_problem(data.get("target"))),
        ("text", _text_problem(data.get("text", ""), bounds.text_bytes, optional=False)),
        ("system_prompt", _text_problem(data.get("system_prompt"), bounds.text_bytes)),
        ("model", _checked_problem(check_model_name, data.get("model"))),
        ("mode", _choice_problem(data.get("mode"), tuple(MODES), optional=True)),
        ("temperature", _checked_problem(check_temperature, data.get("temperature"))),
        ("cases", _cases_problem(data.get("cases"))),
        ("lanes", _lanes_problem(data.get("lanes"), bounds)),
        ("run", _run_problem(data.get("run"), bounds)),
    )
    return next(((name, problem) for name, problem in checks if problem), None)


def _text_problem(value: Any, max_bytes: int, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        return "it must be text"
    problem = unicode_problem(value)
    if problem:
        return f"it {problem}"
    if utf8_size(value) > max_bytes:
        return f"it is larger than the limit of {max_bytes:,} bytes"
    return None


def _choice_problem(value: Any, choices: tuple[str, ...], optional: bool = False) -> str | None:
    if (value is None and optional) or (isinstance(value, str) and value in choices):
        return None
    return f"it must be one of {', '.join(choices)}"


def _target_problem(value: Any) -> str | None:
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > MAX_TARGETS
        or not all(isinstance(name, str) and 0 < len(name) <= MAX_TARGET_CHARS for name in value)
        or any(unicode_problem(name) for name in value)
    ):
        return f"it must be a list of at most {MAX_TARGETS} model names"
    return None


def _checked_problem(check: Any, value: Any) -> str | None:
    if value is None:
        return None
    try:
        check(value)
    except InputError as error:
        message = str(error).rstrip(".")
        return message[:1].lower() + message[1:]
    return None
