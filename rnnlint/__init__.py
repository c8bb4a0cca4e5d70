"""rnnlint: catch PyTorch RNN shape bugs before they run, and guard them while they run.

The static side (`rnnlint check`) never imports torch. The runtime names (`guard`, `unguard`,
`guarded`, `RNNShapeError`) are loaded on first use, so `import rnnlint` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_RUNTIME_NAMES = ("guard", "unguard", "guarded", "RNNShapeError")

__all__ = ["__version__", *_RUNTIME_NAMES]


def __getattr__(name: str) -> Any:
    if name in _RUNTIME_NAMES:
        from .runtime import guard as _guard

        return getattr(_guard, name)
    raise AttributeError(f"module 'rnnlint' has no attribute {name!r}")
