"""Output formats: one small module per format, imported only when it is used.

Each module has `emit(diagnostics, out, options)`, writing the (sorted) findings to `out`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence, TextIO

if TYPE_CHECKING:
    from ..diagnostic import Diagnostic

# format name -> module in this package
FORMATS: dict[str, str] = {"text": "text", "json": "json", "sarif": "sarif", "github": "github"}


@dataclass(frozen=True)
class Options:
    color: bool = False  # ANSI colours (text only; the CLI turns them on for a terminal)
    statistics: bool = False  # counts per code instead of each finding (text only)
    quiet: bool = False  # no summary line (text only)
    failures: int = 0  # paths that could not be checked, for the summary line (text only)
    explain: bool = False  # the facts behind each finding (text, json, sarif, github)
    fixed: int = 0  # findings fixed by --fix, for the summary line (text only)
    linted: int = -1  # files linted, when known: none is not "All checks passed!" (text only)


Emitter = Callable[[Sequence["Diagnostic"], TextIO, Options], None]


def emitter(name: str) -> Emitter:
    return importlib.import_module(f".{FORMATS[name]}", __name__).emit
