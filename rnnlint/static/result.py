"""What linting one file gives: its findings, or the internal error that cost them; and the one
RNN000 finding a file that cannot be read, decoded or parsed gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ..diagnostic import Diagnostic


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: Optional[str] = None  # an internal error (a bug in rnnlint), reported with exit code 2


def syntax_error(path: str, row: int, column: int, message: str) -> Diagnostic:
    row, column = max(row, 1), max(column, 1)
    return Diagnostic(path, row, column, row, column + 1, "RNN000", f"cannot parse the file: {message}", "error",
                      expected="valid Python", actual=message, hint="fix the syntax error; nothing else was checked")
