"""Where torch does not protect the user, the guard does (torch-oracle.md, items 5 and 6).

These calls crash the interpreter (SIGSEGV), return garbage or run unchecked in torch 2.13, so
each guarded call runs in a fresh interpreter: the test asserts that it raised RNNShapeError with
the expected code and that the process exited normally.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

pytest.importorskip("torch")

PRELUDE = """
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
import rnnlint
packed = pack_padded_sequence(torch.randn(2, 4, 3), [4, 2], batch_first=True)
z = torch.zeros
def with_attr(module, **attrs):
    for name, value in attrs.items():
        setattr(module, name, value)
    return module
"""

# (id, code, module, call of `m`); what torch 2.13 does instead is in the comment
CASES = [
    ("P40", "RNN005", "nn.LSTM(3, 5, num_layers=2)", "m(packed, (z(2, 2, 5), z(1, 2, 5)))"),  # SIGSEGV
    ("Z32", "RNN005", "nn.LSTMCell(3, 5)", "m(torch.randn(3), (z(5, 5), z(5, 5)))"),  # SIGSEGV
    ("Z32b", "RNN005", "nn.LSTMCell(3, 1)", "m(torch.randn(3), (z(1, 1), z(1, 1)))"),  # SIGSEGV
    ("Z32c", "RNN005", "nn.LSTMCell(3, 5)", "m(torch.randn(3), (z(5), z(5, 5)))"),  # (5, 5) garbage
    ("Z32d", "RNN005", "nn.LSTMCell(3, 8)", "m(torch.randn(3), (z(8, 8), z(8, 8)))"),  # raises or crashes, per H
    ("Z30", "RNN005", "nn.RNNCell(3, 5)", "m(torch.randn(3), z(5, 5))"),  # (5, 5) garbage
    ("P35", "RNN001", "nn.LSTM(3, 5)", "m(pack_padded_sequence(torch.randn(2, 4, 7), [4, 2], batch_first=True))"),
    ("P39", "RNN005", "nn.LSTM(3, 8, proj_size=4)", "m(packed, (z(1, 2, 8), z(1, 2, 8)))"),  # misleading error
    ("W07", "RNN001", "with_attr(nn.LSTM(3, 5), weight_ih_l0=nn.Parameter(torch.randn(20, 4)))",
     "m(torch.randn(4, 2, 3))"),  # oneDNN runs it unchecked
    ("W08", "RNN001", "with_attr(nn.LSTM(3, 5), input_size=4)", "m(torch.randn(4, 2, 4))"),  # same
]


def _script(module_src: str, call_src: str) -> str:
    return PRELUDE + f"""
m = rnnlint.guard({module_src})
try:
    {call_src}
except rnnlint.RNNShapeError as err:
    print("RAISED", err.code)
else:
    print("NOT RAISED")
"""


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, subprocess.Popen]]:
    """One interpreter per case, all started at once (each pays torch's import)."""
    started = {case: subprocess.Popen([sys.executable, "-c", _script(module_src, call_src)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for case, _, module_src, call_src in CASES}
    yield started
    for process in started.values():
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("case, code", [c[:2] for c in CASES], ids=[c[0] for c in CASES])
def test_guard_catches_it_before_torch(runs: dict[str, subprocess.Popen], case: str, code: str) -> None:
    stdout, stderr = runs[case].communicate(timeout=300)
    assert runs[case].returncode == 0, f"exit {runs[case].returncode}: {stderr[-2000:]}"
    assert stdout.split() == ["RAISED", code]
