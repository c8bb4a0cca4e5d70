"""rnnlint's speed-ups change how the findings are reached, never which: the findings (with
their messages, positions, hints and call chains, and any early stop) on every fixture, on
the differential test's generated programs, and on torch's own RNN files read with the
prefilter open equal the record in `tests/data/findings_record.json`
(`findings_record.py` says how to rewrite it, and when)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import findings_record

RECORD: dict[str, Any] = json.loads(findings_record.RECORD.read_text(encoding="utf-8"))


def _differences(recorded: dict[str, list[str]], now: dict[str, list[str]]) -> list[str]:
    out = []
    for key in sorted(set(recorded) | set(now)):
        if recorded.get(key) != now.get(key):
            out.append(f"{key}:\n  recorded: {recorded.get(key)}\n  now:      {now.get(key)}")
    return out


def test_the_record_is_not_empty() -> None:
    """The comparison is worth something only if the record holds findings in each body."""
    for body in ("fixtures", "generated"):
        assert sum(map(len, RECORD[body].values())) >= 50, body
    assert len(RECORD["torch_files"]) >= 6


def test_fixtures_findings_unchanged() -> None:
    assert _differences(RECORD["fixtures"], findings_record.fixtures()) == []


def test_generated_programs_findings_unchanged() -> None:
    assert _differences(RECORD["generated"], findings_record.generated()) == []


@pytest.mark.slow
def test_torch_files_findings_unchanged() -> None:
    pytest.importorskip("torch")
    if findings_record.torch_version() != RECORD["torch"]:
        pytest.skip(f"the record was taken with torch {RECORD['torch']}")
    assert _differences(RECORD["torch_files"], findings_record.torch_files()) == []
