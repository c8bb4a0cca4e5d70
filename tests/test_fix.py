"""`--fix` and `--diff`: each fix against its before/after fixture (fixtures/fix/x.py and
x.py.fixed), proven right by torch, idempotent, and never made when it is not provable."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import traceback
import warnings
from pathlib import Path

import pytest

from cli_support import invoke, write_project
from rnnlint import rules
from rnnlint.diagnostic import Diagnostic
from rnnlint.report.docs import AUTOFIX
from rnnlint.static.engine import lint_file, lint_source
from rnnlint.static.fix import FIXABLE, apply_fixes, find_fixes, fix_file
from rnnlint.static.notebook import SUFFIX, read

try:
    import resource
except ImportError:  # not POSIX
    resource = None  # type: ignore[assignment]

BEFORE_AFTER = Path(__file__).resolve().parent.parent / "fixtures" / "fix"
CASES = sorted(p for p in BEFORE_AFTER.iterdir() if p.suffix != ".fixed")


def fixed(source: str, path: str = "m.py") -> str:
    """One round of fixes of every finding of `source`."""
    return apply_fixes(source, find_fixes(source, lint_source(source, path)))[0]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_fix_gives_the_fixed_fixture(path: Path, tmp_path: Path) -> None:
    expected = path.with_name(path.name + ".fixed").read_text(encoding="utf-8")
    change = fix_file(path, path.name, lambda d: True)
    assert (change.after if change else path.read_text(encoding="utf-8")) == expected
    copy = tmp_path / path.name
    copy.write_text(expected, encoding="utf-8")
    assert fix_file(copy, copy.name, lambda d: True) is None  # nothing left to fix: idempotent


def test_every_before_has_an_after_and_some_are_left_alone() -> None:
    assert all(p.with_name(p.name + ".fixed").is_file() for p in CASES)
    assert {p.name for p in BEFORE_AFTER.iterdir()} == {p.name for p in CASES} | {p.name + ".fixed" for p in CASES}
    alone = [p for p in CASES if p.read_text() == p.with_name(p.name + ".fixed").read_text()]
    assert alone and len(alone) < len(CASES)


def _run(path: Path, as_notebook: bool) -> list[BaseException]:
    """Run a program (a notebook's cells in order, going on after an error); the exceptions."""
    data = path.read_bytes()
    cells = [("\n".join(c.python), f"<cell {c.number}>") for c in read(data).cells] if as_notebook \
        else [(data.decode("utf-8"), str(path))]
    namespace: dict[str, object] = {"__name__": "__main__"}
    raised = []
    for source, name in cells:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(source, name, "exec"), namespace)
        except Exception as exc:  # the fixture's own bug
            raised.append(exc)
    return raised


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_torch_agrees_with_the_fix(path: Path) -> None:
    """A fixture whose errors are all fixed raised before and runs clean after."""
    torch = pytest.importorskip("torch")
    after = path.with_name(path.name + ".fixed")
    notebook = path.suffix == SUFFIX
    if any(d.severity == "error" for d in lint_file(after, str(path)).diagnostics):
        pytest.skip("errors are left: nothing to prove at runtime")
    torch.manual_seed(0)
    assert _run(path, notebook), "the fixture raised nothing before its fix"
    failures = _run(after, notebook)
    assert not failures, "".join(traceback.format_exception(failures[0]))


def test_fixes_keep_formatting_and_comments() -> None:
    source = ("import torch\nimport torch.nn as nn\ngru = nn.GRU(3, 5)\n"
              "out,   h = gru(  torch.randn(7, 2, 3),   (  torch.zeros(1, 2, 5)  ,  ) )  # keep me\n")
    # the tuple goes with the spaces inside its brackets; everything around it stays
    last = fixed(source).splitlines()[-1]
    assert last == "out,   h = gru(  torch.randn(7, 2, 3),   torch.zeros(1, 2, 5) )  # keep me"


def test_rnn008_uses_the_name_torch_is_imported_under() -> None:
    source = ("import torch as T\nfrom torch import nn\nrnn = nn.LSTM(3, 8, bidirectional=True)\n"
              "fc = nn.Linear(16, 2)\nout, (h, c) = rnn(T.randn(7, 4, 3))\ny = fc(h[-1])\n")
    assert fixed(source).splitlines()[-1] == "y = fc(T.cat((h[-2], h[-1]), dim=-1))"
    without_torch = source.replace("import torch as T\n", "from torch import randn\n").replace("T.randn", "randn")
    assert fixed(without_torch) == without_torch  # no name for torch here: nothing to write


def test_rnn008_is_not_fixed_where_torch_is_another_thing() -> None:
    source = ("import torch\nimport torch.nn as nn\nrnn = nn.LSTM(3, 8, bidirectional=True)\nfc = nn.Linear(16, 2)\n"
              "out, (h, c) = rnn(torch.randn(7, 4, 3))\ntorch = None\ny = fc(h[-1])\n")
    assert {d.code for d in lint_source(source, "m.py")} == {"RNN008", "RNN009"}
    assert fixed(source) == source


def test_rnn008_is_not_fixed_when_the_rows_are_not_the_last_layer_pair() -> None:
    source = ("import torch\nimport torch.nn as nn\nrnn = nn.GRU(3, 8, num_layers=2, bidirectional=True)\n"
              "fc = nn.Linear(16, 2)\nout, h = rnn(torch.randn(7, 4, 3))\ny = fc(h[1])\n")
    assert fixed(source) == source


def test_only_selected_codes_are_fixed_but_every_finding_is_evidence() -> None:
    path = BEFORE_AFTER / "rnn008_linear_both_directions.py"
    only_rnn008 = fix_file(path, path.name, lambda d: d.code == "RNN008")
    assert only_rnn008 is not None and len(only_rnn008.fixes) == 2  # RNN009 proves them, unselected
    assert fix_file(path, path.name, lambda d: d.code == "RNN006") is None


def test_a_finding_without_its_facts_is_not_fixed() -> None:
    source = "import torch.nn as nn\ngru = nn.GRU(3, 5)\nout, h = gru(x, (h0,))\n"
    d = Diagnostic("m.py", 3, 10, 3, 23, "RNN006", "hidden-state-type: gru (GRU(3, 5), line 2) expects ...", "error",
                   expected="a single tensor h0 for nn.GRU", actual="a tuple of 1 element(s) is given")
    assert len(find_fixes(source, [d])) == 1
    assert find_fixes(source, [Diagnostic(**{**d.to_dict(), "expected": "an (h0, c0) tuple for nn.LSTM",
                                             "explain": ()})]) == []
    assert find_fixes(source, [Diagnostic(**{**d.to_dict(), "message": "hidden-state-type: other (...)",
                                             "explain": ()})]) == []


def test_every_fixable_code_is_documented() -> None:
    assert set(AUTOFIX) == FIXABLE and FIXABLE <= set(rules.BY_CODE)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_project(tmp_path, {})
    for name in ("rnn006_hidden_tuple.py", "rnn006_left_alone.py", "bidirectional_classifier.ipynb"):
        shutil.copyfile(BEFORE_AFTER / name, root / name)
    monkeypatch.chdir(root)
    return root


def test_diff_previews_and_changes_nothing(project: Path) -> None:
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}
    result = invoke("check", "--diff")
    assert result.exit_code == 1
    assert "--- bidirectional_classifier.ipynb:cell 5\n+++ bidirectional_classifier.ipynb:cell 5\n" in result.output
    assert "\n-out, h_n = gru(x, (h0,))\n" in result.output and "\n+out, h_n = gru(x, h0)\n" in result.output
    assert "rnn006_left_alone" not in result.output
    assert {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()} == before


def test_fix_writes_and_reports_what_is_left(project: Path) -> None:
    result = invoke("check", "--fix")
    assert result.exit_code == 1  # rnn006_left_alone.py keeps its findings
    assert "Fixed 6 findings." in result.output
    assert "rnn006_hidden_tuple.py" not in result.output and "bidirectional_classifier" not in result.output
    for name in ("rnn006_hidden_tuple.py", "bidirectional_classifier.ipynb"):
        assert (project / name).read_text() == (BEFORE_AFTER / f"{name}.fixed").read_text()
    assert (project / "rnn006_left_alone.py").read_text() == (BEFORE_AFTER / "rnn006_left_alone.py").read_text()
    assert invoke("check", "--diff").exit_code == 0


def test_fix_is_off_by_default(project: Path) -> None:
    invoke("check")
    assert (project / "rnn006_hidden_tuple.py").read_text() == (BEFORE_AFTER / "rnn006_hidden_tuple.py").read_text()


def test_fix_keeps_the_file_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.py"
    source = ("# -*- coding: latin-1 -*-\nimport torch\nimport torch.nn as nn\nrnn = nn.RNN(3, 5)  # caf\u00e9\n"
              "out, h = rnn(torch.randn(7, 2, 3), (torch.zeros(1, 2, 5),))\n")
    path.write_bytes(source.encode("latin-1"))
    change = fix_file(path, path.name, lambda d: True)
    assert change is not None
    change.write()
    assert path.read_bytes().decode("latin-1").endswith("rnn(torch.randn(7, 2, 3), torch.zeros(1, 2, 5))\n")


GRU_TUPLE = ("import torch\nimport torch.nn as nn\nrnn = nn.GRU(4, 8)\nx = torch.randn(5, 3, 4)\n"
             "h0 = torch.zeros(1, 3, 8)\nout, h = rnn(x, (h0,))\n")
GRU_FIXED = GRU_TUPLE.replace("(h0,))", "h0)")


def test_a_line_led_by_a_form_feed_is_fixed() -> None:
    source = GRU_TUPLE.replace("\nout, h", "\n\fout, h")
    assert fixed(source) == GRU_FIXED.replace("\nout, h", "\n\fout, h")


def _run_limited(root: Path, limit: int, *args: str) -> "subprocess.CompletedProcess[str]":
    """`rnnlint check` where no file may grow past `limit` bytes (as on a full disk or quota)."""
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONPATH": os.getcwd(), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", *args], cwd=root,
                          capture_output=True, text=True, env=env, timeout=120, preexec_fn=limited)


@pytest.mark.skipif(resource is None, reason="POSIX resource limits")
def test_a_failed_write_leaves_the_file_whole_and_the_others_are_fixed(tmp_path: Path) -> None:
    big = GRU_TUPLE + "# padding\n" * 2_000
    write_project(tmp_path, {"a_big.py": big, "b_small.py": GRU_TUPLE, "c_small.py": GRU_TUPLE})
    (tmp_path / "a_big.py").chmod(0o640)
    done = _run_limited(tmp_path, 10_000, "--fix", ".")
    assert done.returncode == 2, done.stderr
    assert (tmp_path / "a_big.py").read_text() == big  # not cut short
    assert (tmp_path / "b_small.py").read_text() == GRU_FIXED
    assert (tmp_path / "c_small.py").read_text() == GRU_FIXED
    assert "rnnlint: error: a_big.py: cannot write the fixes (File too large)" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_big.py", "b_small.py", "c_small.py", "pyproject.toml"]
    done = _run_limited(tmp_path, 1_000_000, "--fix", ".")
    assert done.returncode == 0, done.stderr + done.stdout
    assert (tmp_path / "a_big.py").read_text() == big.replace("(h0,))", "h0)")
    assert stat.S_IMODE((tmp_path / "a_big.py").stat().st_mode) == 0o640  # the mode is kept


def test_fix_never_writes_through_a_symlink_out_of_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    root, outside = tmp_path / "proj", tmp_path / "outside"
    root.mkdir()
    write_project(root, {"inner/real.py": GRU_TUPLE})
    outside.mkdir()
    (outside / "target.py").write_text(GRU_TUPLE)
    (root / "link.py").symlink_to(outside / "target.py")
    (root / "inlink.py").symlink_to(root / "inner" / "real.py")
    monkeypatch.chdir(root)
    result = invoke("check", "--fix", "link.py", "inlink.py")
    assert result.exit_code == 2
    assert (outside / "target.py").read_text() == GRU_TUPLE
    assert "link.py: cannot write the fixes (it leads (through a symlink) to" in result.output
    assert (root / "inner" / "real.py").read_text() == GRU_FIXED  # a symlink inside the project is followed
    assert (root / "inlink.py").is_symlink()


NOTEBOOK_CRLF = (
    '{\n  "metadata": {"scale": 1e400, "ratio": 1.50, "kernelspec": {"language": "python"}},\n'
    '  "cells": [\n'
    '    {\n      "source": [\n        "import torch\\r\\n",\n        "import torch.nn as nn\\r\\n",\n'
    '        "rnn = nn.GRU(4, 8)\\r\\n",\n        "x = torch.randn(5, 3, 4)\\r\\n",\n'
    '        "h0 = torch.zeros(1, 3, 8)\\r\\n",\n        "out, h = rnn(x, (h0,))  # caf\\u00e9\\r\\n",\n'
    '        "print(h)"\n      ],\n      "cell_type": "code", "outputs": [], "metadata": {}\n    },\n'
    '    {"cell_type": "markdown", "source": "caf\\u00e9 1e400", "metadata": {}}\n'
    '  ],\n  "nbformat": 4, "nbformat_minor": 5\n}'
)


def test_a_notebook_fix_changes_only_the_edited_cell_source(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(NOTEBOOK_CRLF)
    change = fix_file(path, path.name, lambda d: True)
    assert change is not None
    change.write()
    assert path.read_text() == NOTEBOOK_CRLF.replace("rnn(x, (h0,))", "rnn(x, h0)")


@pytest.mark.skipif(sys.platform != "linux", reason="a file name of any bytes")
def test_diff_escapes_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    write_project(tmp_path, {})
    with open(os.path.join(os.fsencode(tmp_path), b"m\xff\x1b[2J.py"), "wb") as f:
        f.write(GRU_TUPLE.encode())
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", "--diff", "."], cwd=tmp_path,
                          capture_output=True, env=env, timeout=60)
    assert done.returncode == 1, done.stderr.decode()
    assert done.stdout.decode("utf-8").startswith("--- m\\xff\\x1b[2J.py\n+++ m\\xff\\x1b[2J.py\n")
