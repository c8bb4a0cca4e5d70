"""The guard agrees with torch 2.13, case by case (ids from docs/torch-oracle.md).

- Where torch runs, the guard stays silent (outside strict mode).
- Where torch raises, the guard raises first, with the code that torch's error corresponds to,
  and torch's forward never starts.
- Where torch is silently wrong, the guard raises (crashing cases: test_runtime_protection.py).
- A random search over recurrent calls finds no call where one raises and the other does not.
"""

from __future__ import annotations

import traceback
from typing import Any, Optional

import pytest

torch = pytest.importorskip("torch")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence  # noqa: E402

import rnnlint  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def pack(x: torch.Tensor, lengths: list[int], **kwargs: Any) -> Any:
    return pack_padded_sequence(x, lengths, batch_first=True, **kwargs)


def with_attr(module: nn.Module, **attrs: Any) -> nn.Module:
    for name, value in attrs.items():
        setattr(module, name, value)
    return module


def in_autocast(call: Any) -> Any:
    with torch.autocast("cpu", dtype=torch.bfloat16):
        return call()


NAMESPACE = {"torch": torch, "nn": nn, "pack": pack, "pack_sequence": pack_sequence,
             "with_attr": with_attr, "in_autocast": in_autocast}
z = "torch.zeros"
x42 = "torch.randn(4, 2, 3)"

# (id, module, call of `m`)
VALID = [
    ("F05", "nn.RNN(3, 5)", "m(torch.randn(10, 3))"),
    ("F06", "nn.RNN(3, 5, batch_first=True)", "m(torch.randn(10, 3))"),
    ("F06b", "nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)", "m(torch.randn(10, 3))"),
    ("F14", "nn.LSTM(3, 5).double()", "m(torch.randn(4, 2, 3, dtype=torch.float64))"),
    ("F17", "nn.GRU(3, 5)", "m(torch.randn(4, 0, 3))"),
    ("F19", "nn.GRU(3, 5)", "m(torch.randn(2, 4, 3))"),
    ("F21", "nn.GRU(3, 5)", f"m(input={x42}, hx=None)"),
    ("F25", "nn.LSTM(3, 5)", f"m({x42}.transpose(0, 1).transpose(0, 1)[:, :, :])"),
    ("F26", "nn.LSTM(3, 5)", f"m({x42}[::2])"),
    ("H01", "nn.GRU(3, 5, num_layers=2, bidirectional=True)", f"m(torch.randn(6, 4, 3), {z}(4, 4, 5))"),
    ("H11", "nn.GRU(3, 5, num_layers=2)", f"m(torch.randn(6, 3), {z}(2, 5))"),
    ("H20", "nn.GRU(3, 5)", f"m({x42}, {z}(1, 5, 2).transpose(1, 2))"),
    ("L05", "nn.LSTM(3, 5)", f"m({x42}, [{z}(1, 2, 5), {z}(1, 2, 5)])"),
    ("L14", "nn.LSTM(3, 8, proj_size=4)", f"m(torch.randn(6, 2, 3), ({z}(1, 2, 4), {z}(1, 2, 8)))"),
    ("L-kw", "nn.LSTM(3, 5)", f"m(input={x42}, hx=({z}(1, 2, 5), {z}(1, 2, 5)))"),
    ("L-unbatched", "nn.LSTM(3, 5, num_layers=2)", f"m(torch.randn(4, 3), ({z}(2, 5), {z}(2, 5)))"),
    ("P01", "nn.GRU(3, 5)", "m(pack(torch.randn(2, 4, 3), [4, 2]))"),
    ("P02", "nn.GRU(3, 5, batch_first=True)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), {z}(1, 2, 5))"),
    ("P22", "nn.LSTM(3, 8, proj_size=4)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), ({z}(1, 2, 4), {z}(1, 2, 8)))"),
    ("P24", "nn.RNN(3, 5)", "m(pack_sequence([torch.randn(2, 3), torch.randn(4, 3)], enforce_sorted=False))"),
    ("P33", "nn.GRU(3, 5)", "m(pack_padded_sequence_seq_first(torch.randn(3, 2, 3), [1, 3]), torch.randn(1, 2, 5))"),
    ("Z28", "nn.LSTMCell(3, 5)", "m(torch.randn(3))"),
    ("Z28b", "nn.GRUCell(3, 5)", "m(torch.randn(0, 3))"),
    ("Z-pair", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), [{z}(2, 5), {z}(2, 5)])"),
    ("Z-kw", "nn.RNNCell(3, 5)", f"m(input=torch.randn(3), hx={z}(5))"),
    ("C30", "nn.RNN(3, 5, 2, 'relu')", f"m({x42})"),
    ("C37", "nn.RNN(3, 5, 1, 'tanh', True, True, 0.0, True)", f"m({x42}, {z}(2, 4, 5))"),
    ("C38", "nn.LSTM(3, 5, 2, True, True, 0.1, True, 3)", f"m({x42}, ({z}(4, 4, 3), {z}(4, 4, 5)))"),
    ("W01", "nn.LSTM(3, 8, proj_size=4)", "m(torch.randn(6, 2, 3))"),
    ("autocast", "nn.GRU(3, 5)", f"in_autocast(lambda: m({x42}, {z}(1, 2, 5)))"),
]
NAMESPACE["pack_padded_sequence_seq_first"] = lambda x, lengths: pack_padded_sequence(
    x, lengths, enforce_sorted=False)

# (id, code, module, call): torch raises, the guard raises first with `code`
RAISING = [
    ("F01", "RNN003", "nn.RNN(3, 5)", "m(torch.randn(3))"),
    ("F02", "RNN003", "nn.LSTM(3, 5)", "m(torch.randn(3))"),
    ("F03", "RNN003", "nn.GRU(3, 5)", "m(torch.randn(2, 4, 3, 1))"),
    ("F04", "RNN003", "nn.LSTM(3, 5)", "m(torch.tensor(1.0))"),
    ("F08", "RNN001", "nn.RNN(3, 5, batch_first=True)", "m(torch.randn(2, 4, 7))"),
    ("F09", "RNN001", "nn.LSTM(3, 5)", "m(torch.randn(4, 7))"),
    ("F10", "RNN001", "nn.LSTM(3, 5, batch_first=True)", "m(torch.randn(4, 3, 2))"),
    ("F11", "RNN013", "nn.LSTM(3, 5)", "m(torch.randn(4, 2, 3, dtype=torch.float64))"),
    ("F12", "RNN013", "nn.GRU(3, 5)", "m(torch.randint(0, 9, (4, 2, 3)))"),
    ("F13", "RNN013", "nn.LSTM(3, 5)", f"m({x42}.half())"),
    ("F15", "RNN013", "nn.LSTM(3, 5)", "m(torch.randn(4, 2, 7, dtype=torch.float64))"),
    ("F23", "RNN013", "nn.LSTM(3, 5)", "m(torch.randn(4, 2, 3, dtype=torch.complex64))"),
    ("F24", "RNN013", "nn.LSTM(3, 5)", "in_autocast(lambda: m(torch.randn(4, 2, 3, dtype=torch.float64)))"),
    ("F27", "RNN014", "nn.GRU(3, 5)", "m(torch.randn(4, 2, 3, device='meta'))"),
    ("F28", "RNN014", "nn.LSTM(3, 5)", "m(torch.randn(4, 2, 3, device='meta'))"),
    ("H02", "RNN005", "nn.GRU(3, 5, num_layers=2, bidirectional=True)", f"m(torch.randn(6, 4, 3), {z}(2, 4, 5))"),
    ("H03", "RNN005", "nn.RNN(3, 5, batch_first=True)", f"m(torch.randn(2, 4, 3), {z}(1, 4, 5))"),
    ("H04", "RNN005", "nn.GRU(3, 5, num_layers=2, batch_first=True)", f"m(torch.randn(4, 6, 3), {z}(4, 2, 5))"),
    ("H05", "RNN005", "nn.GRU(3, 5)", f"m(torch.randn(6, 4, 3), {z}(1, 4, 6))"),
    ("H06", "RNN005", "nn.GRU(3, 5)", f"m(torch.randn(6, 4, 3), {z}(4, 5))"),
    ("H07", "RNN002", "nn.RNN(3, 5)", f"m(torch.randn(6, 3), {z}(1, 1, 5))"),
    ("H08", "RNN005", "nn.RNN(3, 5)", f"m(torch.randn(6, 3), {z}(5))"),
    ("H09", "RNN005", "nn.RNN(3, 5)", f"m(torch.randn(6, 3), {z}(1, 6))"),
    ("H10", "RNN005", "nn.GRU(3, 5, num_layers=2)", f"m(torch.randn(6, 3), {z}(1, 5))"),
    ("H12", "RNN006", "nn.GRU(3, 5)", f"m({x42}, ({z}(1, 2, 5), {z}(1, 2, 5)))"),
    ("H13", "RNN006", "nn.RNN(3, 5)", f"m(torch.randn(4, 3), ({z}(1, 5),))"),
    ("H14", "RNN006", "nn.GRU(3, 5)", f"m({x42}, [{z}(1, 2, 5)])"),
    ("H15", "RNN013", "nn.GRU(3, 5)", f"m({x42}, {z}(1, 2, 5, dtype=torch.float64))"),
    ("H16", "RNN013", "nn.RNN(3, 5)", f"m({x42}, {z}(1, 2, 5, dtype=torch.float16))"),
    ("H17", "RNN005", "nn.GRU(3, 5, batch_first=True)", f"m(torch.randn(16, 7, 3), {z}(1, 32, 5))"),
    ("H18", "RNN014", "nn.GRU(3, 5)", f"m({x42}, {z}(1, 2, 5, device='meta'))"),
    ("H19", "RNN013", "nn.GRU(3, 5)", f"m({x42}, hx={z}(1, 2, 5).long())"),
    ("L01", "RNN006", "nn.LSTM(3, 5)", f"m({x42}, {z}(1, 2, 5))"),
    ("L02", "RNN006", "nn.LSTM(3, 5, num_layers=2)", f"m({x42}, {z}(2, 2, 5))"),
    ("L03", "RNN006", "nn.LSTM(3, 5, num_layers=2)", f"m(torch.randn(4, 3), {z}(2, 5))"),
    ("L04", "RNN006", "nn.LSTM(3, 5)", f"m({x42}, {z}(2, 1, 2, 5))"),
    ("L06", "RNN006", "nn.LSTM(3, 5)", f"m({x42}, ({z}(1, 2, 5),))"),
    ("L07", "RNN006", "nn.LSTM(3, 5)", f"m({x42}, ({z}(1, 2, 5),) * 3)"),
    ("L08", "RNN006", "nn.LSTM(3, 5)", f"m({x42}, (None, {z}(1, 2, 5)))"),
    ("L09", "RNN005", "nn.LSTM(3, 5)", f"m({x42}, ({z}(1, 2, 5), {z}(1, 2, 6)))"),
    ("L10", "RNN005", "nn.LSTM(3, 5)", f"m({x42}, ({z}(1, 3, 5), {z}(1, 2, 5)))"),
    ("L11", "RNN005", "nn.LSTM(3, 5, batch_first=True)", f"m(torch.randn(2, 4, 3), ({z}(2, 1, 5), {z}(2, 1, 5)))"),
    ("L12", "RNN005", "nn.LSTM(3, 8, proj_size=4)", f"m(torch.randn(6, 2, 3), ({z}(1, 2, 4), {z}(1, 2, 4)))"),
    ("L13", "RNN005", "nn.LSTM(3, 8, proj_size=4)", f"m(torch.randn(6, 2, 3), ({z}(1, 2, 8), {z}(1, 2, 8)))"),
    ("L15", "RNN005", "nn.LSTM(3, 5)", f"m({x42}, ({z}(2, 5), {z}(2, 5)))"),
    ("L16", "RNN002", "nn.LSTM(3, 5)", f"m(torch.randn(4, 3), ({z}(1, 1, 5), {z}(1, 1, 5)))"),
    ("L17", "RNN005", "nn.LSTM(3, 5)", f"m(torch.randn(4, 3), ({z}(1, 6), {z}(1, 5)))"),
    ("L18", "RNN013", "nn.LSTM(3, 5)", f"m({x42}, ({z}(1, 2, 5), {z}(1, 2, 5, dtype=torch.float64)))"),
    ("L19", "RNN013", "nn.LSTM(3, 5)", f"m({x42}, ({z}(1, 2, 5, dtype=torch.float64),) * 2)"),
    ("L20", "RNN006", "nn.LSTM(3, 5)", f"m({x42}, {{'h': {z}(1, 2, 5), 'c': {z}(1, 2, 5)}})"),
    ("L21", "RNN005", "nn.LSTM(3, 5, num_layers=2)", f"m({x42}, ({z}(1, 2, 5), {z}(2, 2, 5)))"),
    ("L22", "RNN005", "nn.LSTM(3, 5)", f"m({x42}, ({z}(1, 2, 5), {z}(2, 5)))"),
    ("C26b", "RNN010", "nn.GRU(3, 5, 1, True, False, 0.0, False, 2)", f"m({x42})"),
    ("C35b", "RNN010", "nn.LSTM(3, 5, bidirectional='False')", f"m({x42})"),
    ("C36", "RNN010", "nn.GRU(3, 5, bidirectional=1)", f"m({x42})"),
    ("C36b", "RNN010", "nn.GRU(3, 5, bidirectional=0)", f"m({x42})"),
    ("K01b", "RNN010", "nn.RNNCell(3, 5, nonlinearity='sigmoid')", "m(torch.randn(2, 3))"),
    ("W08b", "RNN001", "with_attr(nn.GRU(3, 5), input_size=4)", "m(torch.randn(4, 2, 4))"),
    ("Z01", "RNN012", "nn.LSTMCell(3, 5)", f"m({x42})"),
    ("Z02", "RNN012", "nn.RNNCell(3, 5)", f"m({x42})"),
    ("Z03", "RNN003", "nn.GRUCell(3, 5)", "m(torch.tensor(1.0))"),
    ("Z04", "RNN005", "nn.RNNCell(3, 5)", f"m(torch.randn(2, 3), {z}(1, 2, 5))"),
    ("Z05", "RNN005", "nn.GRUCell(3, 5)", f"m(torch.randn(2, 3), {z}(1, 2, 5))"),
    ("Z06", "RNN005", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), ({z}(1, 2, 5), {z}(2, 5)))"),
    ("Z07", "RNN005", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), ({z}(2, 5), {z}(1, 2, 5)))"),
    ("Z08", "RNN001", "nn.GRUCell(3, 5)", "m(torch.randn(2, 7))"),
    ("Z09", "RNN001", "nn.LSTMCell(3, 5)", "m(torch.randn(7))"),
    ("Z10", "RNN005", "nn.GRUCell(3, 5)", f"m(torch.randn(2, 3), {z}(4, 5))"),
    ("Z11", "RNN005", "nn.GRUCell(3, 5)", f"m(torch.randn(2, 3), {z}(2, 6))"),
    ("Z12", "RNN005", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), ({z}(2, 5), {z}(2, 6)))"),
    ("Z13", "RNN005", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), ({z}(2, 5), {z}(3, 5)))"),
    ("Z14", "RNN006", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), {z}(2, 5))"),
    ("Z15", "RNN006", "nn.LSTMCell(3, 5)", f"m(torch.randn(3), {z}(5))"),
    ("Z16", "RNN006", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), {z}(2, 2, 5))"),
    ("Z17", "RNN006", "nn.RNNCell(3, 5)", f"m(torch.randn(2, 3), ({z}(2, 5),))"),
    ("Z18", "RNN005", "nn.RNNCell(3, 5)", f"m(torch.randn(3), {z}(1, 5))"),
    ("Z19", "RNN005", "nn.GRUCell(3, 5)", f"m(torch.randn(3), {z}(2, 5))"),
    ("Z20", "RNN005", "nn.RNNCell(3, 5)", f"m(torch.randn(2, 3), {z}(5))"),
    ("Z21", "RNN005", "nn.LSTMCell(3, 5)", f"m(torch.randn(1, 3), ({z}(5), {z}(5)))"),
    ("Z22", "RNN013", "nn.GRUCell(3, 5)", "m(torch.randn(2, 3, dtype=torch.float64))"),
    ("Z23", "RNN013", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), ({z}(2, 5, dtype=torch.float64),) * 2)"),
    ("Z24", "RNN013", "nn.GRUCell(3, 5)", "m(torch.randint(0, 5, (2, 3)))"),
    ("Z25", "RNN012", "nn.LSTMCell(3, 5)", "m(pack_sequence([torch.randn(3, 3)]))"),
    ("Z27", "RNN006", "nn.LSTMCell(3, 5)", f"m(torch.randn(2, 3), ({z}(2, 5), None))"),
    ("Z29", "RNN014", "nn.GRUCell(3, 5)", f"m(torch.randn(2, 3), {z}(2, 5, device='meta'))"),
    ("Z31", "RNN005", "nn.GRUCell(3, 5)", f"m(torch.randn(3), {z}(5, 5))"),
    ("Z33", "RNN014", "nn.GRUCell(3, 5)", "m(torch.randn(2, 3, device='meta'))"),
    ("P15", "RNN001", "nn.GRU(3, 5)", "m(pack(torch.randn(2, 4, 7), [4, 2]))"),
    ("P16", "RNN003", "nn.GRU(3, 5)", "m(pack(torch.randn(2, 4, 3, 1), [4, 2]))"),
    ("P17", "RNN013", "nn.GRU(3, 5)", "m(pack(torch.randn(2, 4, 3, dtype=torch.float64), [4, 2]))"),
    ("P18", "RNN005", "nn.GRU(3, 5)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), {z}(2, 5))"),
    ("P19", "RNN005", "nn.GRU(3, 5)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), {z}(1, 3, 5))"),
    ("P20", "RNN006", "nn.GRU(3, 5)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), ({z}(1, 2, 5),))"),
    ("P21", "RNN006", "nn.LSTM(3, 5)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), {z}(1, 2, 5))"),
    ("P29", "RNN012", "nn.GRUCell(3, 5)", "m(pack(torch.randn(2, 4, 3), [4, 2]))"),
    ("P35", "RNN001", "nn.LSTM(3, 5)", "m(pack(torch.randn(2, 4, 7), [4, 2]))"),
    ("P36", "RNN013", "nn.LSTM(3, 5)", "m(pack(torch.randn(2, 4, 3).double(), [4, 2]))"),
    ("P37", "RNN005", "nn.LSTM(3, 5)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), ({z}(1, 3, 5), {z}(1, 3, 5)))"),
    ("P38", "RNN005", "nn.LSTM(3, 5)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), ({z}(2, 2, 5), {z}(2, 2, 5)))"),
    ("P39", "RNN005", "nn.LSTM(3, 8, proj_size=4)",
     f"m(pack(torch.randn(2, 4, 3), [4, 2]), ({z}(1, 2, 8), {z}(1, 2, 8)))"),
    ("P41", "RNN005", "nn.LSTM(3, 5)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), ({z}(2, 5), {z}(2, 5)))"),
    ("P42", "RNN005", "nn.LSTM(3, 5)", f"m(pack(torch.randn(2, 4, 3), [4, 2]), ({z}(1, 2, 6), {z}(1, 2, 6)))"),
]

# (id, code, module, call): torch runs and returns something wrong; the guard raises
SILENT = [
    ("W07", "RNN001", "with_attr(nn.LSTM(3, 5), weight_ih_l0=nn.Parameter(torch.randn(20, 4)))", f"m({x42})"),
    ("W08", "RNN001", "with_attr(nn.LSTM(3, 5), input_size=4)", "m(torch.randn(4, 2, 4))"),
]

# (id, module, call): torch runs, reading a (batch, features) tensor as one sequence; RNN002 in strict mode
STRICT = [
    ("F06", "nn.RNN(3, 5, batch_first=True)", "m(torch.randn(10, 3))"),
    ("F07", "nn.GRU(3, 5, batch_first=True)", "m(torch.randn(4, 3))"),
    ("S8", "nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)", "m(torch.randn(10, 3))"),
]

# (id, module, call): torch raises, and no rule describes the mistake: torch's own error goes through
NO_RULE = [
    ("F16", "nn.GRU(3, 5)", "m(torch.randn(0, 2, 3))"),  # an empty sequence
    ("F18", "nn.LSTM(3, 5)", "m(torch.randn(0, 3))"),
    ("F20", "nn.LSTM(3, 5)", f"m(input={x42}, h0=None)"),  # a misspelled keyword
    ("F22", "nn.GRU(3, 5)", "m([torch.randn(4, 3), torch.randn(2, 3)])"),  # a list, not a tensor
    ("P34", "nn.GRU(3, 5)", "m(pack(torch.randn(2, 4, 3), [5, 2]))"),  # lengths beyond the data
]


def _run(module_src: str, call_src: str, guard: bool, strict: bool = False) -> Any:
    torch.manual_seed(0)
    env = dict(NAMESPACE)
    module = eval(module_src, env)
    env["m"] = rnnlint.guard(module, strict=strict) if guard else module
    return eval(call_src, env)


def _outcome(module_src: str, call_src: str, guard: bool, strict: bool = False) -> Optional[BaseException]:
    try:
        _run(module_src, call_src, guard, strict)
    except Exception as exc:
        return exc
    return None


def _ids(cases: list[tuple]) -> list[str]:
    return [case[0] for case in cases]


@pytest.mark.parametrize("case, module_src, call_src", VALID, ids=_ids(VALID))
def test_guard_accepts_what_torch_accepts(case: str, module_src: str, call_src: str) -> None:
    expected = _run(module_src, call_src, guard=False)
    result = _run(module_src, call_src, guard=True)
    leaves = torch.utils._pytree.tree_leaves
    for a, b in zip(leaves(expected), leaves(result), strict=True):
        assert torch.equal(a, b) if isinstance(a, torch.Tensor) else a == b


@pytest.mark.parametrize("case, code, module_src, call_src", RAISING, ids=_ids(RAISING))
def test_guard_raises_first_where_torch_raises(case: str, code: str, module_src: str, call_src: str) -> None:
    torch_error = _outcome(module_src, call_src, guard=False)
    assert torch_error is not None and not isinstance(torch_error, rnnlint.RNNShapeError)
    error = _outcome(module_src, call_src, guard=True)
    assert isinstance(error, rnnlint.RNNShapeError), f"torch: {torch_error!r}"
    assert error.code == code, str(error)
    frames = traceback.extract_tb(error.__traceback__)
    assert not any(f.filename.endswith("torch/nn/modules/rnn.py") for f in frames)  # before torch's forward


@pytest.mark.parametrize("case, code, module_src, call_src", SILENT, ids=_ids(SILENT))
def test_guard_raises_where_torch_is_silently_wrong(case: str, code: str, module_src: str, call_src: str) -> None:
    error = _outcome(module_src, call_src, guard=True)
    assert isinstance(error, rnnlint.RNNShapeError) and error.code == code, repr(error)


@pytest.mark.parametrize("case, module_src, call_src", STRICT, ids=_ids(STRICT))
def test_strict_guard_raises_on_missing_batch_dim(case: str, module_src: str, call_src: str) -> None:
    assert _outcome(module_src, call_src, guard=False) is None
    assert _outcome(module_src, call_src, guard=True) is None
    error = _outcome(module_src, call_src, guard=True, strict=True)
    assert isinstance(error, rnnlint.RNNShapeError) and error.code == "RNN002", repr(error)


@pytest.mark.parametrize("case, module_src, call_src", NO_RULE, ids=_ids(NO_RULE))
def test_torch_errors_no_rule_describes_pass_through(case: str, module_src: str, call_src: str) -> None:
    torch_error = _outcome(module_src, call_src, guard=False)
    error = _outcome(module_src, call_src, guard=True)
    assert torch_error is not None
    assert type(error) is type(torch_error) and str(error) == str(torch_error)


# --------------------------------------------------------------------------- a random search


@st.composite
def recurrent_calls(draw: st.DrawFn) -> tuple[nn.Module, tuple[Any, ...]]:
    """A recurrent module and a call near its contract: each size right or off by one, ranks
    and state types sometimes wrong, now and then another dtype."""
    kind = draw(st.sampled_from(["RNN", "GRU", "LSTM"]))
    input_size, hidden = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    layers, bidirectional, batch_first = draw(st.integers(1, 2)), draw(st.booleans()), draw(st.booleans())
    proj = draw(st.sampled_from([0, 1])) if kind == "LSTM" else 0
    module = getattr(nn, kind)(input_size, hidden, num_layers=layers, bidirectional=bidirectional,
                               batch_first=batch_first, **({"proj_size": proj} if proj else {}))
    near = st.integers(-1, 1)
    batch, steps = draw(st.integers(0, 3)), draw(st.integers(1, 3))
    rank = draw(st.sampled_from([3, 3, 3, 2, 1, 4]))
    lead = {3: [batch, steps] if batch_first else [steps, batch], 2: [steps], 1: [], 4: [2, steps, batch]}[rank]
    dtype = draw(st.sampled_from([torch.float32] * 5 + [torch.float64]))
    x = torch.randn(*lead, input_size + draw(near), dtype=dtype)

    def state(features: int) -> torch.Tensor:
        rows = layers * (2 if bidirectional else 1) + draw(near)
        dims = [rows, batch + draw(near), features + draw(near)]
        if rank == 2 or draw(st.integers(0, 9)) == 0:
            dims.pop(1)
        dtype = draw(st.sampled_from([torch.float32] * 9 + [torch.float64]))
        return torch.zeros(*[max(d, 0) for d in dims], dtype=dtype)

    h_features = proj or hidden
    form = draw(st.sampled_from(["none", "tensor", "pair", "list", "one"]))
    hx = {"none": None, "tensor": lambda: state(h_features), "pair": lambda: (state(h_features), state(hidden)),
          "list": lambda: [state(h_features), state(hidden)], "one": lambda: (state(h_features),)}[form]
    return module, (x,) if hx is None else (x, hx())


@settings(max_examples=250, deadline=None)
@given(recurrent_calls())
def test_guard_and_torch_raise_on_the_same_recurrent_calls(call: tuple[nn.Module, tuple[Any, ...]]) -> None:
    module, args = call
    try:
        module(*args)
        torch_error: Optional[Exception] = None
    except Exception as exc:
        torch_error = exc
    checker = rnnlint.guard(module).forward.checker
    try:
        checker.check(module, args, {}, "")
        guard_error: Optional[Exception] = None
    except rnnlint.RNNShapeError as exc:
        guard_error = exc
    assert (torch_error is None) == (guard_error is None), f"torch: {torch_error!r}; guard: {guard_error!r}"
