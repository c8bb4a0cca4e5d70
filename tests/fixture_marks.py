"""Reading the in-line expectations of fixtures: `# expect: RNN001` (or several codes,
comma-separated) on the line where a finding must be reported."""

from __future__ import annotations

import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIX = FIXTURES / "fix"  # before/after pairs of --fix (tests/test_fix.py): findings, but no marks
_MARK = re.compile(r"#\s*expect:\s*(?P<codes>RNN\d{3}(?:\s*,\s*RNN\d{3})*)")


def expected_marks(path: Path) -> set[tuple[int, str]]:
    marks: set[tuple[int, str]] = set()
    for row, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _MARK.search(line)
        if match:
            marks.update((row, code.strip()) for code in match.group("codes").split(","))
    return marks


def fixture_files() -> list[Path]:
    """The marked fixtures: every program under fixtures/ but the before/after pairs of --fix."""
    return sorted(p for p in FIXTURES.rglob("*.py") if FIX not in p.parents)
