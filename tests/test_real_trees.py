"""Zero false positives and zero crashes on real trees: torch's own sources (which build and
call RNNs everywhere) and the standard library (which holds files that do not parse).

The prefilter skips every file that cannot name an RNN, so on the standard library `rnnlint
check` parses nothing; one more test forces every step (decode, both parsers, the interpreter)
over a deterministic share of the standard library's files.
"""

from __future__ import annotations

import ast

import json
import os
import subprocess
import sys
import sysconfig
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Optional

import pytest

from rnnlint.config import Config
from rnnlint.static import engine, prefilter
from rnnlint.static.discover import discover
from rnnlint.static.runner import run

torch = pytest.importorskip("torch")

TORCH = Path(os.path.dirname(torch.__file__))
STDLIB = Path(sysconfig.get_paths()["stdlib"])
# every Nth standard library file gets the full analysis (RNNLINT_STDLIB_SHARE=1: all of them)
SHARE = int(os.environ.get("RNNLINT_STDLIB_SHARE", "4"))


def _check(target: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", "--output-format", "json",
                           str(target)], cwd=tmp_path, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_torch_sources_lint_clean(tmp_path: Path) -> None:
    tree = TORCH
    assert len(list(tree.rglob("*.py"))) > 2000
    proc = _check(tree, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == []
    assert proc.stderr == ""


@pytest.mark.slow
def test_torch_sources_are_really_read() -> None:
    """The clean verdict covers files that build and call RNNs: rnn.py itself, the quantized
    RNNs, the packing utilities, are all past the prefilter and analyzed."""
    result = run([str(TORCH)], Config(), use_cache=False)
    assert len(result.files) > 2000 and not result.errors and not result.diagnostics
    analyzed, dropped_code = set(), []
    for path, _ in discover([str(TORCH)], Config()).files:
        data = path.read_bytes()
        if prefilter.may_matter(data, path):
            analyzed.add(path.relative_to(TORCH).as_posix())
            continue
        # the bytes test drops no file whose code (by the ast) builds, calls or subclasses an RNN
        source = engine.decode(data)
        tree = engine.parse_ast(source, str(path))
        if isinstance(tree, ast.Module) and prefilter.relevance(tree, source).any_code:
            dropped_code.append(path)
    assert dropped_code == []
    assert {"nn/modules/rnn.py", "nn/utils/rnn.py", "ao/nn/quantized/dynamic/modules/rnn.py",
            "ao/nn/quantizable/modules/rnn.py", "testing/_internal/common_modules.py"} <= analyzed


@pytest.mark.slow
def test_stdlib_has_only_syntax_error_findings(tmp_path: Path) -> None:
    proc = _check(STDLIB, tmp_path)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    findings = json.loads(proc.stdout)
    assert all(f["code"] == "RNN000" for f in findings)
    assert all(n == 1 for n in Counter(f["filename"] for f in findings).values())


def _python_refuses(path: Path) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(engine.decode(path.read_bytes()), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError, UnicodeError, LookupError):
        return True
    return False


def _everything(tree: object, source: str, imported: frozenset[str] = frozenset()) -> prefilter.Relevance:
    defs = frozenset(range(sum(isinstance(s, prefilter.DEFS) for s in tree.body)))  # type: ignore[attr-defined]
    return prefilter.Relevance(defs, defs, True, frozenset(range(len(tree.body))))  # type: ignore[attr-defined]


def _analyze(path: Path) -> tuple[str, list[str], Optional[str]]:
    result = engine.lint_bytes(path.read_bytes(), str(path), path)
    return str(path), [d.code for d in result.diagnostics], result.error


@pytest.mark.slow
def test_stdlib_through_every_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the prefilter open, each chosen file is decoded, parsed by both parsers and walked
    by the interpreter as if it held RNN code: no internal error, no finding but RNN000, and
    RNN000 only on files Python itself refuses (all of which are chosen)."""
    files = [p for p, _ in discover([str(STDLIB)], Config()).files if p.suffix == ".py"]
    refused = {p for p in files if _python_refuses(p)}
    chosen = sorted(set(files[::SHARE]) | refused)
    assert len(refused) >= 5 and len(chosen) >= len(files) // SHARE
    monkeypatch.setattr(engine, "may_matter", lambda data, real=None: True)
    monkeypatch.setattr(engine, "relevance", _everything)
    import multiprocessing

    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    if context is None:
        outcomes = list(map(_analyze, chosen))
    else:  # the workers are forks of this process: they see the open prefilter
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=context) as pool:
            outcomes = list(pool.map(_analyze, chosen, chunksize=8))
    errors = [error for _, _, error in outcomes if error is not None]
    assert not errors, errors[:10]
    findings = {path: codes for path, codes, _ in outcomes if codes}
    assert all(codes == ["RNN000"] for codes in findings.values()), findings
    assert {Path(p) for p in findings} <= refused, sorted(set(map(Path, findings)) - refused)
