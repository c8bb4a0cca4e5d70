"""A rule's documentation as Markdown, with ruff's headings, from its catalog entry."""

from __future__ import annotations

from ..rules import Rule

_SEEN_BY = {
    "both": "the static checker and the runtime guard",
    "static": "the static checker only",
    "runtime": "the runtime guard only",
}


def markdown(rule: Rule) -> str:
    return (
        f"# {rule.name} ({rule.code})\n\n"
        f"Severity: {rule.severity}. Seen by {_SEEN_BY[rule.scope]}.\n\n"
        f"## What it does\n{rule.summary}\n\n"
        f"## Why is this bad?\n{rule.why}\n\n"
        f"## Example\n```python\n{rule.bad.rstrip()}\n```\n\n"
        f"## Use instead\n```python\n{rule.fixed.rstrip()}\n```\n\n"
        f"## What torch does\n{rule.torch}\n"
    )
