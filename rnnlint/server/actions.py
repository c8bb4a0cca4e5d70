"""The edits behind the server's code actions: an autofix of `rnnlint.static.fix`, or a
`# noqa: CODE` comment on the finding's line. Rows and columns are rnnlint's (1-based,
characters); the protocol layer converts them."""

from __future__ import annotations

import io
import re
import tokenize
from typing import Optional, Sequence

from ..diagnostic import Diagnostic
from ..static.fix import FIXABLE, Edit, Fix, find_fixes

_NOQA_CODES = re.compile(r"#\s*noqa:\s*[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*", re.IGNORECASE)


def autofix(source: str, diagnostics: Sequence[Diagnostic], target: Diagnostic) -> Optional[Fix]:
    """The provable fix of `target`, one of the findings of `source`, if it has one."""
    if target.code not in FIXABLE:
        return None
    fixes = find_fixes(source, diagnostics, lambda d: d == target)
    return fixes[0] if fixes else None


def noqa_edit(source: str, target: Diagnostic) -> Optional[Edit]:
    """The edit that silences `target` with a `# noqa: CODE` comment at the end of its row (or
    adds the code to the row's noqa comment). None where a comment cannot go: the row ends
    inside a string or with a backslash, or a bare `# noqa` already silences everything."""
    lines = source.split("\n")
    if not 1 <= target.row <= len(lines):
        return None
    line = lines[target.row - 1].rstrip("\r")
    comment = _comment_of_row(source, target.row)
    if comment is False:
        return None
    if comment is not None:
        column, text = comment
        codes = _NOQA_CODES.search(text)
        if codes is not None:
            end = column + codes.end()
            return Edit(target.row, end + 1, target.row, end + 1, f", {target.code}")
        if re.search(r"#\s*noqa\b", text, re.IGNORECASE):
            return None  # a bare noqa: the finding is already silenced
        return Edit(target.row, column + 1, target.row, column + 1, f"# noqa: {target.code}  ")
    if line.rstrip().endswith("\\"):
        return None
    end = len(line.rstrip()) + 1
    return Edit(target.row, end, target.row, len(line) + 1, f"  # noqa: {target.code}")


def _comment_of_row(source: str, row: int) -> "tuple[int, str] | None | bool":
    """The row's comment (0-based column, text), None when it has none, False when the row
    ends inside a string that spans rows (nothing can be appended there)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return False
    for tok in tokens:
        if tok.type == tokenize.COMMENT and tok.start[0] == row:
            return tok.start[1], tok.string
        if tok.start[0] <= row < tok.end[0]:  # a string (or f-string part) running past the row
            return False
        if tok.start[0] > row:
            break
    return None
