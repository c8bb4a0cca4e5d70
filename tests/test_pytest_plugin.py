"""The pytest plugin, run the way users run it: pytest in a fresh process on a small test suite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("torch")
from torch import nn  # noqa: E402

from rnnlint.runtime.patch import PatchedForward, guard_classes  # noqa: E402

MODELS = """
import pytest
import torch
from torch import nn

class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 5, batch_first=True)

    def forward(self, x, h=None):
        return self.rnn(x, hx=h)[0]

BUILT_AT_IMPORT = Encoder()
BATCH_FIRST_H = (torch.zeros(4, 1, 5), torch.zeros(4, 1, 5))
"""


def _pytest(tmp_path: Path, files: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    command = [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", *args]
    env = {**os.environ, "COLUMNS": "500"}  # summary lines are cut to the terminal's width
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)


def _line(output: str, test: str) -> str:
    """pytest's -rA summary line of one test."""
    return next(line for line in output.splitlines() if f"::{test}" in line and line.split()[0].isupper())


def test_off_the_plugin_is_loaded_and_imports_no_torch(tmp_path: Path) -> None:
    done = _pytest(tmp_path, {"test_plain.py": """
        import sys

        def test_plain(request):
            assert request.config.pluginmanager.has_plugin("rnnlint")
            assert "torch" not in sys.modules
            assert not any(name.startswith("rnnlint.runtime.") and name != "rnnlint.runtime.pytest_plugin"
                           for name in sys.modules)
        """})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rnnlint: guarding" not in done.stdout


def test_rnn_guard_option_guards_every_rnn_call(tmp_path: Path) -> None:
    done = _pytest(tmp_path, {"models.py": MODELS, "test_session.py": """
        import torch
        from models import BUILT_AT_IMPORT, BATCH_FIRST_H, Encoder

        def test_keyword_hx_is_checked():
            Encoder()(torch.randn(2, 4, 3), BATCH_FIRST_H)

        def test_module_built_before_the_session():
            BUILT_AT_IMPORT(torch.randn(2, 4, 7))

        def test_valid_call_passes():
            assert Encoder()(torch.randn(2, 4, 3)).shape == (2, 4, 5)
        """}, "--rnn-guard")
    assert "rnnlint: guarding RNN calls" in done.stdout
    assert "RNNShapeError: RNN005 hidden-shape-mismatch: LSTM(3, 5, batch_first=True)" in _line(
        done.stdout, "test_keyword_hx_is_checked")
    assert "RNNShapeError: RNN001" in _line(done.stdout, "test_module_built_before_the_session")
    assert _line(done.stdout, "test_valid_call_passes").startswith("PASSED")


def test_ini_strict_raises_on_missing_batch_dim(tmp_path: Path) -> None:
    done = _pytest(tmp_path, {"models.py": MODELS, "pytest.ini": "[pytest]\nrnn_guard_strict = true\n",
                              "test_strict.py": """
        import torch
        from models import Encoder

        def test_unbatched_input_to_batch_first():
            Encoder()(torch.randn(4, 3))
        """})
    assert "rnnlint: guarding RNN calls (strict)" in done.stdout
    assert "RNNShapeError: RNN002" in _line(done.stdout, "test_unbatched_input_to_batch_first")


def test_marker_and_fixture_guard_single_tests(tmp_path: Path) -> None:
    done = _pytest(tmp_path, {"models.py": MODELS, "test_single.py": """
        import pytest
        import torch
        from models import BATCH_FIRST_H, Encoder

        @pytest.mark.rnn_guard
        def test_marked():
            Encoder()(torch.randn(2, 4, 3), BATCH_FIRST_H)

        def test_unmarked_gets_torchs_error():
            Encoder()(torch.randn(2, 4, 3), BATCH_FIRST_H)

        @pytest.mark.rnn_guard(strict=True)
        def test_marked_strict():
            Encoder()(torch.randn(4, 3))

        def test_fixture_names_module_paths(rnn_guard):
            model = rnn_guard(Encoder())
            model(torch.randn(2, 4, 3), BATCH_FIRST_H)

        def test_fixture_guards_unnamed_modules_too(rnn_guard):
            torch.nn.GRU(3, 5)(torch.randn(2, 4, 7))
        """}, "--strict-markers")
    assert "RNNShapeError: RNN005" in _line(done.stdout, "test_marked")
    unmarked = _line(done.stdout, "test_unmarked_gets_torchs_error")
    assert "RuntimeError: Expected hidden[0] size" in unmarked
    assert "RNNShapeError: RNN002" in _line(done.stdout, "test_marked_strict")
    named = _line(done.stdout, "test_fixture_names_module_paths")
    assert "RNNShapeError: RNN005 hidden-shape-mismatch: rnn = LSTM" in named
    assert "RNNShapeError: RNN001" in _line(done.stdout, "test_fixture_guards_unnamed_modules_too")


def test_class_guard_nests_and_restores_exactly() -> None:
    originals = {cls: cls.__dict__["forward"] for cls in (nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell)}
    outer = guard_classes()
    first = nn.LSTM.__dict__["forward"]
    inner = guard_classes(strict=True)
    second = nn.LSTM.__dict__["forward"]
    assert isinstance(second, PatchedForward) and second.checker.strict
    assert second.original is first.original is originals[nn.LSTM]  # never a patch around a patch
    inner()
    assert nn.LSTM.__dict__["forward"] is first
    outer()
    assert {cls: cls.__dict__["forward"] for cls in originals} == originals


def test_patched_forward_keeps_the_results() -> None:
    import torch

    torch.manual_seed(0)
    lstm, x = nn.LSTM(3, 5), torch.randn(4, 2, 3)
    expected = lstm(x)[0]
    restore = guard_classes()
    try:
        assert torch.equal(lstm(x)[0], expected)
        assert torch.equal(lstm.forward(x)[0], expected)
    finally:
        restore()
