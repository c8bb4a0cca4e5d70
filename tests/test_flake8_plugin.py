"""Real flake8, with the plugin installed through its entry point, reports the same findings
as the linter on the fixtures, from the text flake8 hands it, under the project's config."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_support import CLEAN, INPUT_SIZE_BUG, write_project
from fixture_marks import FIXTURES, fixture_files
from rnnlint.flake8_plugin import RNNLintPlugin
from rnnlint.static import engine
from rnnlint.static.engine import lint_file

pytest.importorskip("flake8")

Found = set[tuple[str, int, str]]  # (resolved file, row, code)


def _flake8(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flake8", "--select", "RNN", "--format",
                           "%(path)s:%(row)d:%(col)d:%(code)s:%(text)s", *args],
                          cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300)


def _flake8_found(cwd: Path) -> Found:
    proc = _flake8(cwd, ".")
    assert proc.returncode in (0, 1), proc.stderr
    found = set()
    for line in proc.stdout.splitlines():
        path, row, _, code, _ = line.split(":", 4)
        found.add((str((cwd / path).resolve()), int(row), code))
    return found


def _check_found(cwd: Path) -> Found:
    """`rnnlint check` on the folder, its findings in Python files (flake8 reads no notebooks)."""
    proc = subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", "--output-format", "json", "."],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return {(str((cwd / d["filename"]).resolve()), d["location"]["row"], d["code"])
            for d in json.loads(proc.stdout) if d["filename"].endswith(".py")}


@pytest.mark.slow
def test_flake8_select_rnn_matches_rnnlint() -> None:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "RNN", "--format", "%(path)s:%(row)d:%(col)d:%(code)s",
                           "--extend-exclude", "fix", "."],
                          cwd=FIXTURES, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    reported = set()
    for line in proc.stdout.splitlines():
        path, row, col, code = line.rsplit(":", 3)
        reported.add((str((FIXTURES / path).resolve()), int(row), int(col), code))
    expected = set()
    for path in fixture_files():
        for d in lint_file(path, str(path)).diagnostics:
            if Path(d.path).resolve() == path.resolve():
                expected.add((str(path.resolve()), d.row, d.column, d.code))
    assert reported == expected and expected


# select, ignore and per-file-ignores (a glob with a slash, and a folder name) all at work
FIXTURE_CONFIG = """\
select = ["RNN0"]
ignore = ["RNN010"]
per-file-ignores = { "models/*" = ["RNN009"], "silent" = ["RNN002"] }
"""


@pytest.mark.slow
@pytest.mark.parametrize("config", ["", FIXTURE_CONFIG], ids=["defaults", "tool-rnnlint"])
def test_flake8_and_rnnlint_check_agree_on_every_fixture(tmp_path: Path, config: str) -> None:
    tree = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, tree)
    write_project(tree, {}, config)
    by_flake8, by_check = _flake8_found(tree), _check_found(tree)
    assert by_flake8 == by_check
    codes = {code for _, _, code in by_check}
    if config:
        assert "RNN010" not in codes and "RNN009" in codes and codes  # the config was honoured
    else:
        assert {"RNN002", "RNN009", "RNN010"} <= codes


def test_the_text_flake8_hands_over_is_linted_not_the_file_on_disk(tmp_path: Path) -> None:
    write_project(tmp_path, {"model.py": CLEAN})
    unsaved = _flake8(tmp_path, "--stdin-display-name", "model.py", "-", stdin=INPUT_SIZE_BUG)
    assert unsaved.returncode == 1 and unsaved.stdout.startswith("model.py:4:") and ":RNN001:" in unsaved.stdout
    (tmp_path / "model.py").write_text(INPUT_SIZE_BUG)
    fixed = _flake8(tmp_path, "--stdin-display-name", "model.py", "-", stdin=CLEAN)
    assert fixed.returncode == 0 and fixed.stdout == "", fixed.stdout + fixed.stderr


def test_stdin_resolves_imports_and_config_as_if_at_the_display_name(tmp_path: Path) -> None:
    layers = "import torch.nn as nn\n\n\ndef make():\n    return nn.LSTM(10, 20)\n"
    caller = "import torch\nfrom layers import make\n\nrnn = make()\nout, _ = rnn(torch.randn(5, 3, 7))\n"
    write_project(tmp_path, {"pkg/layers.py": layers}, 'per-file-ignores = { "pkg/ignored_*.py" = ["RNN001"] }\n')
    found = _flake8(tmp_path, "--stdin-display-name", "pkg/caller.py", "-", stdin=caller)
    assert found.returncode == 1 and found.stdout.startswith("pkg/caller.py:5:") and ":RNN001:" in found.stdout
    for elsewhere in ("caller.py", "pkg/ignored_caller.py"):  # `layers` is not importable there; ignored there
        quiet = _flake8(tmp_path, "--stdin-display-name", elsewhere, "-", stdin=caller)
        assert quiet.returncode == 0 and quiet.stdout == "", (elsewhere, quiet.stdout)


def test_a_config_error_is_a_visible_finding(tmp_path: Path) -> None:
    write_project(tmp_path, {"model.py": INPUT_SIZE_BUG}, 'ignroe = ["RNN001"]\n')
    proc = _flake8(tmp_path, "model.py")
    assert proc.returncode == 1
    assert proc.stdout.startswith("model.py:1:1:RNN000:rnnlint config error:"), proc.stdout
    assert "unknown setting 'ignroe' (did you mean 'ignore'?)" in proc.stdout and ":RNN001:" not in proc.stdout


def _plugin_run(path: Path, text: str) -> list[tuple[int, int, str]]:
    lines = text.splitlines(keepends=True)
    return [(row, col, message) for row, col, message, _ in RNNLintPlugin(None, str(path), lines).run()]


def test_an_internal_error_in_the_analysis_is_a_visible_finding(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {})

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(engine, "analyze_source", broken)
    (row, col, message), = _plugin_run(tmp_path / "model.py", INPUT_SIZE_BUG)
    assert (row, col) == (1, 0)
    assert message.startswith("RNN000 rnnlint ") and "internal error: KeyError: 'a bug'" in message


def test_an_internal_error_outside_the_analysis_is_a_visible_finding(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import rnnlint.config

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(rnnlint.config, "load", broken)
    assert _plugin_run(tmp_path / "model.py", INPUT_SIZE_BUG) == [
        (1, 0, "RNN000 rnnlint internal error: RuntimeError: a bug")]


def test_a_syntax_error_is_left_to_flake8(tmp_path: Path) -> None:
    write_project(tmp_path, {})
    assert _plugin_run(tmp_path / "model.py", "import torch.nn as nn\nrnn = nn.LSTM(3, 5\n") == []
