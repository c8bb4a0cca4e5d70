"""A JSON array with ruff's keys (see rules.md), plus the structured expected/actual/hint."""

from __future__ import annotations

import json
from typing import Any, Sequence, TextIO

from ..diagnostic import Diagnostic
from . import Options


def as_dict(d: Diagnostic, explain: bool = False) -> dict[str, Any]:
    """Rows in a notebook count inside the cell named by `cell` (ruff's key), which only
    notebook findings carry; `explain` lists the facts behind the finding, when asked for."""
    item = {
        "code": d.code,
        "name": d.name,
        "severity": d.severity,
        "message": d.message,
        "filename": d.path,
        "location": {"row": d.row, "column": d.column},
        "end_location": {"row": d.end_row, "column": d.end_column},
        "url": d.url,
        "fix": None,
        "expected": d.expected,
        "actual": d.actual,
        "hint": d.hint,
    }
    if d.cell is not None:
        item["cell"] = d.cell
    if explain:
        item["explain"] = [f.to_dict() for f in d.explain]
    return item


def emit(diagnostics: Sequence[Diagnostic], out: TextIO, options: Options) -> None:
    json.dump([as_dict(d, options.explain) for d in diagnostics], out, indent=2)
    out.write("\n")
