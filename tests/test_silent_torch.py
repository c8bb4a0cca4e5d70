"""The silent bugs are real: each buggy fixture runs under torch without any error, yet its
`result` differs from the fixed fixture's (another shape, or other numbers)."""

from __future__ import annotations

import runpy
import warnings
from pathlib import Path

import pytest

from fixture_marks import FIXTURES, expected_marks
from rnnlint import rules

torch = pytest.importorskip("torch")

PAIRS = sorted(p for p in (FIXTURES / "silent").glob("*_bug.py"))


def _result(path: Path) -> "torch.Tensor":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runpy.run_path(str(path), run_name="__main__")["result"]


@pytest.mark.parametrize("bug", PAIRS, ids=lambda p: p.stem)
def test_silent_bug_runs_but_computes_something_else(bug: Path) -> None:
    codes = {code for _, code in expected_marks(bug)}
    assert codes and all(rules.BY_CODE[c].severity == "warning" for c in codes)
    fixed = bug.with_name(bug.name.replace("_bug.py", "_fixed.py"))
    assert not expected_marks(fixed)
    wrong, right = _result(bug), _result(fixed)
    assert wrong.shape != right.shape or not torch.allclose(wrong, right)
