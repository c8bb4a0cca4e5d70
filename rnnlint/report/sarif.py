"""SARIF 2.1.0 (what GitHub code scanning reads): the catalog as rule metadata, one result per finding."""

from __future__ import annotations

import json
import os
from pathlib import PurePath
from typing import Any, Sequence, TextIO
from urllib.parse import quote

from .. import __version__, rules
from ..diagnostic import Diagnostic
from . import Options
from .ruledoc import markdown

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/rnnlint/rnnlint"


def _rule(rule: rules.Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": rule.why, "markdown": markdown(rule)},
        "helpUri": rule.url,
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"scope": rule.scope},
    }


def _uri(path: str) -> str:
    """A file URI, or a relative reference, percent-encoding the name's bytes (a name that is
    not UTF-8 keeps its own bytes, as `%FF`)."""
    if os.name == "nt" and PurePath(path).is_absolute():
        return PurePath(path).as_uri()  # file:///C:/...
    posix = PurePath(path).as_posix()
    try:
        raw = os.fsencode(posix)
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        raw = posix.encode("utf-8", "surrogatepass")
    return ("file://" if PurePath(path).is_absolute() else "") + quote(raw)


def _result(d: Diagnostic, index: dict[str, int], explain: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"expected": d.expected, "actual": d.actual, "hint": d.hint}
    location: dict[str, Any] = {}
    if d.cell is not None:
        # SARIF has no notebook cells: the region's lines count inside the cell the
        # logical location (and the `cell` property) names
        properties["cell"] = d.cell
        location["logicalLocations"] = [{"name": f"cell {d.cell}", "kind": "module"}]
    if explain:
        properties["explain"] = [f.to_dict() for f in d.explain]
    return {
        "ruleId": d.code,
        "ruleIndex": index.get(d.code, -1),  # -1: SARIF's "no such rule"
        "level": "warning" if d.severity == "warning" else "error",
        "message": {"text": d.message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(d.path)},
                "region": {
                    "startLine": d.row, "startColumn": d.column,
                    "endLine": d.end_row, "endColumn": d.end_column,
                },
            },
            **location,
        }],
        "properties": properties,
    }


def log(diagnostics: Sequence[Diagnostic], explain: bool = False) -> dict[str, Any]:
    index = {rule.code: i for i, rule in enumerate(rules.RULES)}
    driver = {
        "name": "rnnlint",
        "version": __version__,
        "informationUri": INFORMATION_URI,
        "rules": [_rule(rule) for rule in rules.RULES],
    }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": [_result(d, index, explain) for d in diagnostics],
        }],
    }


def emit(diagnostics: Sequence[Diagnostic], out: TextIO, options: Options) -> None:
    json.dump(log(diagnostics, options.explain), out, indent=2)
    out.write("\n")
