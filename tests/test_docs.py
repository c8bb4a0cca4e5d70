"""docs/rules/ is generated from the catalog: it must be up to date, and every finding's url
must point at one of its pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import INPUT_SIZE_BUG, invoke, write_project
from rnnlint import rules
from rnnlint.report import docs
from rnnlint.report.ruledoc import markdown

FOLDER = Path(__file__).resolve().parent.parent / "docs" / "rules"  # this checkout's, wherever rnnlint is installed


def test_generated_rule_docs_are_up_to_date() -> None:
    assert docs.stale(FOLDER) == [], "run `python -m rnnlint.report.docs` and commit docs/rules/"


def test_every_rule_has_its_page_with_every_heading() -> None:
    for rule in rules.RULES:
        page = (FOLDER / f"{rule.code}.md").read_text(encoding="utf-8")
        assert markdown(rule) in page
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead",
                        "## What torch does", "## Autofix"):
            assert heading in page
        assert f"[{rule.code}]({rule.code}.md)" in (FOLDER / "README.md").read_text(encoding="utf-8")


def test_urls_point_at_the_generated_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for rule in rules.RULES:
        assert rule.url.endswith(f"/docs/rules/{rule.code}.md")
    write_project(tmp_path, {"bug.py": INPUT_SIZE_BUG})
    monkeypatch.chdir(tmp_path)
    [item] = json.loads(invoke("check", "--output-format", "json").output)
    assert (FOLDER / item["url"].rsplit("/docs/rules/", 1)[1]).is_file()
    sarif = json.loads(invoke("check", "--output-format", "sarif").output)
    assert all((FOLDER / r["helpUri"].rsplit("/", 1)[1]).is_file() for r in sarif["runs"][0]["tool"]["driver"]["rules"])


def test_check_finds_edited_missing_and_extra_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "rules"
    assert docs.main(["--folder", str(folder)]) == 0
    assert docs.main(["--check", "--folder", str(folder)]) == 0
    (folder / "RNN001.md").write_text("edited by hand\n")
    (folder / "RNN005.md").unlink()
    (folder / "RNN999.md").write_text("a code the catalog lacks\n")
    (folder / "notes.md").write_text("not a rule page: left alone\n")
    assert docs.stale(folder) == ["RNN001.md", "RNN005.md", "RNN999.md"]
    assert docs.main(["--check", "--folder", str(folder)]) == 1
    assert "stale: " in capsys.readouterr().out
    assert docs.write(folder) == ["RNN001.md", "RNN005.md", "RNN999.md"]
    assert docs.stale(folder) == [] and (folder / "notes.md").exists() and not (folder / "RNN999.md").exists()
