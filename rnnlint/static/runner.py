"""One lint run: discover the files, lint each, keep the findings the config selects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..config import Config
from ..diagnostic import Diagnostic
from .discover import discover
from .engine import lint_file


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)  # sorted
    files: list[str] = field(default_factory=list)  # the files linted, as shown
    errors: list[str] = field(default_factory=list)  # bad paths and internal errors: exit code 2


def run(paths: Sequence[str], config: Config) -> RunResult:
    found = discover(paths, config)
    result = RunResult(errors=found.errors)
    for path, shown in found.files:
        linted = lint_file(path, shown)
        result.files.append(shown)
        result.diagnostics.extend(d for d in linted.diagnostics if config.enabled(d.code, path))
        if linted.error is not None:
            result.errors.append(linted.error)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result
