"""``iterplay lint``: the findings for a schema's wrapper, as a readable list or JSON.

Exit status 0 when there is nothing to report, 1 with findings, 2 on an error (one
``{"type": "error", "kind", "message"}`` line on stdout, as ``extract`` writes it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from iterplay.errors import FailureKind, IterplayError, SchemaError
from iterplay.lint import ENFORCING_MODES, RULES, Finding, Severity, lint_wrapper
from iterplay.records import error_record
from iterplay.wording import counted

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

LINT_EPILOG = (
    "output: per finding its severity, rule id, JSON Pointer into the wrapper schema, one\n"
    "sentence and a fix; with --json a list of {rule, severity, path, message, fix} objects.\n"
    'exit status: 0 clean, 1 with findings, 2 on an error (one {"type": "error"} line).\n'
    "\nrules:\n" + "".join(f"  {rule.id:<30} {rule.summary}\n" for rule in RULES)
)

PROVIDER_CHECKS = {
    "openai": "OpenAI strict mode",
    "llama_cpp": "llama.cpp's grammar (the embedded model)",
}


def run_lint(args: argparse.Namespace, output: Any) -> int:
    from iterplay.cli import _load_wrapper

    try:
        _, wrapper = _load_wrapper(args.schema, args.target)
    except SchemaError as error:
        output.write(error_record(FailureKind.SCHEMA, f"{args.schema}: {error}"))
        return EXIT_ERROR
    except (OSError, IterplayError) as error:
        output.write(error_record(FailureKind.INPUT, str(error)))
        return EXIT_ERROR
    if args.mode is not None and args.mode not in ENFORCING_MODES[args.provider]:
        print(
            f"note: in {args.mode} mode the schema reaches {args.provider} only as text in the "
            "prompt, so nothing of it is enforced and there is nothing to lint.",
            file=sys.stderr,
        )
    findings = lint_wrapper(wrapper, args.provider, args.mode)
    if args.json:
        output.text(json.dumps([f.to_dict() for f in findings], ensure_ascii=False) + "\n")
    else:
        output.text(render_findings(findings, wrapper.name, args.provider))
    return EXIT_FINDINGS if findings else EXIT_CLEAN


def render_findings(findings: Sequence[Finding], name: str, provider: str) -> str:
    """One block per finding (severity, rule, path; message; fix), then a summary line."""
    checks = PROVIDER_CHECKS[provider]
    if not findings:
        return f"No findings: `{name}` is ready for {checks}.\n"
    blocks = [
        f"{finding.severity:<7} {finding.rule}  {finding.path}\n"
        f"  {finding.message}\n"
        f"  fix: {finding.fix}\n"
        for finding in findings
    ]
    return "\n".join(blocks) + f"\n{summary(findings)} for `{name}` with {checks}.\n"


def summary(findings: Sequence[Finding]) -> str:
    """``3 findings (2 errors, 1 warning)``."""
    counts = [
        counted(sum(1 for f in findings if f.severity is severity), severity.value)
        for severity in Severity
    ]
    parts = ", ".join(count for count in counts if not count.startswith("0 "))
    return f"{counted(len(findings), 'finding')} ({parts})"
