"""The pytest plugin where torch cannot be imported: off it costs nothing, on it is a usage error
that says to install torch (never an INTERNALERROR traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL_TORCH = "rnnlint's RNN guard needs torch, which cannot be imported (No module named 'torch'): pip install torch"


def _pytest_without_torch(tmp_path: Path, tests: str, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh process whose `import torch` fails as it does where torch is not installed."""
    shim = tmp_path / "shim"
    shim.mkdir(parents=True)
    (shim / "torch.py").write_text("raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_suite.py").write_text(textwrap.dedent(tests))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shim), str(ROOT)]), "COLUMNS": "500"}
    return subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", *args],
                          cwd=suite, capture_output=True, text=True, timeout=300, env=env)


PLAIN = """
    def test_plain():
        import pytest
        with pytest.raises(ImportError):
            import torch
"""


def test_rnn_guard_without_torch_is_a_usage_error_naming_pip_install_torch(tmp_path: Path) -> None:
    for option in ("--rnn-guard", "--rnn-guard-strict"):
        done = _pytest_without_torch(tmp_path / option.strip("-"), PLAIN, option)
        assert done.returncode == 4, done.stdout + done.stderr  # pytest's ExitCode.USAGE_ERROR
        assert f"ERROR: {INSTALL_TORCH}" in done.stderr
        assert "INTERNALERROR" not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_without_torch_the_plugin_off_changes_nothing_and_a_guarded_test_says_why_it_failed(tmp_path: Path) -> None:
    done = _pytest_without_torch(tmp_path, PLAIN + """
    import pytest

    @pytest.mark.rnn_guard
    def test_marked():
        pass

    def test_fixture(rnn_guard):
        pass
    """)
    assert done.returncode == 1, done.stdout + done.stderr
    summary = done.stdout.splitlines()
    assert "PASSED test_suite.py::test_plain" in summary
    assert f"FAILED test_suite.py::test_marked - pytest.UsageError: {INSTALL_TORCH}" in summary
    assert f"ERROR test_suite.py::test_fixture - pytest.UsageError: {INSTALL_TORCH}" in summary
