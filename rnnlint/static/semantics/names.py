"""Qualified names: one spelling for every way torch exposes a class or function."""

from __future__ import annotations

from typing import Optional

# torch re-exports most of torch.nn.modules.<file>.<Name> as torch.nn.<Name>
_PREFIX_ALIASES = (
    ("torch.nn.modules.", "torch.nn."),
    ("torch.nn.utils.rnn.", "torch.nn.utils.rnn."),
    ("torch.functional.", "torch."),
    ("torch._C._VariableFunctions.", "torch."),
)

RNN_KINDS = {f"torch.nn.{k}": k for k in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")}
MODULE_BASE = "torch.nn.Module"
RNN_CLASS_NAMES = frozenset(RNN_KINDS.values())


def canonical(qualname: str) -> str:
    """`torch.nn.modules.rnn.LSTM` -> `torch.nn.LSTM`; other names unchanged."""
    if qualname.startswith("torch.nn.modules."):
        parts = qualname.split(".")
        # torch.nn.modules.rnn.LSTM -> torch.nn.LSTM ; torch.nn.modules.LSTM -> torch.nn.LSTM; a
        # submodule on the way (torch.nn.modules.rnn) stays itself, so its attributes resolve
        if len(parts) > 4 or parts[-1][:1].isupper():
            return "torch.nn." + parts[-1]
        return qualname
    for old, new in _PREFIX_ALIASES[2:]:
        if qualname.startswith(old):
            return new + qualname[len(old):]
    return qualname


def rnn_kind(qualname: str) -> Optional[str]:
    return RNN_KINDS.get(canonical(qualname))
