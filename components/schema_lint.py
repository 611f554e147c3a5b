"""Schema lint under the editor: what OpenAI strict mode and llama.cpp's grammar make of it.

Findings name the user's fields, so they are drawn with ``st.text`` (never as markdown). The last
tab shows what "Make strict" produces: the wrapper schema the strict option sends.
"""

from __future__ import annotations

import json

import streamlit as st

from iterplay.lint import Finding, lint_wrapper
from iterplay.lint_command import PROVIDER_CHECKS, summary
from iterplay.strict_schema import make_strict
from iterplay.wrapper import Wrapper

SHOWN_FINDINGS = 40  # per provider: a rerun draws each one, and the CLI lists them all


def schema_lint(wrapper: Wrapper) -> None:
    """An expander with the findings per provider and the strict wrapper schema."""
    findings = {provider: lint_wrapper(wrapper, provider) for provider in PROVIDER_CHECKS}
    counts = ", ".join(
        f"{len(found)} for {'OpenAI strict' if provider == 'openai' else 'llama.cpp'}"
        for provider, found in findings.items()
    )
    with st.container(key="schema-lint"), st.expander(f"🔎 Schema lint: {counts}"):
        tabs = st.tabs([*(PROVIDER_CHECKS[provider] for provider in findings), "Make strict"])
        for tab, (provider, found) in zip(tabs, findings.items(), strict=False):
            with tab:
                _finding_list(found, provider)
        with tabs[-1]:
            st.caption(
                "Fixed for OpenAI strict mode: the schema the strict option sends. Your models "
                "still validate every entity."
            )
            st.code(json.dumps(make_strict(wrapper.json_schema), indent=2), language="json")


def _finding_list(found: tuple[Finding, ...], provider: str) -> None:
    if not found:
        st.text(f"Nothing to report for {PROVIDER_CHECKS[provider]}.")
        return
    st.text(summary(found) + ".")
    for finding in found[:SHOWN_FINDINGS]:
        st.text(
            f"{finding.severity}  {finding.rule}  {finding.path}\n"
            f"{finding.message}\nfix: {finding.fix}"
        )
    if len(found) > SHOWN_FINDINGS:
        st.text(
            f"… and {len(found) - SHOWN_FINDINGS} more: `iterplay lint --provider {provider}` "
            "lists them all."
        )
