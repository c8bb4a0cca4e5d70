"""The one finding type every output format renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from . import rules


@dataclass(frozen=True)
class Diagnostic:
    """A finding at a 1-based (row, column) range of a file.

    `message` is rendered from `expected`, `actual` and `hint`, which JSON and SARIF consumers
    also get as structured fields. `cell` is the notebook cell (1-based) for .ipynb files, with
    rows counted inside the cell.
    """

    path: str
    row: int
    column: int
    end_row: int
    end_column: int
    code: str
    message: str
    severity: str
    expected: str = ""
    actual: str = ""
    hint: str = ""
    cell: Optional[int] = None
    explain: tuple[str, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        rule = rules.get(self.code)
        return rule.name if rule else ""

    @property
    def url(self) -> str:
        rule = rules.get(self.code)
        return rule.url if rule else ""

    def sort_key(self) -> tuple:
        return (self.path, self.cell or 0, self.row, self.column, self.code)

    def to_dict(self) -> dict:
        return {
            "path": self.path, "row": self.row, "column": self.column, "end_row": self.end_row,
            "end_column": self.end_column, "code": self.code, "message": self.message,
            "severity": self.severity, "expected": self.expected, "actual": self.actual,
            "hint": self.hint, "cell": self.cell, "explain": list(self.explain),
        }

    @staticmethod
    def from_dict(d: dict) -> "Diagnostic":
        return Diagnostic(**{**d, "explain": tuple(d.get("explain", ()))})
