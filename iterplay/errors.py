"""Every error iterplay raises, in one hierarchy.

Each carries a message a user can act on; callers show ``str(error)`` and never a traceback.
"""

from __future__ import annotations


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
    """The model provider could not be reached or refused the request.

    ``kind`` is a short stable word (``connection``, ``timeout``, ``auth``, ``not_found``,
    ``rate_limit``, ``server``, ``bad_request``, ``bad_response``) that scripts can branch on.
    """

    def __init__(self, kind: str, message: str):
        self.kind = kind
        super().__init__(message)


class LocalModelError(IterplayError):
    """The embedded model cannot be started; the message names the command that fixes it."""


class ShareLinkError(IterplayError):
    """A share token is damaged, too large, or not one of ours."""


class CasesError(IterplayError):
    """A cases file (JSON Lines of texts and expected entities) cannot be read."""


class HistoryError(IterplayError):
    """The run history file cannot be opened, read or written; it is never overwritten."""
