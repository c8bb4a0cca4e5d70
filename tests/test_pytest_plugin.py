"""The pytest plugin, run the way users run it: pytest in a fresh process on a small test suite."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("torch")
from torch import nn  # noqa: E402

import test_runtime_agreement as agreement  # noqa: E402
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


def _suite_expecting_torchs_errors() -> tuple[str, int]:
    """A test file a user could have written before the guard: each bad call of the agreement
    table that torch rejects with a RuntimeError or a ValueError, inside `pytest.raises` of that
    type. Each test also says whether the error it got was the guard's."""
    helpers = "\n\n".join(inspect.getsource(f) for f in (agreement.pack, agreement.with_attr, agreement.in_autocast))
    tests = []
    for case, _, module_src, call_src in agreement.RAISING:
        error = agreement._outcome(module_src, call_src, guard=False)
        if type(error) in (RuntimeError, ValueError):
            tests.append(f"""
def test_{case}(request):
    m = {module_src}
    with pytest.raises({type(error).__name__}) as info:
        {call_src}
    assert (type(info.value).__name__ == "RNNShapeError") == request.config.getoption("rnn_guard")
""")
    header = ("from typing import Any\n\nimport pytest\nimport torch\nfrom torch import nn\n"
              "from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence\n\n")
    return header + helpers + "\n" + "".join(tests), len(tests)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_suite_expecting_torchs_errors_passes_the_same_with_and_without_the_guard(tmp_path: Path) -> None:
    suite, count = _suite_expecting_torchs_errors()
    assert count >= 60  # most bad calls: torch raises RuntimeError (sizes), ValueError (ranks, dtypes)
    for args in ((), ("--rnn-guard",)):
        done = _pytest(tmp_path, {"test_bad_calls.py": suite}, "-q", "-W", "ignore::UserWarning", *args)
        assert done.returncode == 0, done.stdout[-3000:]
        assert f"{count} passed" in done.stdout.splitlines()[-1]


def _failures(output: str) -> dict[str, str]:
    """Each failed test's section of pytest's FAILURES report."""
    parts = re.split(r"^_{3,} (\w+) _{3,}$", output.split("= FAILURES =", 1)[1].split("short test summary")[0],
                     flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2]))


def test_a_guard_failure_ends_at_the_users_call(tmp_path: Path) -> None:
    done = _pytest(tmp_path, {"test_fails.py": """
        import rnnlint
        import torch
        from torch import nn

        def test_session_guard():
            nn.GRU(3, 5)(torch.randn(4, 2, 7))

        def test_model_guard():
            model = rnnlint.guard(nn.Sequential(nn.GRU(3, 5)))
            model[0](torch.randn(4, 2, 7))

        def test_torchs_own_error():
            nn.GRU(3, 5)(torch.randn(0, 2, 3))  # an empty sequence: no rule, torch raises
        """}, "--rnn-guard")
    assert done.returncode == 1
    failures = _failures(done.stdout)
    for test, call in [("test_session_guard", "nn.GRU(3, 5)(torch.randn(4, 2, 7))"),
                       ("test_model_guard", "model[0](torch.randn(4, 2, 7))")]:
        frames = re.findall(r"^(\S+):\d+: ", failures[test], flags=re.MULTILINE)
        assert frames == ["test_fails.py"], failures[test]  # the user's frame alone: no rnnlint, no torch
        assert f">       {call}\nE       rnnlint.RNNShapeError: RNN001" in failures[test]
    # any other error keeps every frame (a bug in rnnlint would show its own)
    assert f"torch{os.sep}nn{os.sep}modules{os.sep}rnn.py" in failures["test_torchs_own_error"]
