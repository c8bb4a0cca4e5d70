"""`rnnlint.guard(model)`: check every call of every RNN module in a model against the contract.

Each guarded module gets a `GuardedForward` as its instance `forward`, in place of a forward
pre-hook: a hook sends every call through `Module._call_impl`'s slow path (4-5 µs a call on its
own, measured by bench/guard_overhead.py), an instance attribute costs one Python call. It is a
top-level class holding a weak reference to its module, so a guarded model still deep-copies,
pickles and `torch.save`s, `state_dict()` does not change, and no reference cycle keeps a
dropped model alive.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional, TypeVar

from torch import nn

from .calls import CallChecker, RNNShapeError, kind_of

__all__ = ["guard", "unguard", "guarded", "RNNShapeError", "GuardedForward"]

M = TypeVar("M", bound=nn.Module)

# The torch classes whose `forward` the guard understands (signature `forward(input, hx=None)`).
_TORCH_RNN_CLASSES = (nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell)


class GuardedForward:
    """A module's `forward` while guarded: check the call, then run the module's own forward."""

    def __init__(self, module: nn.Module, name: str, kind: str, strict: bool,
                 previous: Optional[Any] = None) -> None:
        self._module = weakref.ref(module)
        self.name = name
        self.checker = CallChecker(kind, strict)
        self.previous = previous  # an instance `forward` the module already had, called in turn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        module = self._module()
        self.checker.check(module, args, kwargs, self.name)
        if self.previous is not None:
            return self.previous(*args, **kwargs)
        return type(module).forward(module, *args, **kwargs)

    # A weak reference neither pickles nor deep-copies: travel as the module itself (pickle and
    # deepcopy memoize it, so the copy points at the copied module).
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_module"] = self._module()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._module = weakref.ref(state["_module"])


def _guardable(module: nn.Module) -> Optional[str]:
    """The module's kind when its class runs torch's own RNN forward (a subclass that overrides
    `forward` may take other arguments: it is left alone)."""
    kind = kind_of(module)
    if kind is None:
        return None
    owner = next(c for c in type(module).__mro__ if "forward" in c.__dict__)
    return kind if owner in _TORCH_RNN_CLASSES else None


def _install(model: nn.Module, strict: bool) -> list[tuple[nn.Module, Any]]:
    """Guard each RNN module of `model` once (a shared module under its first name); return each
    touched module with the `forward` entry its `__dict__` had before (None: it had none)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"rnnlint.guard expects an nn.Module, got {type(model).__name__}")
    touched = []
    for name, module in model.named_modules():
        kind = _guardable(module)
        if kind is None:
            continue
        before = module.__dict__.get("forward")
        previous = before.previous if isinstance(before, GuardedForward) else before
        module.__dict__["forward"] = GuardedForward(module, name, kind, strict, previous)
        touched.append((module, before))
    return touched


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
    for module in model.modules():
        current = module.__dict__.get("forward")
        if isinstance(current, GuardedForward):
            if current.previous is None:
                del module.__dict__["forward"]
            else:
                module.__dict__["forward"] = current.previous
    return model


@contextmanager
def guarded(model: M, strict: bool = False) -> Iterator[M]:
    """Guard `model` inside the block; on exit each module is as it was before the block."""
    touched = _install(model, strict)
    try:
        yield model
    finally:
        for module, before in touched:
            if before is None:
                module.__dict__.pop("forward", None)
            else:
                module.__dict__["forward"] = before
