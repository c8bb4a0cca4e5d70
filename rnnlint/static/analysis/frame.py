"""The record of a running function call, and the signal that a file's work bound is reached."""

from __future__ import annotations

from typing import Optional


from ..values import FunctionV, Value


class Budget(Exception):
    """The per-file work bound was reached: stop analysing quietly."""


class Frame:
    def __init__(self, func: Optional[FunctionV] = None) -> None:
        self.func = func
        self.returns: list[Value] = []
