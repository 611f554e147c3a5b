"""One line of run statistics, and the plain-words ending of a run."""

from __future__ import annotations

import streamlit as st

from components.inert_text import inert
from iterplay.errors import FailureKind
from iterplay.events import Failed, Finished, Retrying
from iterplay.provider_errors import MAX_RETRIES
from iterplay.run_log import RunLog
from iterplay.wording import counted, sentence


def stats_line(log: RunLog) -> str:
    """Time to first token, elapsed time (live while running), counts and tokens per second."""
    parts = []
    if log.first_token_t is not None:
        parts.append(f"first token {log.first_token_t:.2f} s")
    parts.append(f"elapsed {log.elapsed:.2f} s")
    parts.append(counted(log.entity_count, "entity", "entities"))
    parts.append(f"{log.invalid_count} invalid")
    rate = log.tokens_per_second()
    if rate is not None:
        parts.append(f"{rate:.1f} tok/s")
    if log.end_stats is not None and log.end_stats.completion_tokens is not None:
        parts.append(f"{log.end_stats.completion_tokens} completion tokens")
    return "⏱ " + " · ".join(parts)


def run_ending(log: RunLog) -> None:
    """Say plainly how the run ended: complete, truncated, cut off, stopped, or failed."""
    end = log.end
    if log.interrupted:
        reason = inert(sentence(log.interrupted))
        st.warning(f"**Stopped** — {reason} Everything that arrived is kept.", icon="⏹")
    elif isinstance(end, Failed):
        st.error(f"**Failed** — {FailureKind(end.kind).label}: {inert(end.message)}", icon="🚫")
    elif isinstance(end, Finished) and end.complete and end.stats.entities:
        st.success(f"**Complete** — {inert(end.message)}", icon="✅")
    elif isinstance(end, Finished) and end.complete:
        # The stream ended properly but nothing valid came out: no green tick for that.
        st.warning(f"**Complete** — {inert(end.message)}", icon="⚠️")
    elif isinstance(end, Finished):
        labels = {
            "truncated": "Truncated",
            "cut_off": "Cut off",
            "limit": "Limit reached",
            "filtered": "Filtered",
        }
        label = labels.get(end.ending, "Incomplete")
        st.warning(f"**{label}** — {inert(end.message)}", icon="⚠️")


def retry_notice(retry: Retrying) -> None:
    """The provider asked to wait: say for how long, which retry it is, and why."""
    st.info(
        f"**Retrying in {retry.wait_seconds:g} s** (retry {retry.attempt} of {MAX_RETRIES}) — "
        f"{inert(retry.reason)}",
        icon="⏳",
    )
