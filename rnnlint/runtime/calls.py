"""One live RNN call in the contract's terms, and the first rule it breaks.

A call is reduced to a *signature*: the module's live configuration plus the shape, dtype and
device of each argument (never a value, so a check can never sync a GPU). The verdict is a pure
function of the signature, so `CallChecker` remembers the signatures it accepted and a repeated
call costs a tuple build and a set lookup; the contract runs only for a signature not seen yet.

The order of the checks follows torch's (torch-oracle.md, section 2), so where torch raises the
guard raises first with the code torch's own error corresponds to.
"""

from __future__ import annotations

from typing import Any, Optional

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from .. import rules
from ..contract import (
    UNKNOWN,
    UNKNOWN_HIDDEN,
    Dim,
    Hidden,
    RNNSpec,
    Shape,
    StatePair,
    Violation,
    check_call,
    check_constructor,
)

# A call's signature: (attributes, weight shape, weight dtype, weight device, input, hidden),
# plain values only, the cheapest thing to build and hash. `attributes` are the module's
# `_ATTRIBUTES[kind]`, in order. A tensor is (shape, dtype, device); anything else starts with a tag:
#   ("packed", data shape, dtype, device, batch, steps)    a PackedSequence
#   ("tuple" | "list", (element, ...))                     a hidden state given as a sequence
#   ("other", type name)                                   None in a pair, a dict, ...
Sig = tuple
MAX_ACCEPTED = 4096  # distinct accepted signatures kept per checker (variable lengths add up)

_RECURRENT = ("input_size", "hidden_size", "num_layers", "bidirectional", "batch_first", "proj_size")
_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "RNN": _RECURRENT, "LSTM": _RECURRENT, "GRU": _RECURRENT,
    "LSTMCell": ("input_size", "hidden_size"), "GRUCell": ("input_size", "hidden_size"),
    "RNNCell": ("input_size", "hidden_size", "nonlinearity"),
}


# Readers of `_ATTRIBUTES[kind]` (plain attribute loads: the fastest, and traceable by Dynamo).
def _recurrent_attributes(m: Any) -> tuple[Any, ...]:
    return (m.input_size, m.hidden_size, m.num_layers, m.bidirectional, m.batch_first, m.proj_size)


def _cell_attributes(m: Any) -> tuple[Any, ...]:
    return (m.input_size, m.hidden_size)


def _rnn_cell_attributes(m: Any) -> tuple[Any, ...]:
    return (m.input_size, m.hidden_size, m.nonlinearity)


_READERS = {"RNN": _recurrent_attributes, "LSTM": _recurrent_attributes, "GRU": _recurrent_attributes,
            "LSTMCell": _cell_attributes, "GRUCell": _cell_attributes, "RNNCell": _rnn_cell_attributes}


class RNNShapeError(RuntimeError, ValueError):
    """An RNN call broke the contract: `.code` names the rule, `.module_name` the module's path
    in the guarded model, `.expected`/`.actual`/`.hint` the facts the message is built from.

    A RuntimeError, as torch's own errors for these calls are (a test that expects torch's error
    passes guarded too), and a ValueError, as torch's dtype errors are."""

    def __init__(self, violation: Violation, module_name: str, module_text: str) -> None:
        self.violation = violation
        self.code = violation.code
        self.module_name = module_name
        self.module_text = module_text
        self.expected = violation.expected
        self.actual = violation.actual
        self.hint = violation.hint
        label = f"{module_name} = {module_text}" if module_name else module_text
        rule = rules.get(violation.code)
        name = f" {rule.name}" if rule else ""
        super().__init__(f"{violation.code}{name}: {violation.render(label)}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.violation, self.module_name, self.module_text)


RNNShapeError.__module__ = "rnnlint"  # tracebacks show the public name, rnnlint.RNNShapeError


def hide_guard_frames(excinfo: Any) -> bool:
    """A guard module's `__tracebackhide__`: pytest leaves its frames out of a guard failure, so
    the traceback ends at the user's call (any other error shows them: a bug stays visible)."""
    return excinfo is not None and excinfo.errisinstance(RNNShapeError)


__tracebackhide__ = hide_guard_frames
# torch's `Module.__call__` frames sit between the user's call and the guard's: hidden too, for
# a guard failure only (pytest reads `__tracebackhide__` from a frame's globals)
vars(torch.nn.modules.module).setdefault("__tracebackhide__", hide_guard_frames)


def kind_of(module: nn.Module) -> Optional[str]:
    """The contract's kind of an RNN module or cell, None for anything else."""
    if isinstance(module, nn.RNNBase):
        return "RNN" if module.mode.startswith("RNN_") else module.mode
    for cls in (nn.LSTMCell, nn.GRUCell, nn.RNNCell):
        if isinstance(module, cls):
            return cls.__name__
    return None


# --------------------------------------------------------------------------- signatures


def _sig(value: object) -> Sig:
    if isinstance(value, Tensor):
        return (value.shape, value.dtype, value.device)
    if isinstance(value, PackedSequence):  # before tuple: it is a namedtuple
        data, batch_sizes = value.data, value.batch_sizes
        # batch_sizes always lives on the CPU (torch enforces it): reading it cannot sync a GPU
        batch = int(batch_sizes[0]) if batch_sizes.shape[0] else 0
        return ("packed", data.shape, data.dtype, data.device, batch, batch_sizes.shape[0])
    if isinstance(value, (tuple, list)):
        return ("list" if isinstance(value, list) else "tuple", tuple([_sig(v) for v in value]))
    return ("other", type(value).__name__)


def _is_tensor(sig: Sig) -> bool:
    return not isinstance(sig[0], str)


class CallChecker:
    """Checks the calls of one kind of module; remembers the signatures it accepted."""

    def __init__(self, kind: str, strict: bool) -> None:
        self.kind = kind
        self.strict = strict
        self._attributes = _READERS[kind]
        self._weight = "weight_ih" if kind.endswith("Cell") else "weight_ih_l0"
        self._accepted: set[Sig] = set()
        self._accepted_in_autocast: set[Sig] = set()

    def __reduce__(self) -> tuple[Any, ...]:
        # what was accepted is a cache: a copy starts empty
        return type(self), (self.kind, self.strict)

    def check(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> None:
        """Raise RNNShapeError when the call `module(*args, **kwargs)` breaks the contract."""
        if args:
            x = args[0]
            hx = args[1] if len(args) > 1 else kwargs.get("hx")
        else:
            x = kwargs.get("input")
            hx = kwargs.get("hx")
        # the registered parameter, read live: torch's `_flat_weights` may be stale until its
        # forward runs; a computed (parametrized) weight is not registered
        w = module._parameters.get(self._weight)
        if w is None:
            w = getattr(module, self._weight)
        if hx is None:
            hx_sig = None
        elif type(hx) is tuple and len(hx) == 2 and type(hx[0]) is Tensor and type(hx[1]) is Tensor:
            h, c = hx  # the common LSTM state, inlined: this line runs on every call
            hx_sig = ("tuple", ((h.shape, h.dtype, h.device), (c.shape, c.dtype, c.device)))
        else:
            hx_sig = _sig(hx)
        key = (self._attributes(module), w.shape, w.dtype, w.device,
               (x.shape, x.dtype, x.device) if type(x) is Tensor else _sig(x), hx_sig)
        if key not in self._accepted:
            self._check_new(key, name)

    def _check_new(self, key: Sig, name: str) -> None:
        """A signature not accepted before: run the contract."""
        autocast = torch._C._is_any_autocast_enabled()
        if torch.jit.is_tracing():
            # sizes are traced tensors here (new objects each call: nothing worth remembering);
            # read them with the tracer paused, so nothing is recorded and nothing warns
            state = torch._C._get_tracing_state()
            torch._C._set_tracing_state(None)
            try:
                self._judge(key, name, autocast)
            finally:
                torch._C._set_tracing_state(state)
            return
        # autocast only lifts dtype checks: what is accepted without it is accepted with it
        accepted = self._accepted_in_autocast if autocast else self._accepted
        if key in accepted:
            return
        self._judge(key, name, autocast)
        if len(accepted) >= MAX_ACCEPTED:
            accepted.clear()
        accepted.add(key)

    def _judge(self, key: Sig, name: str, autocast: bool) -> None:
        found = first_violation(self.kind, key, autocast, self.strict)
        if found is not None:
            violation, spec = found
            raise RNNShapeError(violation, name, spec.describe())


# --------------------------------------------------------------------------- the verdict


def first_violation(kind: str, key: Sig, autocast: bool, strict: bool) -> Optional[tuple[Violation, RNNSpec]]:
    """The first violation of the call described by `key` that the guard raises (with the spec
    read from the module), or None when the call is accepted."""
    attributes = dict(zip(_ATTRIBUTES[kind], key[0]))
    w_shape, w_dtype, w_device, x_sig, hx_sig = key[1:]
    spec = _spec(kind, attributes)
    violation = _module_defect(spec, attributes, w_shape)
    # an input that is neither a tensor nor a PackedSequence: no rule names it, torch rejects it
    if violation is None and (_is_tensor(x_sig) or x_sig[0] == "packed"):
        violation = _call_violation(spec, w_dtype, w_device, x_sig, hx_sig, autocast, strict)
    return None if violation is None else (violation, spec)


def _call_violation(spec: RNNSpec, w_dtype: torch.dtype, w_device: torch.device, x_sig: Sig,
                    hx_sig: Optional[Sig], autocast: bool, strict: bool) -> Optional[Violation]:
    """Torch's order: ranks and types, the input dtype, sizes (the contract), devices, the other
    dtypes. A cell has no Python dtype check: its kernel fails after the sizes are checked."""
    x, packed = _input_shape(spec, x_sig)
    hx = _hidden(hx_sig)
    tensors = _tensors(spec, x_sig, hx_sig)
    # autocast casts floating tensors to its own dtype (and torch skips its dtype check)
    typed = [t for t in tensors if not (autocast and t[1] in _AUTOCAST_DTYPES)]
    input_first = not spec.is_cell and bool(typed) and typed[0][0] == "input"
    early, late = (typed[:1], typed[1:]) if input_first else ([], typed)
    contract = _first(check_call(spec, x, hx, packed), strict)
    # what the contract proves from ranks and types alone comes before the dtype, as in torch;
    # the full check reports it with the real sizes
    structural = _first(check_call(spec, _rank_only(x), _rank_only_hidden(hx), packed), strict=False)
    if structural is not None:
        return contract or structural
    return (
        _non_tensor_state(spec, hx_sig)
        or _dtype(early, w_dtype)
        or contract
        or _device(tensors, w_device)
        or _dtype(late, w_dtype)
    )


_AUTOCAST_DTYPES = (torch.float32, torch.float16, torch.bfloat16)


def _first(found: list[Violation], strict: bool) -> Optional[Violation]:
    """The first violation torch raises on; in strict mode also a silent RNN002."""
    return next((v for v in found if v.raises or (strict and v.code == "RNN002")), None)


def _spec(kind: str, attributes: dict[str, Any]) -> RNNSpec:
    bidirectional = attributes.get("bidirectional", False)
    return RNNSpec(
        kind=kind,
        input_size=Dim(int(attributes["input_size"])),
        hidden_size=Dim(int(attributes["hidden_size"])),
        num_layers=Dim(int(attributes.get("num_layers", 1))),
        bidirectional=bidirectional if isinstance(bidirectional, bool) else None,
        batch_first=bool(attributes.get("batch_first", False)),
        proj_size=Dim(int(attributes.get("proj_size", 0))),
        nonlinearity=attributes.get("nonlinearity", "tanh"),
    )


# Arguments the constructor does not validate and the first forward rejects (oracle C26, C35, K01).
_LATE_ARGUMENTS = ("bidirectional", "nonlinearity", "proj_size")


def _module_defect(spec: RNNSpec, attributes: dict[str, Any], w_shape: torch.Size) -> Optional[Violation]:
    """The module itself is broken: a late-failing argument, or `input_size` that disagrees with
    `weight_ih` (torch's oneDNN LSTM path trusts the attribute and runs unchecked, W07/W08)."""
    input_size = attributes["input_size"]
    args = {k: attributes[k] for k in ("input_size", "hidden_size", "bidirectional", "nonlinearity") if k in attributes}
    if spec.kind == "GRU" and attributes["proj_size"]:  # set through the 8th positional argument (C26)
        args["proj_size"] = attributes["proj_size"]
    for v in check_constructor(spec.kind, args, positional_count=2):
        if v.subject in _LATE_ARGUMENTS:
            return Violation(v.code, v.subject, v.expected, v.actual, v.hint)
    weight = "weight_ih" if spec.is_cell else "weight_ih_l0"
    if len(w_shape) == 2 and w_shape[1] != input_size:
        return Violation(
            "RNN001", weight, f"input_size={input_size}, the number of input columns of {weight}",
            f"{weight} is {tuple(w_shape)}, so the layer really takes {w_shape[1]} features "
            "(the module was changed after it was built)",
            f"rebuild the module, or set input_size and {weight} together")
    return None


# --------------------------------------------------------------------------- signatures as shapes


def _shape(sig: Sig) -> Optional[Shape]:
    return Shape.of(*sig[0]) if _is_tensor(sig) else None


def _input_shape(spec: RNNSpec, sig: Sig) -> tuple[Shape, bool]:
    """The input as the contract sees it; a PackedSequence becomes its padded (batch, time, ...)."""
    if sig[0] == "packed":
        _, data_shape, _, _, batch, steps = sig
        dims = (Dim(batch, origin="batch_sizes[0]"), Dim(steps), *(Dim(d) for d in data_shape[1:]))
        return Shape(dims, origin="the packed sequence, padded as (batch, time, features)"), True
    dims = tuple(Dim(d) for d in sig[0])
    if not spec.is_cell and len(dims) == 3:
        axis = 0 if spec.batch_first else 1
        dims = dims[:axis] + (dims[axis].with_origin(f"input.size({axis})"),) + dims[axis + 1:]
        return Shape(dims, origin=f"the input, read as {_layout(spec)}"), False
    if spec.is_cell and len(dims) == 2:
        dims = (dims[0].with_origin("input.size(0)"), dims[1])
    return Shape(dims), False


def _layout(spec: RNNSpec) -> str:
    return "(batch, seq_len, features)" if spec.batch_first else "(seq_len, batch, features)"


def _hidden(sig: Optional[Sig]) -> Hidden:
    if sig is None:
        return None
    if _is_tensor(sig):
        return _shape(sig)
    if sig[0] in ("tuple", "list"):
        return StatePair(tuple(_shape(s) for s in sig[1]), sig[0])
    return UNKNOWN_HIDDEN  # not a tensor nor a sequence: `_non_tensor_state` names it


def _rank_only(shape: Optional[Shape]) -> Optional[Shape]:
    """Keep only the rank: what torch checks before the dtype and the sizes."""
    return None if shape is None else Shape(tuple(UNKNOWN for _ in shape.dims))


def _rank_only_hidden(hx: Hidden) -> Hidden:
    if isinstance(hx, Shape):
        return _rank_only(hx)
    if isinstance(hx, StatePair):
        return StatePair(tuple(_rank_only(s) for s in hx.items), hx.container)
    return hx


def _state_names(spec: RNNSpec) -> tuple[str, str]:
    return ("h", "c") if spec.is_cell else ("h0", "c0")


def _tensors(spec: RNNSpec, x_sig: Sig, hx_sig: Optional[Sig]) -> list[tuple[str, torch.dtype, torch.device]]:
    """(name, dtype, device) of the input and of each hidden tensor, the input first."""
    found = [("input", *(x_sig[2:4] if x_sig[0] == "packed" else x_sig[1:3]))]
    if hx_sig is None:
        return found
    names = _state_names(spec)
    if _is_tensor(hx_sig):
        found.append((names[0], *hx_sig[1:3]))
    elif hx_sig[0] in ("tuple", "list"):
        found += [(n, *s[1:3]) for n, s in zip(names, hx_sig[1]) if _is_tensor(s)]
    return found


# --------------------------------------------------------------------------- runtime-only rules


def _non_tensor_state(spec: RNNSpec, hx_sig: Optional[Sig]) -> Optional[Violation]:
    """RNN006 for what the contract cannot see: a hidden state (or an element of an LSTM's pair)
    that is not a tensor at all (torch: KeyError, AttributeError on `.dim`)."""
    if hx_sig is None:
        return None
    h, c = _state_names(spec)
    want = f"an ({h}, {c}) pair of tensors" if spec.is_lstm else f"a tensor {h}"
    if not _is_tensor(hx_sig) and hx_sig[0] == "other":
        return Violation("RNN006", "hx", f"hx as {want}", f"hx is a {hx_sig[1]}",
                         f"pass ({h}, {c})" if spec.is_lstm else f"pass {h} itself")
    if hx_sig[0] in ("tuple", "list") and spec.is_lstm:
        for name, sig in zip((h, c), hx_sig[1]):
            if not _is_tensor(sig):
                what = {"packed": "a PackedSequence", "tuple": "a tuple", "list": "a list"}.get(sig[0]) or (
                    "None" if sig[1] == "NoneType" else f"a {sig[1]}")
                return Violation("RNN006", name, f"hx as {want}", f"{name} is {what}",
                                 f"pass both states; with no {name} of your own use torch.zeros_like on the other"
                                 if what == "None" else f"make {name} a tensor")
    return None


def _dtype(tensors: list[tuple[str, torch.dtype, torch.device]], w_dtype: torch.dtype) -> Optional[Violation]:
    """RNN013: torch checks only the input in Python; a hidden state of another dtype fails in
    the kernel (`mat1 and mat2 must have the same dtype`, `get_mkldnn_dtype`)."""
    for name, dtype, _ in tensors:
        if dtype != w_dtype:
            if name == "input":
                hint = f"convert the input with x.to({w_dtype}), or the model with model.to({dtype})"
            else:
                hint = f"create {name} in the input's dtype (torch.zeros(..., dtype=x.dtype)) or use {name}.to(x.dtype)"
            return Violation("RNN013", name, f"the {_noun(name)} in {w_dtype}, the weights' dtype",
                             f"it is {dtype}", hint)
    return None


def _device(tensors: list[tuple[str, torch.dtype, torch.device]], w_device: torch.device) -> Optional[Violation]:
    """RNN014: every tensor of the call on the weights' device."""
    for name, _, device in tensors:
        if device != w_device:
            if name == "input":
                hint = "move the input to the model's device: x.to(next(model.parameters()).device)"
            else:
                hint = f"create {name} on the input's device: torch.zeros(..., device=x.device) or {name}.to(x.device)"
            return Violation("RNN014", name, f"the {_noun(name)} on {w_device}, the weights' device",
                             f"it is on {device}", hint)
    return None


def _noun(name: str) -> str:
    return "input" if name == "input" else f"hidden state {name}"
