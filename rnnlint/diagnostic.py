"""The one finding type every output format renders."""

from __future__ import annotations

from dataclasses import field
from typing import Optional

from . import rules
from .records import record


@record(frozen=True)
class Fact:
    """One fact a finding rests on (`--explain`): a `value` ("input_size=32", "input shape
    (8, 20, 48)", "self.lstm is nn.LSTM(32, 64)") and where it came from: `origin` as text,
    and the `file` and `line` (and notebook `cell`) that text names, when it names one.

    Kinds: "module" (the RNN and where it is built), "size" (a constructor size), "input",
    "state" (a hidden state), "value" (an indexed output), "layout", "call" (a call on the way
    to the finding, outermost first)."""

    kind: str
    value: str
    origin: str = ""
    file: Optional[str] = None
    line: Optional[int] = None
    cell: Optional[int] = None

    def place(self) -> str:
        """`file, line N` (`file, cell C, line N` in a notebook), or "" without a line."""
        if self.line is None:
            return ""
        return f"{self.file}, " + (f"cell {self.cell}, " if self.cell is not None else "") + f"line {self.line}"

    def text(self) -> str:
        """As --explain prints it: the value, its origin, and the file the origin's line is in."""
        if self.kind == "call":
            return f"reached through {self.value} ({self.place()})"
        if self.kind == "layout":
            return self.value
        joined = f"{self.value}, built {self.origin}" if self.kind == "module" else \
            f"{self.value}: {self.origin}" if self.origin else self.value
        return joined + (f" ({self.file})" if self.line is not None and self.kind != "call" else "")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "origin": self.origin, "file": self.file, "line": self.line,
                "cell": self.cell}


@record(frozen=True)
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
    explain: tuple[Fact, ...] = field(default=(), compare=False)

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
            "hint": self.hint, "cell": self.cell, "explain": [f.to_dict() for f in self.explain],
        }

    @staticmethod
    def from_dict(d: dict) -> "Diagnostic":
        return Diagnostic(**{**d, "explain": tuple(Fact(**f) for f in d.get("explain", ()))})
