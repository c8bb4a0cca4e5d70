"""flake8 integration: `flake8 --select RNN` reports what `rnnlint check` reports.

flake8 hands each file over as lines (from disk, stdin or an editor's unsaved buffer); the
plugin lints those lines with the same engine (never importing torch), resolves sibling imports
and `[tool.rnnlint]` (select, ignore, per-file-ignores) as if the text were at `filename`, and
yields flake8's tuples: 1-based row, 0-based column (flake8 adds 1 itself). A config error or a
bug in rnnlint becomes an RNN000 finding on line 1: never silence.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, Sequence

from . import __version__

Finding = tuple[int, int, str, type]


class RNNLintPlugin:
    name = "rnnlint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[Finding]:
        try:
            found = self._findings()
        except Exception as exc:  # a bug in rnnlint: shown, not swallowed by flake8
            found = [self._error(f"internal error: {type(exc).__name__}: {exc}")]
        yield from found

    def _findings(self) -> list[Finding]:
        from .config import ConfigError, load
        from .static.engine import lint_guarded
        from .static.prefilter import may_matter

        path = Path(self.filename)
        try:
            config = load(cwd=path.absolute().parent)
        except ConfigError as exc:
            return [self._error(f"config error: {exc}")]
        source = "".join(self.lines)
        if not may_matter(source.encode("utf-8", "surrogatepass"), path):
            return []
        result = lint_guarded(source, self.filename, path)
        if result.error is not None:
            return [self._error(result.error)]
        return [
            (d.row, d.column - 1, f"{d.code} {d.message}", type(self))
            for d in result.diagnostics
            # flake8 reports syntax errors itself (E999); a finding in an imported file is
            # reported when flake8 reaches that file
            if d.code != "RNN000" and d.path == self.filename and config.enabled(d.code, path)
        ]

    def _error(self, message: str) -> Finding:
        return 1, 0, f"RNN000 rnnlint {message}", type(self)
