"""Incremental splitter: text chunks in, complete elements of the JSON array out.

The model writes ``{"tasks": [ {...}, {...} ]}`` (or a bare array, or either inside prose and a
markdown fence). ``ElementSplitter`` hands back the raw text of each array element the moment its
closing bracket arrives, and exposes the element still being written.

Why a state machine and not brace counting over a buffer: the splitter must stay linear in the
length of the stream however the text is chunked, including one huge element. Every character is
looked at once, by a C-speed regex search that jumps to the next character that matters (a quote or
backslash inside strings, a bracket or quote outside), and element text is kept as a list of pieces
joined only when the element completes.
"""

from __future__ import annotations

import re
from enum import Enum, StrEnum
from typing import NamedTuple

_STRING_SPECIAL = re.compile(r'["\\]')
_STRUCTURAL = re.compile(r'[{}\[\]"]')
_OUTSIDE_STRUCTURAL = re.compile(r'[{}\[\]":]')
_NON_SPACE = re.compile(r"\S")
_CAN_FOLLOW = {"{": '"}', "[": "{]"}
_ELEMENT_START = re.compile(r"[^\s,]")
_SCALAR_END = re.compile(r"[\s,\]}]")
_LAST_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*$')

WRAPPER_KEY = "tasks"


class Phase(Enum):
    """Where in the expected JSON the splitter is."""

    SEEKING = "before the array"
    WRAPPER = "inside the wrapper object, before the array"
    ARRAY = "between elements"
    ELEMENT = "inside an element"
    DONE = "after the array"


class Ending(StrEnum):
    """How a stream ended, as the user needs to hear it."""

    COMPLETE = "complete"
    TRUNCATED = "truncated"
    CUT_OFF = "cut_off"
    UNTERMINATED = "unterminated"
    NO_ARRAY = "no_array"
    EMPTY = "empty"
    NO_TOOL_CALL = "no_tool_call"
    LIMIT = "limit"
    FILTERED = "filtered"


class SplitElement(NamedTuple):
    """One complete element: its raw text and where it lies in the whole stream.

    ``start`` and ``end`` are character offsets into the concatenation of every chunk fed so
    far, so ``stream[start:end] == raw``.
    """

    raw: str
    start: int
    end: int


class ElementSplitter:
    """Owns the parse state of one stream; ``feed`` it chunks, it returns finished elements."""

    def __init__(self) -> None:
        self.phase = Phase.SEEKING
        self.completed = 0
        self.json_start: int | None = None  # offset of the `{` or `[` the JSON opened with
        self.array_start: int | None = None  # offset of the array's `[`
        self.array_end: int | None = None  # offset just past the array's `]`
        self._fed = 0  # characters of the chunks before the current one
        self._start_at = 0  # stream offset of the element (or bare object) being read
        self._opener_at = 0  # stream offset of the bracket that may open the JSON
        self._pieces: list[str] = []
        self._depth = 0
        self._in_string = False
        self._escape_pending = False
        self._scalar = False
        self._wrapper_keys = 0
        self._partial_chars = 0
        self._opener = ""

    @property
    def array_closed(self) -> bool:
        return self.phase is Phase.DONE

    @property
    def array_found(self) -> bool:
        return self.phase in (Phase.ARRAY, Phase.ELEMENT, Phase.DONE)

    @property
    def partial_length(self) -> int | None:
        """``len(partial_text)`` without joining its pieces: cheap enough for every chunk."""
        if self.phase is not Phase.ELEMENT:
            return None
        return self._partial_chars

    @property
    def partial_text(self) -> str | None:
        """Raw text of the element being written, or None between elements.

        Joining costs the element's length: ask ``partial_length`` first when asking often.
        """
        if self.phase is not Phase.ELEMENT:
            return None
        if len(self._pieces) > 1:
            self._pieces = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    def where(self) -> str:
        """Where the text stopped, in words, for messages about cut streams."""
        if self.phase is Phase.ELEMENT:
            return f"inside element {self.completed}"
        return self.phase.value

    def feed(self, text: str) -> list[SplitElement]:
        """Consume one chunk; return every element it completed, with its place in the stream."""
        done: list[SplitElement] = []
        i = 0
        n = len(text)
        while i < n:
            phase = self.phase
            if phase is Phase.ELEMENT:
                i = self._scan_element(text, i, done)
            elif phase is Phase.ARRAY:
                i = self._scan_array(text, i)
            elif phase is Phase.WRAPPER:
                i = self._scan_wrapper(text, i, done)
            elif phase is Phase.SEEKING:
                i = self._scan_seeking(text, i)
            else:
                break
        self._fed += n
        return done

    # -- phases -------------------------------------------------------------------------------

    def _scan_seeking(self, text: str, i: int) -> int:
        if not self._opener:
            j = _first_of(text, i, "{[")
            if j < 0:
                return len(text)
            self._opener = text[j]
            self._opener_at = self._fed + j
            i = j + 1
        return self._confirm_opener(text, i)

    def _confirm_opener(self, text: str, i: int) -> int:
        """Take a bracket as the start of the JSON only if what follows it can continue JSON.

        ``{`` must be followed by ``"`` or ``}``, ``[`` by ``{`` or ``]``: that passes over
        brackets in prose such as "the users [as requested]:" before a fenced answer.
        """
        m = _NON_SPACE.search(text, i)
        if m is None:
            self._opener += text[i:]
            return len(text)
        opener_text = self._opener + text[i : m.start()]
        self._opener = ""
        if m.group() not in _CAN_FOLLOW[opener_text[0]]:
            return m.start()
        self.json_start = self._opener_at
        if opener_text[0] == "[":
            self.phase = Phase.ARRAY
            self.array_start = self._opener_at
        else:
            self.phase = Phase.WRAPPER
            self._pieces = [opener_text]
            self._start_at = self._opener_at
            self._depth = 1
            self._wrapper_keys = 0
            self._wrapper_start = m.start()
        return m.start()

    def _scan_wrapper(self, text: str, i: int, done: list[SplitElement]) -> int:
        """Skip the wrapper's other keys until the array value of ``tasks`` (or the first key).

        An object that closes without such an array is taken as one element itself, so a model
        that answers with a bare object, or with objects one after another, still yields them.
        """
        start = self._wrapper_start if self._wrapper_start is not None else 0
        while i < len(text):
            if self._in_string:
                i = self._skip_string(text, i)
                continue
            m = _OUTSIDE_STRUCTURAL.search(text, i)
            if m is None:
                break
            ch = m.group()
            i = m.end()
            if ch == '"':
                self._in_string = True
            elif ch == ":":
                if self._depth == 1:
                    self._wrapper_keys += 1
            elif ch in "{[":
                if self._depth == 1 and ch == "[" and self._is_array_key(text, start, i - 1):
                    self._pieces = []
                    self._wrapper_start = None
                    self.phase = Phase.ARRAY
                    self.array_start = self._fed + i - 1
                    return i
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    self.phase = Phase.SEEKING
                    self.json_start = None  # not a wrapper: an object taken as an element
                    self._wrapper_start = None
                    return self._finish_element(text, start, i, done)
        self._pieces.append(text[start:])
        self._wrapper_start = None
        return len(text)

    def _is_array_key(self, text: str, start: int, bracket: int) -> bool:
        if self._wrapper_keys == 1:
            return True
        before = "".join(self._pieces) + text[start:bracket]
        m = _LAST_KEY.search(before)
        return m is not None and m.group(1) == WRAPPER_KEY

    def _scan_array(self, text: str, i: int) -> int:
        m = _ELEMENT_START.search(text, i)
        if m is None:
            return len(text)
        j = m.start()
        ch = text[j]
        if ch == "]":
            self.phase = Phase.DONE
            self.array_end = self._fed + j + 1
            return j + 1
        if ch == "}":
            return j + 1
        self.phase = Phase.ELEMENT
        self._pieces = []
        self._partial_chars = 0
        self._element_start = j
        self._start_at = self._fed + j
        self._scalar = ch not in '{["'
        self._depth = 0
        return j

    def _scan_element(self, text: str, i: int, done: list[SplitElement]) -> int:
        start = self._element_start if self._element_start is not None else 0
        if self._scalar:
            m = _SCALAR_END.search(text, i)
            if m is None:
                return self._keep(text, start)
            self._pieces.append(text[start : m.start()])
            done.append(self._take_element(self._fed + m.start()))
            return m.start()
        n = len(text)
        while i < n:
            if self._in_string:
                i = self._skip_string(text, i)
                if self._in_string:
                    break
                if self._depth == 0:
                    return self._finish_element(text, start, i, done)
                continue
            m = _STRUCTURAL.search(text, i)
            if m is None:
                break
            ch = m.group()
            i = m.end()
            if ch == '"':
                self._in_string = True
            elif ch in "{[":
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    return self._finish_element(text, start, i, done)
        return self._keep(text, start)

    # -- helpers ------------------------------------------------------------------------------

    def _skip_string(self, text: str, i: int) -> int:
        """Advance past string content; leaves ``_in_string`` False if the string closed."""
        if self._escape_pending:
            self._escape_pending = False
            i += 1
        while i < len(text):
            m = _STRING_SPECIAL.search(text, i)
            if m is None:
                return len(text)
            if m.group() == "\\":
                if m.end() >= len(text):
                    self._escape_pending = True
                    return len(text)
                i = m.end() + 1
                continue
            self._in_string = False
            return m.end()
        return i

    def _finish_element(self, text: str, start: int, end: int, done: list[SplitElement]) -> int:
        self._pieces.append(text[start:end])
        done.append(self._take_element(self._fed + end))
        return end

    def _take_element(self, end_at: int) -> SplitElement:
        element = SplitElement("".join(self._pieces), self._start_at, end_at)
        self._pieces = []
        self._partial_chars = 0
        self._element_start = None
        self._scalar = False
        self.completed += 1
        if self.phase is Phase.ELEMENT:
            self.phase = Phase.ARRAY
        return element

    def _keep(self, text: str, start: int) -> int:
        """The element goes on in the next chunk: keep this chunk's part of it."""
        self._pieces.append(text[start:])
        self._partial_chars += len(text) - start
        self._element_start = None
        return len(text)

    _element_start: int | None = None
    _wrapper_start: int | None = None


def _first_of(text: str, i: int, chars: str) -> int:
    """Index of the first of ``chars`` in ``text`` from ``i``, or -1."""
    found = [k for k in (text.find(c, i) for c in chars) if k >= 0]
    return min(found) if found else -1


def split_elements(chunks: list[str] | tuple[str, ...]) -> list[str]:
    """The raw text of every complete element of a finished stream; for tests and scripts."""
    splitter = ElementSplitter()
    return [element.raw for chunk in chunks for element in splitter.feed(chunk)]
