"""Every fixture is linted and its findings must equal its in-line `# expect:` marks exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixture_marks import FIXTURES, expected_marks, fixture_files
from rnnlint.static.engine import lint_file


@pytest.fixture(scope="module")
def findings() -> dict[str, set[tuple[int, str]]]:
    """Lint every fixture; a finding inside an imported fixture counts for that file."""
    by_file: dict[str, set[tuple[int, str]]] = {}
    for path in fixture_files():
        result = lint_file(path, str(path))
        assert result.error is None, result.error
        by_file.setdefault(str(path.resolve()), set())
        for diag in result.diagnostics:
            by_file.setdefault(str(Path(diag.path).resolve()), set()).add((diag.row, diag.code))
    return by_file


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_findings_match_marks(path: Path, findings: dict[str, set[tuple[int, str]]]) -> None:
    assert findings[str(path.resolve())] == expected_marks(path)
