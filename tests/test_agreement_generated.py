"""Differential test: generated programs run under torch, the linter and the guard must agree.

- torch raises => the linter reports the injected code (error severity) on the line torch
  fails at, and the guard raises RNNShapeError with that code before torch does;
- the program has no bug => no finding and no guard error;
- an injected silent bug (torch runs) => the linter reports it on its line.
RNNLINT_FUZZ_COUNT sets how many programs (default 300); the seed range is fixed.
"""

from __future__ import annotations

import os
import traceback
import warnings
from typing import Optional

import pytest

from generated_programs import RAISING, SILENT, Program, generate
from rnnlint.static.engine import lint_source

torch = pytest.importorskip("torch")
from rnnlint.runtime.calls import RNNShapeError  # noqa: E402  (needs torch)
from rnnlint.runtime.patch import guard_classes  # noqa: E402

COUNT = int(os.environ.get("RNNLINT_FUZZ_COUNT", "300"))
NAME = "<program>"


def _run(source: str) -> tuple[Optional[BaseException], int]:
    """Execute in a fresh namespace: the exception (if any) and the program line it came from."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(source, NAME, "exec"), {"__name__": "__main__"})
    except Exception as exc:  # the injected bug, which is what we look for
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == NAME]
        return exc, (lines[-1] if lines else 0)
    return None, 0


def _guarded(source: str) -> tuple[Optional[BaseException], int]:
    restore = guard_classes(strict=False)
    try:
        return _run(source)
    finally:
        restore()


def check(program: Program) -> None:
    findings = lint_source(program.source, "program.py")
    raised, line = _run(program.source)
    where = f"\n{program.description}\n{program.source}\nfindings: {[(d.row, d.code) for d in findings]}"
    if raised is not None:
        assert program.bug in RAISING, f"torch raised {raised!r} on a program without a raising bug{where}"
        assert line == program.line, f"torch failed on line {line}, not {program.line}{where}"
        assert any(d.code == program.bug and d.severity == "error" and d.row == line for d in findings), \
            f"the linter missed {program.bug} on line {line} (torch: {raised!r}){where}"
        if program.bug != "RNN010":  # constructor errors happen before there is a module to guard
            guard_error, guard_line = _guarded(program.source)
            assert isinstance(guard_error, RNNShapeError) and guard_error.code == program.bug, \
                f"the guard raised {guard_error!r}, torch {raised!r}{where}"
        return
    assert program.bug is None or program.bug in SILENT, f"injected {program.bug} but torch ran{where}"
    guard_error, _ = _guarded(program.source)
    assert guard_error is None, f"the guard raised {guard_error!r} where torch runs{where}"
    if program.bug is None:
        assert findings == [], f"findings on a correct program{where}"
    else:
        assert [(d.row, d.code) for d in findings] == [(program.line, program.bug)], f"silent bug not reported{where}"


@pytest.mark.parametrize("start", range(0, COUNT, 50))
def test_generated_programs_agree(start: int) -> None:
    torch.manual_seed(0)
    for seed in range(start, min(start + 50, COUNT)):
        check(generate(seed))


def test_generator_covers_every_code() -> None:
    injected = {generate(seed).bug for seed in range(COUNT)}
    assert set(RAISING) | set(SILENT) <= injected
