"""Everything one run produced, accumulated from its events.

The UI appends each event here (in ``st.session_state``) the moment it arrives, so a rerun -- a
Stop click, an edit -- redraws from this log and nothing that arrived is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iterplay.events import Entity, Event, Failed, Finished, Invalid, Partial, Token


@dataclass
class RunLog:
    """One run's entities, invalid elements, raw text and ending, in arrival order."""

    elements: list[Entity | Invalid] = field(default_factory=list)
    raw_pieces: list[str] = field(default_factory=list)
    partial: Partial | None = None
    end: Finished | Failed | None = None
    first_token_t: float | None = None
    last_t: float = 0.0
    chunks: int = 0
    characters: int = 0
    interrupted: str | None = None
    entity_count: int = 0
    invalid_count: int = 0

    def add(self, event: Event) -> None:
        if isinstance(event, Token):
            self.raw_pieces.append(event.text)
            self.chunks += 1
            self.characters += len(event.text)
            self.last_t = event.t
            if self.first_token_t is None:
                self.first_token_t = event.t
        elif isinstance(event, Partial):
            self.partial = event
        elif isinstance(event, Entity | Invalid):
            self.elements.append(event)
            if isinstance(event, Entity):
                self.entity_count += 1
            else:
                self.invalid_count += 1
            self.last_t = event.t
            if self.partial is not None and self.partial.index <= event.index:
                self.partial = None
        elif isinstance(event, Finished | Failed):
            self.end = event
            self.partial = None
            self.last_t = event.stats.total_time

    @property
    def finished(self) -> bool:
        return self.end is not None or self.interrupted is not None

    @property
    def raw_text(self) -> str:
        if len(self.raw_pieces) > 1:
            self.raw_pieces[:] = ["".join(self.raw_pieces)]
        return self.raw_pieces[0] if self.raw_pieces else ""

    def tokens_per_second(self) -> float | None:
        if self.end is not None:
            return self.end.stats.tokens_per_second
        if self.first_token_t is None or self.last_t <= self.first_token_t:
            return None
        return self.chunks / (self.last_t - self.first_token_t)
