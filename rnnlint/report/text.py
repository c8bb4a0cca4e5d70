"""`path:row:col: CODE message`, as ruff and flake8 print it (with --explain, the facts behind
each finding indented below it), then a summary line."""

from __future__ import annotations

from collections import Counter
from typing import Sequence, TextIO

from ..diagnostic import Diagnostic
from . import Options, printable

_STYLES = {"path": "1", "error": "1;31", "warning": "1;33", "ok": "1;32"}


def _paint(text: str, style: str, color: bool) -> str:
    return f"\033[{_STYLES[style]}m{text}\033[0m" if color else text


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary(diagnostics: Sequence[Diagnostic], failures: int = 0, color: bool = False, linted: int = -1) -> str:
    """ruff's closing line; `failures` counts paths that could not be checked at all, `linted`
    the files that were (-1: not known)."""
    if linted == 0 and not failures:
        return _paint("No files were linted.", "warning", color)
    if not diagnostics and not failures:
        return _paint("All checks passed!", "ok", color)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    parts = [_plural(n, word) for n, word in ((errors, "error"), (warnings, "warning")) if n]
    line = f"Found {' and '.join(parts)}" if parts else "No findings"
    if failures:
        line += f", but {_plural(failures, 'path')} could not be checked (see the errors above)"
    return line + "."


def statistics(diagnostics: Sequence[Diagnostic], color: bool = False) -> list[str]:
    """One line per code, most frequent first: count, code, name."""
    counts = Counter(d.code for d in diagnostics)
    first: dict[str, Diagnostic] = {}
    for d in diagnostics:
        first.setdefault(d.code, d)
    width = len(str(max(counts.values(), default=0)))
    return [
        f"{n:>{width}}  {_paint(code, first[code].severity, color)}  {first[code].name}"
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def emit(diagnostics: Sequence[Diagnostic], out: TextIO, options: Options) -> None:
    if options.statistics:
        lines = statistics(diagnostics, options.color)
    else:
        lines = []
        for d in diagnostics:
            cell = f"cell {d.cell}:" if d.cell is not None else ""  # a notebook's, as ruff writes it
            lines.append(f"{_paint(printable(d.path), 'path', options.color)}:{cell}{d.row}:{d.column}: "
                         f"{_paint(d.code, d.severity, options.color)} {printable(d.message, text=True)}")
            if options.explain:
                lines.extend(f"    {printable(fact.text(), text=True)}" for fact in d.explain)
    if not options.quiet:
        if options.fixed:
            lines.append(f"Fixed {_plural(options.fixed, 'finding')}.")
        lines.append(summary(diagnostics, options.failures, options.color, options.linted))
    out.write("".join(line + "\n" for line in lines))
