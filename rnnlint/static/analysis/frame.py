"""The record of a running function call, and the signal that a file's work bound is reached."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..values import FunctionV, Value


class Budget(Exception):
    """The per-file work bound was reached, or the code nests deeper than the analysis follows:
    it stops, keeps what it found, and says at which statement of the linted file."""

    def __init__(self, reason: str, at: Optional[tuple[cst.CSTNode, Optional[int], Optional[cst.SimpleStatementLine]]]
                 ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.at = at  # (statement, top-level index, statement line) in the linted file


class Frame:
    def __init__(self, func: Optional[FunctionV] = None) -> None:
        self.func = func
        self.returns: list[Value] = []
        self.yields: list[Value] = []  # a generator's yielded values: its iteration's elements
