"""`--fix` and `--diff`: each fix against its before/after fixture (fixtures/fix/x.py and
x.py.fixed), proven right by torch, idempotent, and never made when it is not provable."""

from __future__ import annotations

import shutil
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
