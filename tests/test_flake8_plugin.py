"""Real flake8, with the plugin installed through its entry point, reports the same findings
as the linter on the fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixture_marks import FIXTURES, fixture_files
from rnnlint.static.engine import lint_file

pytest.importorskip("flake8")


@pytest.mark.slow
def test_flake8_select_rnn_matches_rnnlint() -> None:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "RNN", "--format", "%(path)s:%(row)d:%(col)d:%(code)s",
                           "--extend-exclude", "fix", "."],
                          cwd=FIXTURES, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    reported = set()
    for line in proc.stdout.splitlines():
        path, row, col, code = line.rsplit(":", 3)
        reported.add((str((FIXTURES / path).resolve()), int(row), int(col), code))
    expected = set()
    for path in fixture_files():
        for d in lint_file(path, str(path)).diagnostics:
            if Path(d.path).resolve() == path.resolve():
                expected.add((str(path.resolve()), d.row, d.column, d.code))
    assert reported == expected and expected
