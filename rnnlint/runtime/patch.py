"""Guard the torch RNN classes themselves, for a whole test session or a single test.

The pytest plugin cannot guard models it never sees, and torch's global forward pre-hook both
misses keyword arguments (`hx=`) and slows every module in the process. So while enabled, the
`forward` of nn.RNN, nn.LSTM, nn.GRU and the three cells is replaced by a `PatchedForward`
that checks the call and runs the original: every instance is covered, however it was built
(constructed, deep-copied, unpickled), and no other module pays anything. Messages name the
module by its configuration (`LSTM(10, 20)`); `rnnlint.guard(model)` names it by its path.
"""

from __future__ import annotations

from functools import partial
from types import MethodType
from typing import Any, Callable, Optional

from torch import nn

from .calls import CallChecker, hide_guard_frames

__tracebackhide__ = hide_guard_frames

_CLASSES: dict[str, type[nn.Module]] = {
    "RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU,
    "RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell,
}


class PatchedForward:
    """A torch RNN class's `forward` while the class guard is on."""

    def __init__(self, kind: str, original: Callable[..., Any], strict: bool) -> None:
        self.original = original
        self.checker = CallChecker(kind, strict)

    def __get__(self, module: Optional[nn.Module], owner: Optional[type] = None) -> Any:
        return self if module is None else MethodType(self, module)

    def __call__(self, module: nn.Module, *args: Any, **kwargs: Any) -> Any:
        self.checker.check(module, args, kwargs, "")
        return self.original(module, *args, **kwargs)


def guard_classes(strict: bool = False) -> Callable[[], None]:
    """Guard every call of every torch RNN module and cell until the returned function is called.

    Nesting is fine (e.g. a strict test inside a guarded session): each call replaces the
    previous patch and the returned function puts it back.
    """
    saved = {cls: cls.__dict__["forward"] for cls in _CLASSES.values()}
    for kind, cls in _CLASSES.items():
        current = saved[cls]
        original = current.original if isinstance(current, PatchedForward) else current
        cls.forward = PatchedForward(kind, original, strict)
    return partial(_restore, saved)


def _restore(saved: dict[type[nn.Module], Any]) -> None:
    for cls, forward in saved.items():
        cls.forward = forward
