"""Zero false positives and zero crashes on real trees: torch's own sources (which build and
call RNNs everywhere) and the standard library (which holds files that do not parse)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections import Counter
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")


def _check(target: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", "--output-format", "json",
                           str(target)], cwd=tmp_path, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_torch_sources_lint_clean(tmp_path: Path) -> None:
    tree = Path(os.path.dirname(torch.__file__))
    assert len(list(tree.rglob("*.py"))) > 2000
    proc = _check(tree, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == []
    assert proc.stderr == ""


@pytest.mark.slow
def test_stdlib_has_only_syntax_error_findings(tmp_path: Path) -> None:
    proc = _check(Path(sysconfig.get_paths()["stdlib"]), tmp_path)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    findings = json.loads(proc.stdout)
    assert all(f["code"] == "RNN000" for f in findings)
    assert all(n == 1 for n in Counter(f["filename"] for f in findings).values())
