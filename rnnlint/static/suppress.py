"""`# noqa` handling: a finding is dropped when its line says `# noqa` or names its code."""

from __future__ import annotations

import io
import re
import tokenize
from typing import Iterable, Optional

from ..diagnostic import Diagnostic

# Like flake8/ruff: `# noqa` alone silences every code, `# noqa: A1, B2` the named ones
# (codes or prefixes); the colon form with nothing after it silences everything.
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?", re.IGNORECASE)

Directives = dict[int, Optional[frozenset[str]]]  # row -> codes (None: all)


def noqa_directives(source: str) -> Directives:
    """Rows carrying a noqa comment, from real comment tokens (not strings that look like one)."""
    found: Directives = {}
    if "noqa" not in source.lower():
        return found
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        tokens = []
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        match = _NOQA.search(tok.string)
        if not match:
            continue
        codes = match.group("codes")
        found[tok.start[0]] = frozenset(c.upper() for c in re.split(r"[\s,]+", codes) if c) if codes else None
    return found


def is_suppressed(diag: Diagnostic, directives: Directives) -> bool:
    if diag.row not in directives:
        return False
    codes = directives[diag.row]
    return codes is None or any(diag.code.startswith(c) for c in codes)


def apply_noqa(source: str, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    diagnostics = list(diagnostics)
    if not diagnostics:
        return diagnostics
    directives = noqa_directives(source)
    return [d for d in diagnostics if not is_suppressed(d, directives)]
