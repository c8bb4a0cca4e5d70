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


LAYOUT = ("import torch\nimport torch.nn as nn\n\nseq_len, batch_size = 35, 16\nrnn = nn.GRU(8, 32, batch_first=True)\n"
          "x = torch.randn(seq_len, batch_size, 8)\n")


def test_a_swapped_layout_is_silent_only_without_a_state_of_the_real_batch(tmp_path: Path) -> None:
    """RNN004's message says what torch does in each case, and torch does it."""
    from rnnlint.static.engine import lint_source

    without = LAYOUT + "out, _ = rnn(x)\n"
    given = LAYOUT + "out, _ = rnn(x, make_state())\n"  # a state whose shape the analysis cannot see
    [silent] = lint_source(without, "m.py")
    [raises] = lint_source(given, "m.py")
    assert silent.code == raises.code == "RNN004"
    assert silent.actual.endswith("torch swaps time and batch silently")
    assert raises.actual.endswith("it raises if the hidden state given here has the real batch size 16 "
                                  "(and runs swapped silently if not)")
    scope: dict[str, object] = {}
    exec(LAYOUT, scope)  # noqa: S102 - our own snippet
    rnn, x = scope["rnn"], scope["x"]
    assert rnn(x)[0].shape == (35, 16, 32)  # type: ignore[operator]
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        rnn(x, torch.zeros(1, 16, 32))  # type: ignore[operator]
    assert rnn(x, torch.zeros(1, 35, 32))[0].shape == (35, 16, 32)  # type: ignore[operator]
