"""Output formats: one small module per format, imported only when it is used.

Each module has `emit(diagnostics, out, options)`, writing the (sorted) findings to `out`.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Callable, Sequence, TextIO

from ..records import record

if TYPE_CHECKING:
    from ..diagnostic import Diagnostic

# format name -> module in this package
FORMATS: dict[str, str] = {"text": "text", "json": "json", "sarif": "sarif", "github": "github"}


@record(frozen=True)
class Options:
    """How a report is printed."""

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


# C0 and C1 control characters and DEL: in a file name they would move a terminal's cursor,
# recolour it or set its title. A message may keep its line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(name: str, text: bool = False) -> str:
    """A path (or with `text`, a message) as a person may safely read it: bytes that are not
    UTF-8 (kept by Python as lone surrogates) and control characters become `\\xNN`, so no
    output stream chokes on it and no terminal obeys it."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        raw = name.encode("utf-8", "backslashreplace")
    escaped = raw.decode("utf-8", "backslashreplace")
    return (_CONTROL_IN_TEXT if text else _CONTROL).sub(lambda m: f"\\x{ord(m.group()):02x}", escaped)
