"""`rnnlint check - --stdin-filename PATH`: a buffer linted as if it were the file at PATH."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli_support import CLEAN, INPUT_SIZE_BUG, write_project
from fixture_marks import FIXTURES
from rnnlint.cli import cli


def lint_stdin(text: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["check", "--no-cache", *args], input=text, env={})


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project under tmp_path/proj, and a cwd outside it with no config of its own."""
    (tmp_path / "proj").mkdir()
    write_project(tmp_path / "proj", {}, 'ignore = ["RNN001"]\nper-file-ignores = { "legacy/*" = ["RNN006"] }\n')
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path / "proj"


def test_the_buffer_is_reported_under_the_given_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = lint_stdin(INPUT_SIZE_BUG, "-", "--stdin-filename", "src/model.py")
    assert result.exit_code == 1
    assert result.output.startswith("src/model.py:4:10: RNN001 input-size-mismatch: ")
    assert lint_stdin(CLEAN, "-", "--stdin-filename", "src/model.py").output == "All checks passed!\n"
    # without a name the buffer is `-`; --stdin-filename alone also reads stdin, as ruff's does
    assert lint_stdin(INPUT_SIZE_BUG, "-").output.startswith("-:4:10: RNN001 ")
    assert lint_stdin(INPUT_SIZE_BUG, "--stdin-filename", "x.py").output.startswith("x.py:4:10: RNN001 ")


def test_the_config_is_that_of_the_path(elsewhere: Path) -> None:
    assert lint_stdin(INPUT_SIZE_BUG, "-").exit_code == 1  # the cwd has no config
    assert lint_stdin(INPUT_SIZE_BUG, "-", "--stdin-filename", str(elsewhere / "train.py")).exit_code == 0
    state_bug = INPUT_SIZE_BUG.replace("torch.randn(5, 3, 7))", "torch.randn(5, 3, 10), torch.zeros(1, 2, 20))")
    assert "RNN006" in lint_stdin(state_bug, "-", "--stdin-filename", str(elsewhere / "train.py")).output
    assert lint_stdin(state_bug, "-", "--stdin-filename", str(elsewhere / "legacy/train.py")).exit_code == 0


def test_force_exclude_skips_an_excluded_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {}, 'exclude = ["generated"]\n')
    monkeypatch.chdir(tmp_path)
    assert lint_stdin(INPUT_SIZE_BUG, "-", "--stdin-filename", "generated/m.py").exit_code == 1
    result = lint_stdin(INPUT_SIZE_BUG, "-", "--force-exclude", "--stdin-filename", "generated/m.py")
    assert result.exit_code == 0 and "RNN001" not in result.output


def test_imports_are_read_from_the_folder_of_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's model.py builds the GRU for 13 features; the buffer feeds it 12."""
    monkeypatch.chdir(tmp_path)
    buffer = (FIXTURES / "project" / "evaluate_bug.py").read_text()
    named = lint_stdin(buffer, "-", "--stdin-filename", str(FIXTURES / "project" / "unsaved.py"))
    assert named.exit_code == 1
    assert f"{FIXTURES / 'project' / 'unsaved.py'}:8:10: RNN001 " in named.output
    assert lint_stdin(buffer, "-", "--stdin-filename", "unsaved.py").exit_code == 0  # no model.py here


def test_notebook_buffer_by_its_suffix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    notebook = (FIXTURES / "notebooks" / "lstm_sentiment.ipynb").read_text()
    result = lint_stdin(notebook, "-", "--stdin-filename", "nb.ipynb")
    assert result.exit_code == 1 and "nb.ipynb:cell 5:9:27: RNN001 " in result.output


@pytest.mark.parametrize("args", [("-", "other.py"), ("-", "--fix"), ("-", "--diff")])
def test_stdin_is_linted_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]) -> None:
    monkeypatch.chdir(tmp_path)
    result = lint_stdin(INPUT_SIZE_BUG, *args)
    assert result.exit_code == 2 and "standard input" in result.output


def test_the_real_command_reads_a_pipe(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "rnnlint", "check", "-", "--stdin-filename", "pipe.py"],
                          input=INPUT_SIZE_BUG, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1 and proc.stdout.startswith("pipe.py:4:10: RNN001 "), proc.stderr
    assert not (tmp_path / ".rnnlint_cache").exists()  # a buffer is never cached
