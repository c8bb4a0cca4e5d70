"""Each fixture agrees with torch: a fixture marked with an error-severity code raises when run,
at a marked line; a fixture with no error mark runs to the end."""

from __future__ import annotations

import runpy
import sys
import traceback
import warnings
from pathlib import Path

import pytest

from fixture_marks import FIXTURES, expected_marks, fixture_argvs, fixture_files
from rnnlint import rules

torch = pytest.importorskip("torch")


def _error_rows(path: Path) -> set[int]:
    return {row for row, code in expected_marks(path) if rules.BY_CODE[code].severity == "error"}


def _run(path: Path, argv: tuple[str, ...] = ()) -> BaseException | None:
    saved_path, saved_argv, saved_modules = list(sys.path), list(sys.argv), set(sys.modules)
    sys.path.insert(0, str(path.parent))
    sys.argv = [str(path), *argv]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runpy.run_path(str(path), run_name="__main__")
    except Exception as exc:  # the fixture's own bug, which is what we look for
        return exc
    finally:
        sys.path[:], sys.argv[:] = saved_path, saved_argv
        for name in set(sys.modules) - saved_modules:
            if getattr(sys.modules[name], "__file__", "") and str(FIXTURES) in str(sys.modules[name].__file__):
                del sys.modules[name]
    return None


def _marked_error_lines() -> set[tuple[str, int]]:
    return {(str(p.resolve()), row) for p in fixture_files() for row in _error_rows(p)}


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_agrees_with_torch(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(0)
    exc = _run(path)
    library = path.with_name(path.stem.removesuffix("_run") + ".py")
    if path.stem.endswith("_run") and library != path and library.exists() and _error_rows(library):
        return  # a library's `_run` companion: run, and judged, with its library below
    if not _error_rows(path):
        # files that only define things used elsewhere count as clean too
        assert exc is None, f"torch raised on a fixture with no error mark: {exc!r}"
        return
    for argv in fixture_argvs(path):
        # a bug in a branch the default command line does not take: run the one that takes it
        if exc is None:
            exc = _run(path, tuple(argv))
    runner = path.with_name(f"{path.stem}_run.py")
    if exc is None and runner.exists():
        # a library module builds nothing itself: its `_run` companion exercises it
        exc = _run(runner)
    assert exc is not None, "a fixture marked with an error-severity finding ran without error under torch"
    frames = {(str(Path(f.filename).resolve()), f.lineno) for f in traceback.extract_tb(exc.__traceback__)}
    assert frames & _marked_error_lines(), f"torch raised {exc!r} away from every marked line"
