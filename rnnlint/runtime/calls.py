"""One live RNN call in the contract's terms, and the first rule it breaks.

A call is reduced to a *signature*: the module's live configuration plus the shape, dtype and
device of each argument (never a value, so a check can never sync a GPU). The verdict is a pure
function of the signature, so `CallChecker` remembers the signatures it accepted and a repeated
call costs a tuple build and a set lookup; the contract runs only for a signature not seen yet.

The order of the checks follows torch's (torch-oracle.md, section 2), so where torch raises the
guard raises first with the code torch's own error corresponds to.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

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

# Signatures are plain tuples (the cheapest hashable value):
#   tensor:   ("tensor", shape, dtype, device)
#   packed:   ("packed", data shape, dtype, device, batch, steps)
#   other:    ("other", type name)  -- None, a dict, a list given as input, ...
#   pair:     ("tuple" | "list", (tensor or other signature, ...))  -- a hidden state only
#   config:   (input_size, hidden_size, num_layers, bidirectional, batch_first, proj_size,
#              nonlinearity, weight_ih shape, weight dtype, weight device)
Sig = tuple
MAX_ACCEPTED = 4096  # distinct accepted signatures kept per checker (variable lengths add up)


class RNNShapeError(ValueError):
    """An RNN call broke the contract: `.code` names the rule, `.module_name` the module's path
    in the guarded model, `.expected`/`.actual`/`.hint` the facts the message is built from."""

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


def kind_of(module: nn.Module) -> Optional[str]:
    """The contract's kind of an RNN module or cell, None for anything else."""
    if isinstance(module, nn.RNNBase):
        return "RNN" if module.mode.startswith("RNN_") else module.mode
    for cls in (nn.LSTMCell, nn.GRUCell, nn.RNNCell):
        if isinstance(module, cls):
            return cls.__name__
    return None


# --------------------------------------------------------------------------- signatures


def _weight(module: nn.Module, name: str) -> Tensor:
    # the registered parameter first: torch's `_flat_weights` may be stale until its forward runs
    w = module._parameters.get(name)
    return w if w is not None else getattr(module, name)


def _recurrent_config(m: Any) -> Sig:
    w = _weight(m, "weight_ih_l0")
    return (m.input_size, m.hidden_size, m.num_layers, m.bidirectional, m.batch_first, m.proj_size,
            None, w.shape, w.dtype, w.device)


def _cell_config(m: Any) -> Sig:
    w = _weight(m, "weight_ih")
    return (m.input_size, m.hidden_size, 1, False, False, 0, None, w.shape, w.dtype, w.device)


def _rnn_cell_config(m: Any) -> Sig:
    w = _weight(m, "weight_ih")
    return (m.input_size, m.hidden_size, 1, False, False, 0, m.nonlinearity, w.shape, w.dtype, w.device)


_CONFIG_READERS: dict[str, Callable[[Any], Sig]] = {
    "RNN": _recurrent_config, "LSTM": _recurrent_config, "GRU": _recurrent_config,
    "LSTMCell": _cell_config, "GRUCell": _cell_config, "RNNCell": _rnn_cell_config,
}


def _input_sig(x: object) -> Sig:
    if isinstance(x, Tensor):
        return ("tensor", x.shape, x.dtype, x.device)
    if isinstance(x, PackedSequence):
        data, batch_sizes = x.data, x.batch_sizes
        # batch_sizes always lives on the CPU (torch enforces it): reading it cannot sync a GPU
        batch = int(batch_sizes[0]) if batch_sizes.shape[0] else 0
        return ("packed", data.shape, data.dtype, data.device, batch, batch_sizes.shape[0])
    return ("other", type(x).__name__)


def _hidden_sig(hx: object) -> Optional[Sig]:
    if hx is None:
        return None
    if isinstance(hx, Tensor):
        return ("tensor", hx.shape, hx.dtype, hx.device)
    if isinstance(hx, (tuple, list)):
        return ("list" if isinstance(hx, list) else "tuple", tuple([_input_sig(h) for h in hx]))
    return ("other", type(hx).__name__)


class CallChecker:
    """Checks the calls of one kind of module; remembers the signatures it accepted."""

    def __init__(self, kind: str, strict: bool) -> None:
        self.kind = kind
        self.strict = strict
        self._config = _CONFIG_READERS[kind]
        self._accepted: set[Sig] = set()

    def __reduce__(self) -> tuple[Any, ...]:
        # what was accepted is a cache: a copy starts empty
        return type(self), (self.kind, self.strict)

    def check(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> None:
        """Raise RNNShapeError when the call `module(*args, **kwargs)` breaks the contract."""
        if torch._C._is_tracing():
            # under torch.jit.trace sizes are traced tensors: read them with the tracer paused (no
            # TracerWarning, nothing recorded) and remember nothing (they are new objects each call)
            state = torch._C._get_tracing_state()
            torch._C._set_tracing_state(None)
            try:
                self._judge(self._signature(module, args, kwargs), name)
            finally:
                torch._C._set_tracing_state(state)
            return
        key = self._signature(module, args, kwargs)
        if key in self._accepted:
            return
        self._judge(key, name)
        if len(self._accepted) >= MAX_ACCEPTED:
            self._accepted.clear()
        self._accepted.add(key)

    def _signature(self, module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Sig:
        if args:
            x = args[0]
            hx = args[1] if len(args) > 1 else kwargs.get("hx")
        else:
            x = kwargs.get("input")
            hx = kwargs.get("hx")
        return (self._config(module), _input_sig(x), _hidden_sig(hx), torch._C._is_any_autocast_enabled())

    def _judge(self, key: Sig, name: str) -> None:
        found = first_violation(self.kind, key, self.strict)
        if found is not None:
            violation, spec = found
            raise RNNShapeError(violation, name, spec.describe())


# --------------------------------------------------------------------------- the verdict


def first_violation(kind: str, key: Sig, strict: bool) -> Optional[tuple[Violation, RNNSpec]]:
    """The first violation of the call described by `key` that the guard raises (with the spec
    read from the module), or None when the call is accepted."""
    config, x_sig, hx_sig, autocast = key
    spec = _spec(kind, config)
    violation = _module_defect(spec, config)
    if violation is None and x_sig[0] != "other":  # a non-tensor input: no rule names it, torch rejects it
        violation = _call_violation(spec, config, x_sig, hx_sig, autocast, strict)
    return None if violation is None else (violation, spec)


def _call_violation(spec: RNNSpec, config: Sig, x_sig: Sig, hx_sig: Optional[Sig], autocast: bool,
                    strict: bool) -> Optional[Violation]:
    """Torch's order: ranks and types, the input dtype, sizes (the contract), devices, the other
    dtypes. A cell has no Python dtype check: its kernel fails after the sizes are checked."""
    x, packed = _input_shape(spec, x_sig)
    hx = _hidden(hx_sig)
    tensors = _tensors(spec, x_sig, hx_sig)
    w_dtype, w_device = config[8], config[9]
    # autocast casts floating tensors to its own dtype (and torch skips its dtype check)
    typed = [(n, s) for n, s in tensors if not (autocast and s[2] in _AUTOCAST_DTYPES)]
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


def _spec(kind: str, config: Sig) -> RNNSpec:
    input_size, hidden_size, num_layers, bidirectional, batch_first, proj_size, nonlinearity = config[:7]
    return RNNSpec(
        kind=kind,
        input_size=Dim(int(input_size)),
        hidden_size=Dim(int(hidden_size)),
        num_layers=Dim(int(num_layers)),
        bidirectional=bidirectional if isinstance(bidirectional, bool) else None,
        batch_first=bool(batch_first),
        proj_size=Dim(int(proj_size)),
        nonlinearity=nonlinearity,
    )


# Arguments the constructor does not validate and the first forward rejects (oracle C26, C35, K01).
_LATE_ARGUMENTS = ("bidirectional", "nonlinearity", "proj_size")


def _module_defect(spec: RNNSpec, config: Sig) -> Optional[Violation]:
    """The module itself is broken: a late-failing argument, or `input_size` that disagrees with
    `weight_ih` (torch's oneDNN LSTM path trusts the attribute and runs unchecked, W07/W08)."""
    input_size, hidden_size, _, bidirectional, _, proj_size, nonlinearity, w_shape = config[:8]
    args: dict[str, object] = {"input_size": input_size, "hidden_size": hidden_size}
    if not spec.is_cell:
        args["bidirectional"] = bidirectional
    if nonlinearity is not None:
        args["nonlinearity"] = nonlinearity
    if spec.kind == "GRU" and proj_size:  # set through the 8th positional argument (C26)
        args["proj_size"] = proj_size
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
    return Shape.of(*sig[1]) if sig[0] == "tensor" else None


def _input_shape(spec: RNNSpec, sig: Sig) -> tuple[Shape, bool]:
    """The input as the contract sees it; a PackedSequence becomes its padded (batch, time, ...)."""
    if sig[0] == "packed":
        _, data_shape, _, _, batch, steps = sig
        dims = (Dim(batch, origin="batch_sizes[0]"), Dim(steps), *(Dim(d) for d in data_shape[1:]))
        return Shape(dims, origin="the packed sequence, padded as (batch, time, features)"), True
    dims = tuple(Dim(d) for d in sig[1])
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
    if sig[0] == "tensor":
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


def _tensors(spec: RNNSpec, x_sig: Sig, hx_sig: Optional[Sig]) -> list[tuple[str, Sig]]:
    """(name, signature) of the input and each hidden tensor, the input first."""
    found = [("input", x_sig)]
    names = _state_names(spec)
    if hx_sig is None:
        return found
    if hx_sig[0] == "tensor":
        found.append((names[0], hx_sig))
    elif hx_sig[0] in ("tuple", "list"):
        found += [(n, s) for n, s in zip(names, hx_sig[1]) if s[0] == "tensor"]
    return found


# --------------------------------------------------------------------------- runtime-only rules


def _non_tensor_state(spec: RNNSpec, hx_sig: Optional[Sig]) -> Optional[Violation]:
    """RNN006 for what the contract cannot see: a hidden state (or an element of an LSTM's pair)
    that is not a tensor at all (torch: KeyError, AttributeError on `.dim`)."""
    if hx_sig is None:
        return None
    h, c = _state_names(spec)
    want = f"an ({h}, {c}) pair of tensors" if spec.is_lstm else f"a tensor {h}"
    if hx_sig[0] == "other":
        return Violation("RNN006", "hx", f"hx as {want}", f"hx is a {hx_sig[1]}",
                         f"pass ({h}, {c})" if spec.is_lstm else f"pass {h} itself")
    if hx_sig[0] in ("tuple", "list") and spec.is_lstm:
        for name, sig in zip((h, c), hx_sig[1]):
            if sig[0] != "tensor":
                what = "a PackedSequence" if sig[0] == "packed" else (
                    "None" if sig[1] == "NoneType" else f"a {sig[1]}")
                return Violation("RNN006", name, f"hx as {want}", f"{name} is {what}",
                                 f"pass both states; with no {name} of your own use torch.zeros_like on the other"
                                 if sig[1] == "NoneType" else f"make {name} a tensor")
    return None


def _dtype(tensors: list[tuple[str, Sig]], w_dtype: torch.dtype) -> Optional[Violation]:
    """RNN013: torch checks only the input in Python; a hidden state of another dtype fails in
    the kernel (`mat1 and mat2 must have the same dtype`, `get_mkldnn_dtype`)."""
    for name, sig in tensors:
        dtype = sig[2]
        if dtype != w_dtype:
            if name == "input":
                hint = f"convert the input with x.to({w_dtype}), or the model with model.to({dtype})"
            else:
                hint = f"create {name} in the input's dtype (torch.zeros(..., dtype=x.dtype)) or use {name}.to(x.dtype)"
            return Violation("RNN013", name, f"the {_noun(name)} in {w_dtype}, the weights' dtype",
                             f"it is {dtype}", hint)
    return None


def _device(tensors: list[tuple[str, Sig]], w_device: torch.device) -> Optional[Violation]:
    """RNN014: every tensor of the call on the weights' device."""
    for name, sig in tensors:
        device = sig[3]
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
