"""What linting one file gives: its findings, or the internal error that cost them; and the one
RNN000 finding a file that cannot be read, decoded or parsed gets."""

from __future__ import annotations

import errno
from dataclasses import field, replace
from typing import Optional

from ..diagnostic import Diagnostic
from ..records import record


@record(frozen=True)
class Stop:
    """Where and why the analysis of a file stopped before its end (its findings are kept)."""

    row: int
    reason: str
    cell: Optional[int] = None  # for a notebook, the cell `row` is counted in

    def warning(self, path: str) -> str:
        at = f"cell {self.cell}, line {self.row}" if self.cell is not None else f"line {self.row}"
        return f"{path}: the analysis stopped early at {at} ({self.reason}); findings past it may be missing"


@record
class FileResult:
    """What the analysis of one file found."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: Optional[str] = None  # an internal error (a bug in rnnlint), reported with exit code 2
    stopped: Optional[Stop] = None  # the analysis stopped early: a warning, not an error


def syntax_error(path: str, row: int, column: int, message: str) -> Diagnostic:
    row, column = max(row, 1), max(column, 1)
    return Diagnostic(path, row, column, row, column + 1, "RNN000", f"cannot parse the file: {message}", "error",
                      expected="valid Python", actual=message, hint="fix the syntax error; nothing else was checked")


def unreadable(shown: str, exc: OSError) -> FileResult:
    """The one finding of a file that cannot be read (or is too big to read)."""
    if exc.errno == errno.EFBIG:
        return FileResult(shown, [replace(syntax_error(shown, 1, 1, f"the file is too large to check ({exc.strerror})"),
                                          hint="nothing in it was checked; a file this big is generated data")])
    return FileResult(shown, [syntax_error(shown, 1, 1, f"cannot read the file ({exc.strerror or exc})")])
