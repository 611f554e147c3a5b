"""Every error iterplay raises, in one hierarchy.

Each carries a message a user can act on; callers show ``str(error)`` and never a traceback.
"""

from __future__ import annotations

from enum import StrEnum


class FailureKind(StrEnum):
    """Why a run or a command failed: the ``kind`` of ``Failed`` and of the CLI's ``error`` line.

    A closed set that scripts branch on; ``label`` is what the UI shows beside the message.
    """

    CONNECTION = "connection"
    TIMEOUT = "timeout"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    RATE_LIMIT = "rate_limit"
    SERVER = "server"
    BAD_REQUEST = "bad_request"
    BAD_RESPONSE = "bad_response"
    CONTEXT_LENGTH = "context_length"
    SCHEMA = "schema"
    CASES = "cases"
    HISTORY = "history"
    INPUT = "input"
    LOCAL_MODEL = "local_model"
    CONFIG = "config"
    RUN_FILE = "run_file"
    INTERRUPTED = "interrupted"

    @property
    def label(self) -> str:
        return _FAILURE_LABELS[self]


_FAILURE_LABELS = {
    FailureKind.CONNECTION: "Provider unreachable",
    FailureKind.TIMEOUT: "No answer in time",
    FailureKind.AUTH: "Access refused",
    FailureKind.NOT_FOUND: "Not found",
    FailureKind.RATE_LIMIT: "Rate limited",
    FailureKind.SERVER: "Provider error",
    FailureKind.BAD_REQUEST: "Request refused",
    FailureKind.BAD_RESPONSE: "Not an OpenAI-compatible answer",
    FailureKind.CONTEXT_LENGTH: "Text too long for the model",
    FailureKind.SCHEMA: "Schema error",
    FailureKind.CASES: "Cases file error",
    FailureKind.HISTORY: "History error",
    FailureKind.INPUT: "Input error",
    FailureKind.LOCAL_MODEL: "Embedded model unavailable",
    FailureKind.CONFIG: "Server misconfigured",
    FailureKind.RUN_FILE: "Run file error",
    FailureKind.INTERRUPTED: "Interrupted",
}


class IterplayError(Exception):
    """Base of all iterplay errors."""


class SchemaError(IterplayError):
    """The schema text cannot be turned into models.

    ``line`` and ``column`` are 1-based positions in the text the user wrote (or in the
    generated pydantic source, for a JSON Schema whose generated code is refused), when known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.reason = message
        self.line = line
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        if self.line is None:
            return self.reason
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class ProviderError(IterplayError):
    """The model provider could not be reached, refused the request, or broke the protocol.

    ``retry_after`` is set when the provider asked to be tried again later (a 429, or a 503
    with ``Retry-After``): the seconds to wait first.
    """

    def __init__(self, kind: FailureKind, message: str, retry_after: float | None = None):
        self.kind = kind
        self.retry_after = retry_after
        super().__init__(message)


class StreamCutError(IterplayError):
    """The stream's connection broke or went silent after it had started.

    Not a failure of the run: everything that arrived stands, and the run ends cut off.
    ``detail`` says what happened, for the ending's message.
    """

    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(detail)


class LocalModelError(IterplayError):
    """The embedded model cannot be started; the message names the command that fixes it."""


class ShareLinkError(IterplayError):
    """A share token is damaged, too large, or not one of ours."""


class CasesError(IterplayError):
    """A cases file (JSON Lines of texts and expected entities) cannot be read."""


class HistoryError(IterplayError):
    """The run history file cannot be opened, read or written; it is never overwritten."""


class RunFileError(IterplayError):
    """A run file cannot be replayed: not one, damaged, too large, or from a later iterplay."""


class InputError(IterplayError):
    """A value a user sent (text, prompt, model name, temperature, a file) cannot be used."""


class ConfigError(IterplayError):
    """A setting of whoever started the server or the CLI (an ``ITERPLAY_*`` variable) is bad."""
