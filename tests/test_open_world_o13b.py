"""All paths and RNN classes chosen at run time: the argparse branches the default run never
takes are confirmed under torch with their options set; sets of kinds report only what holds
for every kind; drop-in layers that cannot be imported here (opacus) are linted only."""

from __future__ import annotations

import runpy
import sys
import traceback
import warnings
from pathlib import Path

import pytest

from fixture_marks import FIXTURES, expected_marks
from rnnlint.static.engine import lint_bytes, lint_file

torch = pytest.importorskip("torch")

DATA = Path(__file__).resolve().parent / "data" / "open_world"


def _run(path: Path, *argv: str) -> BaseException | None:
    saved = list(sys.argv)
    sys.argv = [str(path), *argv]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runpy.run_path(str(path), run_name="__main__")
    except Exception as exc:
        return exc
    finally:
        sys.argv[:] = saved
    return None


def _raised_at_mark(path: Path, exc: BaseException | None) -> bool:
    rows = {row for row, _ in expected_marks(path)}
    return exc is not None and any(Path(f.filename).resolve() == path.resolve() and f.lineno in rows
                                   for f in traceback.extract_tb(exc.__traceback__))


def _codes(source: str) -> set[tuple[int, str]]:
    result = lint_bytes(source.encode(), "probe.py")
    assert result.error is None, result.error
    return {(d.row, d.code) for d in result.diagnostics}


@pytest.mark.parametrize("name, argv", [
    ("paths/model_choice_bug.py", ("--model", "gru")),
    ("kinds/cell_by_name_bug.py", ("--cell", "gru")),
    ("kinds/cell_by_name_bug.py", ("--cell", "rnn")),
    ("kinds/registry_bug.py", ("--kind", "lstm")),
    ("kinds/word_model_bug.py", ("--model", "GRU")),
    ("kinds/word_model_bug.py", ("--model", "RNN_TANH")),
    ("kinds/word_model_bug.py", ("--model", "RNN_RELU")),
])
def test_marked_bug_is_real_on_other_choices(name: str, argv: tuple[str, ...]) -> None:
    path = FIXTURES / name
    assert _raised_at_mark(path, _run(path, *argv))
    fixed = path.with_name(path.name.replace("_bug", "_fixed"))
    assert _run(fixed, *argv) is None


def test_default_choice_of_branch_fixture_runs_clean() -> None:
    # the bug sits in the branch the default never takes: the linter reads it all the same
    assert _run(FIXTURES / "paths" / "model_choice_bug.py") is None
    assert expected_marks(FIXTURES / "paths" / "model_choice_bug.py")


_CHOSEN = """import argparse
import torch
import torch.nn as nn
parser = argparse.ArgumentParser()
parser.add_argument("--cell", choices=[{choices}], default="LSTM")
args = parser.parse_args()
rnn = {build}(8, 16)
h0 = torch.zeros(1, 3, 16)
out, _ = rnn(torch.randn(5, 3, 8), (h0, h0))
out, _ = rnn(torch.randn(5, 3, 9))
"""


@pytest.mark.parametrize("build", ["getattr(nn, args.cell)", "{'LSTM': nn.LSTM, 'GRU': nn.GRU}[args.cell]",
                                   "(nn.LSTM if args.cell == 'LSTM' else nn.GRU)"])
def test_a_set_of_kinds_reports_what_holds_for_every_kind(build: str) -> None:
    # a tuple state is right for LSTM, wrong for GRU: not reported; the input size is wrong for both
    assert _codes(_CHOSEN.format(choices='"LSTM", "GRU"', build=build)) == {(10, "RNN001")}


def test_registries_looked_up_with_an_unknown_key() -> None:
    source = """import torch
import torch.nn as nn
CELLS = [nn.GRU, nn.RNN]
NAMED = {"lstm": nn.LSTM, "gru": nn.GRU}
def build(name, i):
    a = CELLS[i](4, 8, bidirectional=True)
    b = NAMED.get(name)(4, 8)
    _, h = a(torch.randn(3, 2, 4))
    summary = h[-1]
    b(torch.randn(3, 2, 5))
    return summary
"""
    assert _codes(source) == {(9, "RNN008"), (10, "RNN001")}


def test_a_single_choice_is_that_kind() -> None:
    source = _CHOSEN.format(choices='"GRU"', build="getattr(nn, args.cell)").replace('default="LSTM"', 'default="GRU"')
    assert _codes(source) == {(9, "RNN006"), (10, "RNN001")}


def test_the_hidden_state_form_differs_between_kinds_under_torch() -> None:
    h0 = torch.zeros(1, 3, 16)
    nn = torch.nn
    nn.LSTM(8, 16)(torch.randn(5, 3, 8), (h0, h0))
    with pytest.raises(AttributeError):  # a tuple has no .dim()
        nn.GRU(8, 16)(torch.randn(5, 3, 8), (h0, h0))


@pytest.mark.parametrize("name", ["getattr(nn, args.cell + 'x')", "getattr(nn, args.other)",
                                  "getattr(self_mod, args.cell)"])
def test_an_unknown_name_is_not_assumed_to_be_an_rnn(name: str) -> None:
    source = _CHOSEN.format(choices='"LSTM", "GRU"', build=name).replace("args = ", "self_mod = None\nargs = ")
    assert _codes(source) == set()


def test_a_branch_sees_the_choices_it_is_taken_for() -> None:
    # in the `elif` the name is "GRU": a tuple state is reported there, as torch would raise
    source = """import argparse
import torch
import torch.nn as nn
parser = argparse.ArgumentParser()
parser.add_argument("--cell", choices=["LSTM", "GRU"], default="LSTM")
cell = parser.parse_args().cell
state = (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4))
if cell == "LSTM":
    getattr(nn, cell)(3, 4)(torch.randn(2, 2, 3), state)
elif cell == "GRU":
    getattr(nn, cell)(3, 4)(torch.randn(2, 2, 3), state)
getattr(nn, cell)(3, 4)(torch.randn(2, 2, 3), state)
"""
    assert _codes(source) == {(11, "RNN006")}


def test_choices_join_values_that_differ_between_branches() -> None:
    # `size` is 8 on one path and 9 on the other: after the `if`, it is neither
    source = """import argparse
import torch
import torch.nn as nn
parser = argparse.ArgumentParser()
parser.add_argument("--size", choices=["small", "big"], default="small")
args = parser.parse_args()
if args.size == "big":
    size = 9
else:
    size = 8
rnn = nn.GRU(8, 16)
out, _ = rnn(torch.randn(5, 3, size))
if args.size == "big":
    out, _ = rnn(torch.randn(5, 3, 9))
"""
    assert _codes(source) == {(14, "RNN001")}


def test_one_line_suites_are_read() -> None:
    source = """import torch
import torch.nn as nn
rnn = nn.GRU(8, 16)
xs = [torch.randn(5, 3, 7)]
for x in xs: rnn(x)
"""
    assert _codes(source) == {(5, "RNN001")}


@pytest.mark.parametrize("name", ["opacus_dplstm_bug.py", "opacus_dplstm_fixed.py"])
def test_opacus_drop_in_is_linted_as_the_rnn_it_replaces(name: str) -> None:
    # opacus is not installed, so these cannot run under torch (the fixtures tree must run):
    # they are linted only; DPLSTM takes nn.LSTM's arguments and checks its input the same way
    path = DATA / name
    result = lint_file(path, str(path))
    assert result.error is None
    assert {(d.row, d.code) for d in result.diagnostics} == expected_marks(path)


def test_quantized_lstm_checks_like_nn_lstm_under_torch() -> None:
    from torch.ao.nn.quantized.dynamic import LSTM
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError):
            LSTM(8, 16)(torch.randn(5, 3, 7))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_either_cell_summary_is_the_backward_direction_for_every_kind(cell: str) -> None:
    # what the RNN008 of fixtures/kinds/either_cell_bug.py says, for each cell it may be
    saved = list(sys.argv)
    sys.argv = ["either_cell_bug.py", "--cell", cell]
    try:
        module = runpy.run_path(str(FIXTURES / "kinds" / "either_cell_bug.py"), run_name="fixture")
    finally:
        sys.argv[:] = saved
    model = module["IntentClassifier"](cell, 500, 64, 7)
    embedded = model.embed(torch.randint(0, 500, (16, 12)))
    out, hidden = model.rnn(embedded)
    h_n = hidden[0] if isinstance(hidden, tuple) else hidden
    assert torch.equal(h_n[-1], out[:, 0, 64:])  # the backward pass, after one step only
    assert not torch.equal(h_n[-1], out[:, -1, 64:])
