"""`[tool.rnnlint]`: where it is found, what each key does, and clear errors for bad ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli_support import INPUT_SIZE_BUG, SYNTAX_ERROR, invoke, write_project
from rnnlint.config import Config, ConfigError, load


def test_defaults_without_any_config(tmp_path: Path) -> None:
    config = load(cwd=tmp_path)
    assert config == Config(root=tmp_path)
    assert config.enabled("RNN001", tmp_path / "x.py")


def test_nearest_pyproject_with_the_table_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"src/pkg/bad.py": SYNTAX_ERROR}, 'ignore = ["RNN000"]\n')
    (tmp_path / "src/pyproject.toml").write_text("[project]\nname = 'inner'\n")  # no [tool.rnnlint]: passed over
    monkeypatch.chdir(tmp_path / "src/pkg")
    assert load().source == tmp_path / "pyproject.toml"
    result = invoke("check", "bad.py")
    assert result.exit_code == 0, result.output


def test_config_option_replaces_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"bad.py": SYNTAX_ERROR}, 'ignore = ["RNN000"]\n')
    (tmp_path / "strict.toml").write_text('select = ["RNN0"]\n')  # a standalone file: top-level keys
    (tmp_path / "other").mkdir()
    (tmp_path / "other/pyproject.toml").write_text('[tool.rnnlint]\nselect = ["RNN001"]\n')
    monkeypatch.chdir(tmp_path)
    assert invoke("check", "bad.py").exit_code == 0
    assert invoke("check", "--config", "strict.toml", "bad.py").exit_code == 1
    assert invoke("check", "--config", "other/pyproject.toml", "bad.py").exit_code == 0


def test_per_file_ignores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"legacy/old.py": SYNTAX_ERROR, "legacy/deep/older.py": SYNTAX_ERROR, "scripts/x_draft.py": SYNTAX_ERROR,
             "src/model.py": SYNTAX_ERROR, "src/bug.py": INPUT_SIZE_BUG}
    config = 'per-file-ignores = { "legacy/" = ["RNN000"], "*_draft.py" = ["RNN0"], "src/bug.py" = ["RNN005"] }\n'
    write_project(tmp_path, files, config)
    monkeypatch.chdir(tmp_path)
    shown = {line.split(":")[0] for line in invoke("check", "-q").output.splitlines()}
    assert shown == {"src/model.py", "src/bug.py"}


def test_per_file_ignores_are_relative_to_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"legacy/old.py": SYNTAX_ERROR}, 'per-file-ignores = { "legacy/*" = ["RNN000"] }\n')
    monkeypatch.chdir(tmp_path / "legacy")
    assert invoke("check", "old.py").exit_code == 0


def test_exclude_and_extend_exclude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"gen/a.py": SYNTAX_ERROR, "b_pb2.py": SYNTAX_ERROR, "c.py": SYNTAX_ERROR}
    write_project(tmp_path, files, 'exclude = ["gen"]\nextend-exclude = ["*_pb2.py"]\n')
    monkeypatch.chdir(tmp_path)
    assert [line.split(":")[0] for line in invoke("check", "-q").output.splitlines()] == ["c.py"]
    # named explicitly, an excluded file is still linted, unless force-exclude is on
    assert invoke("check", "b_pb2.py").exit_code == 1
    assert invoke("check", "--force-exclude", "b_pb2.py").exit_code == 0


def test_a_string_is_a_list_of_one_item_for_codes_and_globs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"tests/a.py": SYNTAX_ERROR, "b.py": SYNTAX_ERROR, "c.py": INPUT_SIZE_BUG}
    write_project(tmp_path, files, 'exclude = "tests"\nignore = "RNN001"\nper-file-ignores = { "c.py" = "RNN005" }\n')
    monkeypatch.chdir(tmp_path)
    config = load()
    assert (config.exclude, config.ignore, config.per_file_ignores) == (("tests",), ("RNN001",), (("c.py", ("RNN005",)),))
    assert [line.split(":")[0] for line in invoke("check", "-q").output.splitlines()] == ["b.py"]


def test_select_extend_select_and_cli_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"bad.py": SYNTAX_ERROR, "bug.py": INPUT_SIZE_BUG},
                  'select = ["RNN005"]\nextend-select = ["RNN001"]\n')
    monkeypatch.chdir(tmp_path)
    assert "RNN000" not in invoke("check").output and "RNN001" in invoke("check").output
    assert "RNN000" in invoke("check", "--select", "RNN000").output  # --select replaces the config's
    assert invoke("check", "--ignore", "RNN001").exit_code == 0  # --ignore adds to it


def test_output_format_and_force_exclude_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"gen/bad.py": SYNTAX_ERROR},
                  'output-format = "github"\nforce-exclude = true\nexclude = ["gen"]\n')
    monkeypatch.chdir(tmp_path)
    assert invoke("check", "gen/bad.py").exit_code == 0
    result = invoke("check", "--no-force-exclude", "gen/bad.py")
    assert result.exit_code == 1 and result.output.startswith("::error file=gen/bad.py,")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('selct = ["RNN"]\n', "unknown setting 'selct' (did you mean 'select'?)"),
        ('colour = true\n', "unknown setting 'colour'; known keys: select,"),
        ('select = ["RNN999"]\n', "select: unknown rule code or prefix 'RNN999'"),
        ('ignore = ["E501"]\n', "ignore: unknown rule code or prefix 'E501'"),
        ('select = [1]\n', "select: expected a list of rule codes, got [1]"),
        ('exclude = ["build", 3]\n', "exclude: expected a list of glob patterns, got ['build', 3]"),
        ('per-file-ignores = ["tests/*"]\n', "per-file-ignores: expected a table of glob = [codes]"),
        ('per-file-ignores = { "tests/*" = ["RNNX"] }\n', "unknown rule code or prefix 'RNNX'"),
        ("force-exclude = 'yes'\n", "force-exclude: expected true or false, got 'yes'"),
        ('output-format = "xml"\n', "output-format: expected one of text, json, sarif, github, got 'xml'"),
        ('select = [\n', "invalid TOML"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str, message: str) -> None:
    write_project(tmp_path, {"ok.py": "x = 1\n"}, table)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=str(tmp_path / "pyproject.toml")):
        load()
    result = invoke("check")
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {tmp_path / 'pyproject.toml'}: ")
    assert message in result.output
    assert "Traceback" not in result.output


def test_table_that_is_not_a_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nrnnlint = "strict"\n')
    monkeypatch.chdir(tmp_path)
    result = invoke("check")
    assert result.exit_code == 2 and "[tool.rnnlint] must be a table" in result.output


def test_missing_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--config", "absent.toml")
    assert result.exit_code == 2
    assert "absent.toml: no such config file" in result.output


@pytest.mark.parametrize("content, message", [
    (b'[tool.rnnlint]\noutput-format = ["json"]\n', "output-format: expected one of text, json, sarif, github"),
    (b'[tool.rnnlint]\nselect = ["RNN\xff"]\n', "the config file is not UTF-8"),
])
def test_a_config_value_of_the_wrong_kind_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             content: bytes, message: str) -> None:
    (tmp_path / "pyproject.toml").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    result = invoke("check")
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_an_unreadable_pyproject_above_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.rnnlint]\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    real = Path.read_bytes

    def denied(self: Path) -> bytes:  # root reads any file, so the denial is simulated
        if self.name == "pyproject.toml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    result = invoke("check")
    assert result.exit_code == 2, result.output
    assert f"{tmp_path / 'pyproject.toml'}: cannot read the config file (Permission denied)" in result.output


def test_a_deleted_working_folder_is_one_error_line(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    code = ("import os, sys\nos.chdir(sys.argv[1])\nos.rmdir(sys.argv[1])\n"
            "from rnnlint.cli import main\nmain(['check'])\n")
    done = subprocess.run([sys.executable, "-c", code, str(gone)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 2
    assert "the current folder cannot be read" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("value", ["", " , "])
def test_selecting_nothing_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    write_project(tmp_path, {"bad.py": "import torch.nn as nn\nrnn = nn.LSTM(3, 5\n"})
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--select", value)
    assert result.exit_code == 2
    assert "--select needs at least one rule code" in result.output
