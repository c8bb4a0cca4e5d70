"""GitHub Actions workflow commands: one `::error`/`::warning` annotation per finding."""

from __future__ import annotations

from typing import Sequence, TextIO

from ..diagnostic import Diagnostic
from . import Options


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic) -> str:
    command = "warning" if d.severity == "warning" else "error"
    properties = {
        "file": d.path, "line": d.row, "col": d.column,
        "endLine": d.end_row, "endColumn": d.end_column, "title": f"{d.code} {d.name}",
    }
    props = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    return f"::{command} {props}::{_escape_data(d.message)}"


def emit(diagnostics: Sequence[Diagnostic], out: TextIO, options: Options) -> None:
    out.write("".join(annotation(d) + "\n" for d in diagnostics))
