"""rnnlint.guard on real models: what it raises, what it accepts, and that it changes nothing else."""

from __future__ import annotations

import copy
import gc
import io
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402

import rnnlint  # noqa: E402
from rnnlint import RNNShapeError, guard, guarded, unguard  # noqa: E402
from rnnlint.runtime.guard import GuardedForward  # noqa: E402


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 10)
        self.rnn = nn.LSTM(10, 20, num_layers=2, batch_first=True)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(tokens))
        return out


class Seq2Seq(nn.Module):
    """An encoder, a stack in a ModuleList, a cell in a Sequential, and a shared GRU used twice."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = Encoder()
        self.stack = nn.ModuleList([nn.GRU(20, 16), nn.GRU(16, 8, bidirectional=True)])
        self.cells = nn.Sequential(nn.Linear(16, 12), nn.Tanh())
        self.cell = nn.GRUCell(12, 6)
        self.shared = nn.GRU(6, 6)
        self.alias = self.shared
        self.head = nn.Linear(6, 3)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out = self.encoder(tokens).transpose(0, 1)  # (T, B, 20)
        out, _ = self.stack[0](out)
        out, h = self.stack[1](out)
        last = self.cells(torch.cat([h[-2], h[-1]], dim=1))
        step = self.cell(last)
        mid, _ = self.shared(step.unsqueeze(0))
        final, _ = self.alias(mid)
        return self.head(final[-1])


def _twins() -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    model = Seq2Seq()
    return model, copy.deepcopy(model)


TOKENS = torch.randint(0, 50, (4, 7))


def _error(call) -> RNNShapeError:
    with pytest.raises(RNNShapeError) as info:
        call()
    return info.value


# --------------------------------------------------------------------------- what it raises


def test_error_names_the_module_path_the_numbers_and_the_fix() -> None:
    model = guard(Seq2Seq())
    err = _error(lambda: model.encoder.rnn(torch.randn(4, 7, 3)))
    assert isinstance(err, RuntimeError) and isinstance(err, ValueError)  # torch raises one or the other
    assert err.code == "RNN001"
    assert err.module_name == "encoder.rnn"
    assert "input_size=10" in err.expected
    assert "3" in err.actual and "(4, 7, 3)" in err.actual
    message = str(err)
    assert message.startswith("RNN001 input-size-mismatch: encoder.rnn = LSTM(10, 20, num_layers=2, batch_first=True)")
    assert "(batch, seq_len, features)" in message


def test_batch_first_hidden_state_gets_the_transpose_hint() -> None:
    rnn = guard(nn.LSTM(10, 20, batch_first=True))
    x = torch.randn(4, 6, 10)
    err = _error(lambda: rnn(x, (torch.zeros(4, 1, 20), torch.zeros(4, 1, 20))))
    assert err.code == "RNN005"
    assert "batch=4" in err.expected and "(4, 1, 20)" in err.actual
    assert "h0.transpose(0, 1)" in err.hint


def test_nested_modules_are_named_by_path_and_a_shared_module_once() -> None:
    model = guard(Seq2Seq())
    names = {m.forward.name for m in model.modules() if isinstance(m.__dict__.get("forward"), GuardedForward)}
    assert names == {"encoder.rnn", "stack.0", "stack.1", "cell", "shared"}
    assert _error(lambda: model.stack[1](torch.randn(5, 2, 20))).module_name == "stack.1"
    assert _error(lambda: model.alias(torch.randn(1, 2, 7))).module_name == "shared"


def test_a_bare_module_is_named_by_its_configuration() -> None:
    err = _error(lambda: guard(nn.GRUCell(3, 5))(torch.randn(4, 2, 3)))
    assert err.code == "RNN012" and err.module_name == ""
    assert str(err).startswith("RNN012 cell-given-sequence: GRUCell(3, 5) expects")


def test_keyword_arguments_are_checked() -> None:
    gru = guard(nn.GRU(3, 5))
    assert _error(lambda: gru(input=torch.randn(4, 2, 3), hx=torch.zeros(1, 3, 5))).code == "RNN005"
    lstm = guard(nn.LSTM(3, 5))
    assert _error(lambda: lstm(torch.randn(4, 2, 3), hx=torch.zeros(1, 2, 5))).code == "RNN006"


def test_packed_lstm_input_is_checked_although_torch_does_not() -> None:
    lstm = guard(nn.LSTM(3, 5, num_layers=2))
    packed = pack_padded_sequence(torch.randn(2, 4, 3), [4, 2], batch_first=True)
    err = _error(lambda: lstm(packed, (torch.zeros(2, 3, 5), torch.zeros(2, 3, 5))))
    assert err.code == "RNN005" and "batch=2 (batch_sizes[0])" in err.expected
    wide = pack_padded_sequence(torch.randn(2, 4, 7), [4, 2], batch_first=True)
    assert _error(lambda: lstm(wide)).code == "RNN001"


def test_dtype_and_device_mismatches_have_their_own_codes() -> None:
    gru = guard(nn.GRU(3, 5))
    err = _error(lambda: gru(torch.randn(4, 2, 3), torch.zeros(1, 2, 5, dtype=torch.float64)))
    assert (err.code, err.violation.subject) == ("RNN013", "h0")
    assert "torch.float32" in err.expected and "torch.float64" in err.actual
    err = _error(lambda: gru(torch.randn(4, 2, 3, device="meta")))
    assert (err.code, err.violation.subject) == ("RNN014", "input")
    assert "cpu" in err.expected and "meta" in err.actual


def test_strict_mode_raises_on_unbatched_input_to_a_batch_first_module() -> None:
    x = torch.randn(10, 3)
    out, h = guard(nn.RNN(3, 5, batch_first=True))(x)  # torch reads it as one sequence
    assert out.shape == (10, 5) and h.shape == (1, 5)
    err = _error(lambda: guard(nn.RNN(3, 5, batch_first=True), strict=True)(x))
    assert err.code == "RNN002"
    guard(nn.RNN(3, 5), strict=True)(x)  # a seq-first module's unbatched input is no pitfall


def test_a_repeated_violation_raises_every_time() -> None:
    rnn = guard(nn.GRU(3, 5))
    for _ in range(3):
        assert _error(lambda: rnn(torch.randn(4, 2, 7))).code == "RNN001"


def test_a_module_changed_after_guarding_is_read_live() -> None:
    rnn = guard(nn.LSTM(3, 5))
    x = torch.randn(4, 2, 4)
    rnn.input_size = 4  # the oneDNN LSTM would now run a 4-feature input through 3-column weights
    err = _error(lambda: rnn(x))
    assert err.code == "RNN001" and err.violation.subject == "weight_ih_l0"
    rnn.input_size = 3
    assert _error(lambda: rnn(x)).code == "RNN001"
    rnn(torch.randn(4, 2, 3))


def test_dtype_and_weights_follow_the_module() -> None:
    gru = guard(nn.GRU(3, 5)).double()
    gru(torch.randn(4, 2, 3, dtype=torch.float64))
    assert _error(lambda: gru(torch.randn(4, 2, 3))).code == "RNN013"
    torch.manual_seed(0)
    plain = torch.nn.utils.parametrizations.weight_norm(nn.LSTM(3, 5), "weight_ih_l0")
    normed = guard(copy.deepcopy(plain))  # weight_ih_l0 is computed now, not a registered parameter
    x = torch.randn(4, 2, 3)
    assert torch.equal(normed(x)[0], plain(x)[0])
    assert _error(lambda: normed(torch.randn(4, 2, 7))).code == "RNN001"


def test_rnn_error_pickles() -> None:
    err = _error(lambda: guard(nn.GRU(3, 5))(torch.randn(4, 2, 7)))
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.code, again.module_name) == (str(err), err.code, err.module_name)


def test_only_torch_rnn_forwards_are_guarded() -> None:
    class Tagged(nn.LSTM):  # inherits torch's forward: guarded
        pass

    class Custom(nn.GRU):  # its own forward and arguments: left alone
        def forward(self, x, lengths):  # type: ignore[override]
            return super().forward(x)

    model = nn.ModuleDict({"tagged": Tagged(3, 5), "custom": Custom(3, 5)})
    guard(model)
    assert isinstance(model["tagged"].__dict__.get("forward"), GuardedForward)
    assert "forward" not in model["custom"].__dict__
    model["custom"](torch.randn(4, 2, 3), [4, 4])


def test_guard_and_unguard_reject_a_non_module() -> None:
    with pytest.raises(TypeError, match="nn.Module"):
        guard(lambda x: x)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"rnnlint.unguard expects an nn.Module, got int"):
        unguard(42)  # type: ignore[type-var]


# --------------------------------------------------------------------------- what it leaves alone


def test_guarded_outputs_and_gradients_are_bit_identical() -> None:
    plain, guarded_model = _twins()
    guard(guarded_model)
    out_plain, out_guarded = plain(TOKENS), guarded_model(TOKENS)
    assert torch.equal(out_plain, out_guarded)
    out_plain.square().sum().backward()
    out_guarded.square().sum().backward()
    for (name, p), (_, q) in zip(plain.named_parameters(), guarded_model.named_parameters()):
        assert torch.equal(p.grad, q.grad), name


def test_guard_accepts_valid_unusual_calls() -> None:
    lstm = guard(nn.LSTM(3, 5))
    h = (torch.zeros(1, 2, 5), torch.zeros(1, 2, 5))
    lstm(torch.randn(4, 2, 3), list(h))  # a list as the LSTM state
    lstm(torch.randn(4, 0, 3))  # batch size 0
    lstm(torch.randn(4, 2, 3).transpose(0, 1).transpose(0, 1)[:, :, :])  # non-contiguous
    lstm(torch.randn(4, 3), (torch.zeros(1, 5), torch.zeros(1, 5)))  # unbatched
    lstm(input=torch.randn(4, 2, 3), hx=h)
    cell = guard(nn.LSTMCell(3, 5))
    cell(torch.randn(3), (torch.zeros(5), torch.zeros(5)))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        guard(nn.GRU(3, 5))(torch.randn(4, 2, 3), torch.zeros(1, 2, 5))


def test_guard_reads_no_values() -> None:
    # meta tensors have shapes, dtypes and devices but no data: reading a value would fail
    for module, x in [(nn.LSTM(3, 5, device="meta"), torch.empty(4, 2, 3, device="meta")),
                      (nn.GRUCell(3, 5, device="meta"), torch.empty(2, 3, device="meta"))]:
        guard(module)(x)


def test_a_deep_copy_of_a_guarded_model_is_guarded_alike() -> None:
    model = guard(Seq2Seq(), strict=True)
    expected = model(TOKENS)
    clone = copy.deepcopy(model)
    assert torch.equal(clone(TOKENS), expected)
    forward = clone.encoder.rnn.__dict__["forward"]
    assert forward.module is clone.encoder.rnn and forward.checker.strict  # bound to the copy
    assert clone.alias.forward.module is clone.shared  # a shared module is copied once
    with pytest.raises(RNNShapeError) as info:
        clone.encoder.rnn(torch.randn(4, 7, 3))
    assert info.value.module_name == "encoder.rnn"
    unguard(model)
    assert "forward" in clone.encoder.rnn.__dict__  # the copy's guard is its own


def test_a_guarded_model_pickles_and_saves_as_the_plain_model() -> None:
    plain = Seq2Seq()
    model = guard(copy.deepcopy(plain))
    expected = model(TOKENS)
    buffer = io.BytesIO()
    torch.save(model, buffer)
    assert b"rnnlint" not in buffer.getvalue() and b"rnnlint" not in pickle.dumps(model)
    buffer.seek(0)
    for clone in [pickle.loads(pickle.dumps(model)), torch.load(buffer, weights_only=False)]:
        assert torch.equal(clone(TOKENS), expected)
        assert _snapshot(clone).__repr__().count("rnnlint") == 0
        assert [sorted(m.__dict__) for m in clone.modules()] == [sorted(m.__dict__) for m in plain.modules()]
        with pytest.raises(RuntimeError) as info:  # torch's own error: the copy is not guarded
            clone.encoder.rnn(torch.randn(4, 7, 3))
        assert not isinstance(info.value, RNNShapeError)
    assert isinstance(model.encoder.rnn.forward, GuardedForward)  # the original stays guarded


LOAD_WITHOUT_RNNLINT = """
import sys
sys.modules["rnnlint"] = None  # `import rnnlint` (and any rnnlint.* module) raises ImportError
import torch
model = torch.load(sys.argv[1], weights_only=False)
outputs = [model["lstm"](torch.randn(4, 2, 3))[0], model["cell"](torch.randn(2, 3))[0]]
print(tuple(outputs[0].shape), tuple(outputs[1].shape))
"""


def test_a_saved_guarded_model_loads_and_runs_where_rnnlint_cannot_be_imported(tmp_path: Path) -> None:
    model = guard(nn.ModuleDict({"lstm": nn.LSTM(3, 5), "cell": nn.LSTMCell(3, 5)}))
    torch.save(model, tmp_path / "model.pt")
    done = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_RNNLINT, str(tmp_path / "model.pt")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(4,", "2,", "5)", "(2,", "5)"]


def test_a_shallow_copy_runs_itself() -> None:
    gru = guard(nn.GRU(3, 5))
    shallow = copy.copy(gru)
    shallow.batch_first = True  # an attribute of the copy alone
    x, h0 = torch.randn(2, 6, 3), torch.zeros(1, 2, 5)  # batch 2 only when read as (batch, time)
    assert shallow(x, h0)[0].shape == (2, 6, 5)  # the copy ran, not the time-major original
    assert "forward" not in shallow.__dict__  # a shallow copy is the plain module
    del gru
    gc.collect()
    assert shallow(x, h0)[0].shape == (2, 6, 5)


def test_a_forward_kept_alone_runs_after_the_module_is_dropped() -> None:
    forward = guard(nn.GRU(3, 5)).forward
    gc.collect()
    assert forward(torch.randn(4, 2, 3))[0].shape == (4, 2, 5)
    with pytest.raises(RNNShapeError):
        forward(torch.randn(4, 2, 7))


def test_unguard_of_a_guarded_model_frees_it_without_the_cycle_collector() -> None:
    import weakref

    gc.disable()
    try:
        model = guard(Seq2Seq())
        model(TOKENS)
        alive = weakref.ref(unguard(model))
        del model
        assert alive() is None
    finally:
        gc.enable()


def test_state_dict_has_no_new_keys() -> None:
    plain, guarded_model = _twins()
    guard(guarded_model)
    assert guarded_model.state_dict().keys() == plain.state_dict().keys()
    guarded_model.load_state_dict(plain.state_dict())


def _snapshot(model: nn.Module) -> list[tuple[str, dict]]:
    """Every attribute of every module, and the contents of its dicts (the hook dicts among them)."""
    return [(name, {k: (v, list(v.items()) if isinstance(v, dict) else None) for k, v in m.__dict__.items()})
            for name, m in model.named_modules()]


def test_unguard_restores_each_module_exactly() -> None:
    model = Seq2Seq()
    model.stack[0].register_forward_pre_hook(lambda m, args: None)
    own_forward = model.cell.forward
    model.cell.forward = own_forward  # an instance forward the user set before guarding
    before = _snapshot(model)
    global_hooks = dict(torch.nn.modules.module._global_forward_pre_hooks)
    guard(model, strict=True)
    guard(model)  # guarding twice replaces, never stacks
    assert model.cell.forward.previous is own_forward
    unguard(model)
    after = _snapshot(model)
    assert [n for n, _ in after] == [n for n, _ in before]
    for (name, was), (_, now) in zip(before, after):
        assert now.keys() == was.keys(), name
        assert all(now[k][0] is was[k][0] and now[k][1] == was[k][1] for k in was), name
    assert torch.nn.modules.module._global_forward_pre_hooks == global_hooks


def test_guarded_context_restores_what_was_there() -> None:
    model = Seq2Seq()
    guard(model.encoder)
    outer = model.encoder.rnn.forward
    with guarded(model, strict=True) as inside:
        assert inside is model
        assert _error(lambda: model.stack[0](torch.randn(5, 3, 7))).code == "RNN001"
    assert model.encoder.rnn.forward is outer
    assert "forward" not in model.stack[0].__dict__
    assert rnnlint.guard is guard


# --------------------------------------------------------------------------- tracing and compiling


def test_jit_trace_of_a_guarded_model() -> None:
    plain, guarded_model = _twins()
    guard(guarded_model)
    with pytest.warns(Warning):  # torch's own DeprecationWarning / TracerWarnings
        traced = torch.jit.trace(guarded_model, (TOKENS,))
    assert torch.equal(traced(TOKENS), plain(TOKENS))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jit_trace_checks_the_traced_call() -> None:
    with pytest.raises(RNNShapeError):
        torch.jit.trace(guard(nn.GRU(3, 5)), (torch.randn(4, 2, 7),))


class ScriptableNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(3, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_jit_script_needs_unguard_first() -> None:
    model = guard(ScriptableNet())
    with pytest.raises(AttributeError, match=r"torch.jit.script cannot compile; call rnnlint.unguard\(model\) first"):
        torch.jit.script(model)  # the compiler wants a function as the GRU's forward
    scripted = torch.jit.script(unguard(model))
    x = torch.randn(4, 2, 3)
    assert torch.equal(scripted(x), model(x))


def test_torch_compile_sees_no_graph_break_from_the_guard() -> None:
    plain, guarded_model = _twins()
    guard(guarded_model)
    torch._dynamo.reset()
    with torch._dynamo.config.patch(allow_rnn=True):  # Dynamo traces RNN modules only when asked
        assert torch._dynamo.explain(plain)(TOKENS).graph_break_count == 0
        explained = torch._dynamo.explain(guarded_model)(TOKENS)
        assert (explained.graph_count, explained.graph_break_count) == (1, 0), explained.break_reasons
        compiled = torch.compile(guarded_model, backend="eager")
        assert torch.equal(compiled(TOKENS), plain(TOKENS))
        with pytest.raises(RNNShapeError) as info:
            torch.compile(guarded_model.encoder.rnn, backend="eager")(torch.randn(4, 7, 3))
        assert info.value.code == "RNN001"
    torch._dynamo.reset()
    # by default Dynamo declines RNN modules (eager fallback); the guard adds no reason of its own
    reasons = [str(r.reason) for r in torch._dynamo.explain(guarded_model)(TOKENS).break_reasons]
    assert all("RNN, GRU, or LSTM" in reason for reason in reasons)
    assert torch.equal(torch.compile(guarded_model, backend="eager")(TOKENS), plain(TOKENS))
    torch._dynamo.reset()
