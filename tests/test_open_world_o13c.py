"""Legacy tensors, views of the final state and data loaders: for each program family, torch is
run over several sizes and the linter must agree with what torch does (raises, or what the
numbers show) for every one of them."""

from __future__ import annotations

import runpy
import textwrap
from pathlib import Path
from typing import Any

import pytest

from rnnlint.static.engine import lint_source

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _codes(source: str) -> list[tuple[str, int]]:
    return [(d.code, d.row) for d in lint_source(source, "program.py")]


def _raises(source: str) -> bool:
    try:
        exec(compile(source, "program.py", "exec"), {"__name__": "__main__"})
    except RuntimeError:
        return True
    return False


# --------------------------------------------------------------------------- item 5


_INPUTS = [
    "torch.FloatTensor(3, 2, {f})",
    "torch.Tensor(3, 2, {f}).zero_()",
    "torch.FloatTensor({data})",
    "torch.randn(3, 2, 8).new(3, 2, {f}).zero_()",
    "torch.randn(1).new_full((3, 2, {f}), 0.5)",
    "torch.randn(1).new_zeros(3, 2, {f})",
    "Variable(torch.zeros(3, 2, {f}))",
    "F.one_hot(torch.randint(0, {f}, (3, 2)), {f}).float()",
    "torch.eye({f})[torch.randint(0, {f}, (3, 2))]",
    "torch.randn(3, 2, 4, {f}).max(dim=2).values",
    "torch.randn(3, 2, 4, {f}).min(2)[0]",
    "torch.randn(3, 2, {f}).sort(1).values",
    "torch.randn(3, 2, {f}).detach().clone().float().data",
]


@pytest.mark.parametrize("expr", _INPUTS)
@pytest.mark.parametrize("features", [5, 6])
def test_indirect_tensors_agree_with_torch(expr: str, features: int) -> None:
    """The input built by each expression has `features` features: torch raises exactly when
    they are not the GRU's 5, and the linter reports RNN001 on that call exactly then."""
    source = textwrap.dedent(f"""\
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.autograd import Variable

        rnn = nn.GRU(5, 4)
        x = {expr.format(f=features, data=[[[0.5] * features] * 2] * 3)}
        out, h = rnn(x)
        """)
    raised = _raises(source)
    assert raised == (features != 5)
    assert _codes(source) == ([("RNN001", 8)] if raised else [])


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_legacy_state_rows_agree_with_torch(rows: int) -> None:
    source = textwrap.dedent(f"""\
        import torch
        import torch.nn as nn

        rnn = nn.GRU(8, 16, num_layers=2)
        h0 = torch.FloatTensor({rows}, 4, 16).zero_()
        out, h = rnn(torch.randn(5, 4, 8), h0)
        """)
    raised = _raises(source)
    assert raised == (rows != 2)
    assert _codes(source) == ([("RNN005", 6)] if raised else [])


def test_unbind_loop_gives_each_step() -> None:
    source = textwrap.dedent("""\
        import torch
        import torch.nn as nn

        cell = nn.GRUCell(7, 3)
        h = torch.zeros(2, 3)
        for x_t in torch.randn(2, 9, 7).unbind(1):
            h = cell(x_t, h)
        for x_t in torch.randn(2, 9, 7).unbind(2):
            h = cell(x_t, h)
        """)
    assert _raises(source)
    assert _codes(source) == [("RNN001", 9)]


# --------------------------------------------------------------------------- item 6


@pytest.mark.parametrize("layers", [1, 2, 3, 4])
def test_deep_encoder_last_row_is_one_direction(layers: int) -> None:
    """The library encoder of fixtures/state/deep_encoder_bug.py: whatever num_layers, h_n[-1]
    is the backward direction alone (the backward output at the first step) and h_n[-2] the
    forward one (the forward output at the last step)."""
    encoder: Any = runpy.run_path(str(FIXTURES / "state" / "deep_encoder_bug.py"))["Encoder"](6, 5, layers, 5)
    x = torch.randn(3, 7, 6)
    out, (h, _) = encoder.rnn(x)
    assert torch.allclose(h[-1], out[:, 0, 5:])
    assert torch.allclose(h[-2], out[:, -1, :5])
    assert encoder(x).shape == (3, 5)  # runs: the forward direction is silently dropped


@pytest.mark.parametrize("layers,bidirectional,batch", [
    (1, False, 4), (2, False, 4), (1, True, 4), (2, True, 3), (3, True, 2), (1, True, 1)])
def test_state_view_mixes_samples_when_rows_are_many(layers: int, bidirectional: bool, batch: int) -> None:
    """h_n.view(batch, -1) keeps one sample per row only when h_n has one row (or one sample):
    torch's numbers and the linter's RNN008 agree for each size."""
    rnn = nn.GRU(4, 3, num_layers=layers, bidirectional=bidirectional)
    _, h = rnn(torch.randn(5, batch, 4))
    per_sample = h.transpose(0, 1).reshape(batch, -1)
    mixes = not torch.equal(h.view(batch, -1), per_sample)
    rows = layers * (2 if bidirectional else 1)
    assert mixes == (rows > 1 and batch > 1)
    source = textwrap.dedent(f"""\
        import torch
        import torch.nn as nn

        rnn = nn.GRU(4, 3, num_layers={layers}, bidirectional={bidirectional})
        _, h = rnn(torch.randn(5, {batch}, 4))
        summary = h.view({batch}, -1)
        right = h.transpose(0, 1).reshape({batch}, -1)
        """)
    assert _codes(source) == ([("RNN008", 6)] if mixes else [])


@pytest.mark.parametrize("hidden", [2, 5])
def test_first_and_last_steps_hold_both_directions(hidden: int) -> None:
    """On a seq-first bidirectional output, out[-1] holds the forward summary and out[0] the
    backward one: their concatenation is clean, the last step alone is RNN008."""
    rnn = nn.LSTM(3, hidden, bidirectional=True)
    out, (h, _) = rnn(torch.randn(6, 2, 3))
    both = torch.cat((out[0], out[-1]), dim=1)
    assert torch.allclose(both[:, hidden:2 * hidden], h[-1])
    assert torch.allclose(both[:, 2 * hidden:3 * hidden], h[-2])
    source = textwrap.dedent(f"""\
        import torch
        import torch.nn as nn

        rnn = nn.LSTM(3, {hidden}, bidirectional=True)
        out, _ = rnn(torch.randn(6, 2, 3))
        both = torch.cat((out[0], out[-1]), dim=1)
        last = out[-1]
        """)
    assert _codes(source) == [("RNN008", 7)]


# --------------------------------------------------------------------------- item 7


def _loader_program(samples: int, batch_size: int, drop_last: bool) -> str:
    return textwrap.dedent(f"""\
        import torch
        import torch.nn as nn
        from torch.utils.data import DataLoader, TensorDataset

        data = TensorDataset(torch.randn({samples}, 3, 2), torch.zeros({samples}))
        loader = DataLoader(data, batch_size={batch_size}, drop_last={drop_last})
        rnn = nn.LSTM(2, 4, batch_first=True)
        state = (torch.zeros(1, {batch_size}, 4), torch.zeros(1, {batch_size}, 4))
        for step, (x, y) in enumerate(loader):
            out, state = rnn(x, state)
            state = (state[0].detach(), state[1].detach())
        """)


@pytest.mark.parametrize("samples,batch_size", [(10, 4), (12, 4), (7, 3), (9, 3), (5, 8), (8, 8)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_last_batch_agrees_with_torch(samples: int, batch_size: int, drop_last: bool) -> None:
    """A state sized for batch_size carried over a DataLoader: torch raises on a shorter last
    batch, and the linter reports RNN005 at the call for exactly those lengths."""
    source = _loader_program(samples, batch_size, drop_last)
    raised = _raises(source)
    assert raised == (samples % batch_size != 0 and not drop_last)
    assert _codes(source) == ([("RNN005", 10)] if raised else [])


def test_generator_batches_are_followed() -> None:
    source = textwrap.dedent("""\
        import torch
        import torch.nn as nn

        def batches(data):
            for i in range(data.size(0)):
                yield data[i]

        def chained(data):
            yield from batches(data)

        rnn = nn.GRU(6, 4)
        for x in chained(torch.randn(2, 5, 3, 7)):
            out, _ = rnn(x)
        """)
    assert _raises(source)
    assert _codes(source) == [("RNN001", 13)]


@pytest.mark.parametrize("height,rnn_input,ok", [(32, 256, True), (32, 32, False), (16, 128, True), (16, 256, False)])
def test_conv_feature_maps_into_an_rnn(height: int, rnn_input: int, ok: bool) -> None:
    """(batch, 32 channels, height / 4, width / 4) flattened to channels * height features per
    step: torch and the linter agree on which LSTM sizes fit."""
    source = textwrap.dedent(f"""\
        import torch
        import torch.nn as nn

        features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.MaxPool2d(2),
                                 nn.Conv2d(16, 32, kernel_size=(3, 3), padding=(1, 1)), nn.MaxPool2d(2, 2))
        rnn = nn.LSTM({rnn_input}, 8)
        maps = features(torch.randn(2, 1, {height}, 20))
        b, c, h, w = maps.size()
        out, _ = rnn(maps.view(b, c * h, w).permute(2, 0, 1))
        """)
    assert _raises(source) == (not ok)
    assert _codes(source) == ([] if ok else [("RNN001", 9)])


@pytest.mark.parametrize("hidden,layers", [(3, 1), (4, 2), (6, 3)])
def test_review_classifier_last_step_misses_the_backward_summary(hidden: int, layers: int) -> None:
    """The library class of fixtures/state/seq_first_ends_bug.py, for several sizes: the last
    step's backward half is not the backward summary (h_n[-1]); the first step's is."""
    model: Any = runpy.run_path(str(FIXTURES / "state" / "seq_first_ends_bug.py"))["ReviewClassifier"](
        30, 5, hidden, layers)
    tokens = torch.randint(0, 30, (2, 9))
    out, (h, _) = model.rnn(model.embedding(tokens).transpose(0, 1))
    assert torch.allclose(out[0][:, hidden:], h[-1])
    assert not torch.allclose(out[-1][:, hidden:], h[-1])
    assert model(tokens).shape == (2, 2)  # runs: nothing tells the summary is one-sided
