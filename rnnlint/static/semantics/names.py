"""Qualified names: one spelling for every way torch exposes a class or function."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

# torch re-exports most of torch.nn.modules.<file>.<Name> as torch.nn.<Name>
_PREFIX_ALIASES = (
    ("torch.nn.modules.", "torch.nn."),
    ("torch.nn.utils.rnn.", "torch.nn.utils.rnn."),
    ("torch.functional.", "torch."),
    ("torch._C._VariableFunctions.", "torch."),
)

RNN_KINDS = {f"torch.nn.{k}": k for k in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")}
# drop-in replacements that take the same arguments and check their calls the same way:
# torch's dynamically quantized modules and opacus' differentially private layers
RNN_KINDS.update({f"{package}.{k}": k for package in ("torch.ao.nn.quantized.dynamic", "torch.nn.quantized.dynamic")
                  for k in ("LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")})
RNN_KINDS.update({f"{package}.DP{k}": k for package in ("opacus.layers", "opacus.layers.dp_rnn")
                  for k in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")})
MODULE_BASE = "torch.nn.Module"
RNN_CLASS_NAMES = frozenset(RNN_KINDS.values())


@lru_cache(maxsize=4096)  # a run asks for the same few names again and again
def canonical(qualname: str) -> str:
    """`torch.nn.modules.rnn.LSTM` -> `torch.nn.LSTM`; other names unchanged."""
    for package in ("torch.ao.nn.quantized.dynamic.modules.rnn.", "torch.nn.quantized.dynamic.modules.rnn."):
        if qualname.startswith(package):
            return package.split("modules.")[0] + qualname[len(package):]
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
