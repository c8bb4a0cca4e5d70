"""`rnnlint.guard(model)`: check every call of every RNN module in a model against the contract.

Each guarded module gets a `GuardedForward` as its instance `forward`, in place of a forward
pre-hook: a hook sends every call through `Module._call_impl`'s slow path (4-5 µs a call on its
own, measured by bench/guard_overhead.py), an instance attribute costs one Python call.

A guard is a test-time concern, so it never travels with the module: the guard also sets the
module's instance `__getstate__`, which pickle, `torch.save` and `copy.copy` ask for the state,
to give the plain module's state (a saved model loads where rnnlint is not installed; a shallow
copy runs itself, unguarded). `copy.deepcopy` asks the instance `__deepcopy__` first, which
copies the plain module and guards the copy alike. The guard holds its module strongly, like a
bound method (a `forward` kept alone still runs): a guarded model is freed by the cycle
collector, or at once after `unguard`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional, TypeVar

from torch import nn

from .calls import CallChecker, RNNShapeError, hide_guard_frames, kind_of

__all__ = ["guard", "unguard", "guarded", "RNNShapeError", "GuardedForward"]

M = TypeVar("M", bound=nn.Module)

# The torch classes whose `forward` the guard understands (signature `forward(input, hx=None)`).
_TORCH_RNN_CLASSES = (nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell)
# The module `__dict__` entries a guard sets: its forward and the two copy hooks.
_ENTRIES = ("forward", "__getstate__", "__deepcopy__")
_FUNCTION_ATTRIBUTES = frozenset({"__code__", "__globals__", "__closure__", "__defaults__", "__kwdefaults__"})

__tracebackhide__ = hide_guard_frames


class GuardedForward:
    """A module's `forward` while guarded: check the call, then run the module's own forward."""

    def __init__(self, module: nn.Module, name: str, kind: str, strict: bool,
                 previous: Optional[Any] = None) -> None:
        self.module = module
        self.name = name
        self.checker = CallChecker(kind, strict)
        self.previous = previous  # an instance `forward` the module already had, called in turn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module = self.module
        self.checker.check(module, args, kwargs, self.name)
        if self.previous is not None:
            return self.previous(*args, **kwargs)
        return type(module).forward(module, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # reached only for a missing attribute, e.g. a function's, which torch.jit.script asks of a forward
        hint = (": this forward is rnnlint's guard, which torch.jit.script cannot compile; "
                "call rnnlint.unguard(model) first") if name in _FUNCTION_ATTRIBUTES else ""
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}{hint}")

    def plain_state(self) -> dict[str, Any]:
        """The module's state as if it were not guarded (its class's own `__getstate__`)."""
        module = self.module
        state = dict(type(module).__getstate__(module))
        for key in _ENTRIES:
            state.pop(key, None)
        if self.previous is not None:
            state["forward"] = self.previous
        return state

    def deep_copy(self, memo: dict[int, Any]) -> nn.Module:
        """`copy.deepcopy` of the module: the plain module copied as deepcopy would, then guarded
        alike (a shared module is copied once: `memo`)."""
        module = self.module
        clone = type(module).__new__(type(module))
        memo[id(module)] = clone
        clone.__setstate__(copy.deepcopy(self.plain_state(), memo))
        _install_one(clone, self.name, self.checker.kind, self.checker.strict)
        return clone


def _guardable(module: nn.Module) -> Optional[str]:
    """The module's kind when its class runs torch's own RNN forward (a subclass that overrides
    `forward` may take other arguments: it is left alone)."""
    kind = kind_of(module)
    if kind is None:
        return None
    owner = next(c for c in type(module).__mro__ if "forward" in c.__dict__)
    return kind if owner in _TORCH_RNN_CLASSES else None


def _install_one(module: nn.Module, name: str, kind: str, strict: bool) -> None:
    before = module.__dict__.get("forward")
    previous = before.previous if isinstance(before, GuardedForward) else before
    forward = GuardedForward(module, name, kind, strict, previous)
    module.__dict__.update(forward=forward, __getstate__=forward.plain_state, __deepcopy__=forward.deep_copy)


def _install(model: nn.Module, strict: bool) -> list[tuple[nn.Module, dict[str, Any]]]:
    """Guard each RNN module of `model` once (a shared module under its first name); return each
    touched module with the entries of `_ENTRIES` its `__dict__` had before."""
    _require_module(model, "guard")
    touched = []
    for name, module in model.named_modules():
        kind = _guardable(module)
        if kind is None:
            continue
        touched.append((module, {k: module.__dict__[k] for k in _ENTRIES if k in module.__dict__}))
        _install_one(module, name, kind, strict)
    return touched


def _require_module(model: Any, function: str) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"rnnlint.{function} expects an nn.Module, got {type(model).__name__}")


def guard(model: M, strict: bool = False) -> M:
    """Check every call of every RNN/LSTM/GRU module and cell inside `model` (in place).

    A call that breaks the contract raises `RNNShapeError` before torch sees it. `strict=True`
    also raises on RNN002 (a 2-D input to a batch_first module, which torch silently reads as one
    unbatched sequence). Guarding again replaces the guard (e.g. to change `strict`).
    """
    _install(model, strict)
    return model


def unguard(model: M) -> M:
    """Remove the guard from every module of `model`, restoring each module exactly."""
    _require_module(model, "unguard")
    for module in model.modules():
        current = module.__dict__.get("forward")
        if isinstance(current, GuardedForward):
            _restore(module, {} if current.previous is None else {"forward": current.previous})
    return model


def _restore(module: nn.Module, before: dict[str, Any]) -> None:
    for key in _ENTRIES:
        if key in before:
            module.__dict__[key] = before[key]
        else:
            module.__dict__.pop(key, None)


@contextmanager
def guarded(model: M, strict: bool = False) -> Iterator[M]:
    """Guard `model` inside the block; on exit each module is as it was before the block."""
    touched = _install(model, strict)
    try:
        yield model
    finally:
        for module, before in touched:
            _restore(module, before)
