"""GitHub Actions workflow commands: one `::error`/`::warning` annotation per finding."""

from __future__ import annotations

from typing import Sequence, TextIO

from ..diagnostic import Diagnostic
from . import Options, printable


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic, explain: bool = False) -> str:
    command = "warning" if d.severity == "warning" else "error"
    # an annotation's lines are the file's: in a notebook, the title says which cell they count in
    where = f" (cell {d.cell})" if d.cell is not None else ""
    properties = {
        "file": printable(d.path), "line": d.row, "col": d.column,
        "endLine": d.end_row, "endColumn": d.end_column, "title": f"{d.code} {d.name}{where}",
    }
    props = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    lines = (d.message, *(f.text() for f in d.explain)) if explain else (d.message,)
    message = "\n".join(printable(line, text=True) for line in lines)
    return f"::{command} {props}::{_escape_data(message)}"


def emit(diagnostics: Sequence[Diagnostic], out: TextIO, options: Options) -> None:
    out.write("".join(annotation(d, options.explain) + "\n" for d in diagnostics))
