"""Definitions read for every value of their parameters, and where their findings go.

The library fixtures (fixtures/library/) hold classes and functions whose sizes are parameters
and that nothing in their file builds: rnnlint reports their bugs for every size. Here torch
builds them with several sizes and shows the bug is there for each (and the fixed look-alikes
run for each); then the reading itself: which parameters are sizes, what a default means, and
that a finding is reported once, at the line to change."""

from __future__ import annotations

import ast
import importlib.util
import textwrap
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from rnnlint.static.analysis.sizes import size_params
from rnnlint.static.engine import lint_source

LIBRARY = Path(__file__).resolve().parent.parent / "fixtures" / "library"
SIZES = [(1, 1), (3, 2), (8, 3), (17, 1)]

torch = pytest.importorskip("torch")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"library_{name}", LIBRARY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("hidden,layers", SIZES)
def test_the_one_direction_head_fails_and_h_n_last_row_is_backward_only_for_every_size(
        hidden: int, layers: int) -> None:
    model = _load("bigru_classifier_bug").Clf(hidden, layers)
    x = torch.randn(2, 5, hidden)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        model(x)
    out, h = model.gru(x)
    # h_n[-1] is the last layer's backward direction, which is the backward output at step 0
    assert torch.equal(h[-1], h.view(layers, 2, 2, hidden)[layers - 1, 1])
    assert torch.allclose(h[-1], out[:, 0, hidden:])
    assert not torch.allclose(h[-1], out[:, -1, :hidden])


@pytest.mark.parametrize("hidden,layers", SIZES)
def test_the_fixed_classifier_runs_for_every_size(hidden: int, layers: int) -> None:
    steps, logits = _load("bigru_classifier_fixed").Clf(hidden, layers)(torch.randn(2, 5, hidden))
    assert steps.shape == (2, 5, 2) and logits.shape == (2, 2)


@pytest.mark.parametrize("width,depth", SIZES)
def test_the_attribute_sized_head_fails_for_every_size_and_the_fixed_one_runs(width: int, depth: int) -> None:
    series = torch.randn(3, 4, 5)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        _load("attribute_sizes_bug").Regressor(5, width, depth)(series)
    assert _load("attribute_sizes_fixed").Regressor(5, width, depth)(series).shape == (3, 1)


@pytest.mark.parametrize("n_feats,width", SIZES)
def test_the_helper_fails_for_every_size_and_the_fixed_one_runs(n_feats: int, width: int) -> None:
    sequences = torch.randn(2, 6, n_feats)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        _load("summary_function_bug").step_scores(sequences, n_feats, width)
    assert _load("summary_function_fixed").step_scores(sequences, n_feats, width).shape == (2, 6, 1)


def _dropout_warnings(build) -> list[warnings.WarningMessage]:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build()
    return [w for w in caught if "dropout" in str(w.message)]


@pytest.mark.parametrize("n_in,hidden", SIZES)
def test_a_dropout_the_class_fixes_to_one_layer_never_acts_one_its_callers_choose_may_act(
        n_in: int, hidden: int) -> None:
    assert _dropout_warnings(lambda: _load("stacked_dropout_bug").Encoder(n_in, hidden))
    fixed = _load("stacked_dropout_fixed").Encoder
    assert _dropout_warnings(lambda: fixed(n_in, hidden))  # the default is one value...
    assert not _dropout_warnings(lambda: fixed(n_in, hidden, layers=2))  # ...its callers may pass another


# ----------------------------------------------------------------------------- the reading


def _first_def(source: str) -> tuple[ast.FunctionDef, ast.ClassDef | None]:
    node = ast.parse(textwrap.dedent(source)).body[0]
    if isinstance(node, ast.ClassDef):
        init = next(s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__")
        return init, node
    assert isinstance(node, ast.FunctionDef)
    return node, None


def test_a_parameter_is_a_size_when_it_reaches_a_size_argument_with_the_least_torch_accepts() -> None:
    init, cls = _first_def("""
        class M(nn.Module):
            def __init__(self, a, b, c, d, e, f, shape):
                super().__init__()
                self.width = b
                w = self.width
                self.rnn = nn.GRU(a, w, num_layers=c)
                self.head = nn.Linear(2 * d, e)
                self.other = f
                self.other = 3
                self.rnn2 = nn.LSTM(8, 8, num_layers=self.other)
                self.zeros = torch.zeros(shape)
            def forward(self, x, b):
                return nn.Linear(b, 2)(x)
    """)
    assert size_params(init, cls) == {"a": 1, "b": 1, "c": 1, "d": 0, "e": 0}


def test_a_local_name_of_another_method_is_not_the_constructor_parameter() -> None:
    init, cls = _first_def("""
        class M(nn.Module):
            def __init__(self, hidden):
                self.hidden = 4
            def reset(self, hidden):
                self.h = hidden
                self.rnn = nn.GRU(hidden, self.h)
    """)
    assert size_params(init, cls) == {}


def _codes(source: str) -> list[tuple[int, str]]:
    return [(d.row, d.code) for d in lint_source(textwrap.dedent(source), "lib.py")]


def test_flags_and_sizes_with_defaults_are_their_callers_choice() -> None:
    # out[-1] is right for the default batch_first=False, wrong for True: no finding; a size with
    # a default is a symbol, at least that default when it is 0
    assert _codes("""
        import torch.nn as nn

        class Encoder(nn.Module):
            def __init__(self, n_in, hidden=64, layers=1, batch_first=False, dropout=0.5):
                super().__init__()
                self.rnn = nn.GRU(n_in, hidden, layers, batch_first=batch_first, dropout=dropout)
                self.head = nn.Linear(64, 2)

            def forward(self, x):
                out, _ = self.rnn(x)
                return self.head(out[-1])
    """) == []


def test_a_parameter_used_as_a_whole_shape_is_not_a_size() -> None:
    assert _codes("""
        import torch
        import torch.nn as nn

        def run(shape):
            rnn = nn.GRU(8, 16)
            return rnn(torch.zeros(shape))
    """) == []


def test_a_negative_default_leaves_the_parameter_unknown() -> None:
    assert _codes("""
        import torch
        import torch.nn as nn

        def run(width=-1):
            rnn = nn.GRU(8, 16)
            return rnn(torch.zeros(3, 4, width + 9))
    """) == []


def test_a_finding_of_the_definition_itself_is_reported_once_at_its_line() -> None:
    # the model is wrong for every size: the two calls of this file are not reported again
    assert _codes("""
        import torch
        import torch.nn as nn

        class Tagger(nn.Module):
            def __init__(self, n_in, hidden):
                super().__init__()
                self.rnn = nn.LSTM(n_in, hidden, bidirectional=True)
                self.head = nn.Linear(hidden, 3)

            def forward(self, x):
                return self.head(self.rnn(x)[0])

        small = Tagger(4, 8)
        small(torch.randn(5, 2, 4))
        large = Tagger(4, 32)
        large(torch.randn(5, 2, 4))
    """) == [(12, "RNN009")]


def test_a_bad_tensor_passed_into_a_correct_model_is_reported_at_each_call_naming_the_model() -> None:
    source = textwrap.dedent("""
        import torch
        import torch.nn as nn

        class Tagger(nn.Module):
            def __init__(self, n_in, hidden):
                super().__init__()
                self.rnn = nn.LSTM(n_in, hidden)

            def forward(self, x):
                return self.rnn(x)[0]

        model = Tagger(4, 8)
        model(torch.randn(5, 2, 4))
        model(torch.randn(5, 2, 3))
        model(torch.randn(5, 2, 6))
    """)
    findings = lint_source(source, "train.py")
    assert [(d.row, d.code) for d in findings] == [(15, "RNN001"), (16, "RNN001")]
    assert all(d.message.startswith("input-size-mismatch: in Tagger.forward (line 11), ") for d in findings)


def test_a_value_the_model_builds_itself_stays_at_the_model_line() -> None:
    # the embedding is the model's own: its line is the one to change
    assert _codes("""
        import torch
        import torch.nn as nn

        class Tagger(nn.Module):
            def __init__(self, vocab, embed, hidden):
                super().__init__()
                self.embed = nn.Embedding(vocab, embed)
                self.rnn = nn.LSTM(hidden, hidden)

            def forward(self, tokens):
                return self.rnn(self.embed(tokens))[0]

        Tagger(100, 16, 32)(torch.randint(0, 100, (5, 2)))
    """) == [(12, "RNN001")]


def test_library_fixtures_under_their_own_run_reports_nothing_more() -> None:
    """Linting a `_run` companion alone: what the library proves by itself is the library's."""
    from rnnlint.static.engine import lint_file
    for runner in sorted(LIBRARY.glob("*_run.py")):
        result = lint_file(runner, str(runner))
        assert result.error is None and result.diagnostics == [], runner.name
