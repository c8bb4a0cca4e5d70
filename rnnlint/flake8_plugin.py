"""flake8 integration: `flake8 --select RNN` reports what `rnnlint check` reports.

flake8 hands each file over; the plugin lints it with the same engine (never importing torch)
and yields flake8's tuples: 1-based row, 0-based column (flake8 adds 1 itself).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator

from . import __version__


class RNNLintPlugin:
    name = "rnnlint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str) -> None:
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        from .static.engine import lint_file

        result = lint_file(Path(self.filename), self.filename)
        for d in result.diagnostics:
            if d.code == "RNN000":
                continue  # flake8 reports syntax errors itself (E999)
            yield d.row, d.column - 1, f"{d.code} {d.message}", type(self)
