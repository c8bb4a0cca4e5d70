"""The `rnnlint` command end to end: exit codes, options, output formats, rule docs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from click.testing import CliRunner

from cli_support import CLEAN, INPUT_SIZE_BUG, SYNTAX_ERROR, invoke, write_project
from rnnlint import __version__, rules
from rnnlint.cli import cli, main
from rnnlint.static import runner
from rnnlint.static.engine import FileResult


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with one broken file, one RNN001 bug and one clean file; the cwd."""
    write_project(tmp_path, {"bad.py": SYNTAX_ERROR, "bug.py": INPUT_SIZE_BUG, "good.py": CLEAN})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_clean_file_exits_zero(project: Path) -> None:
    result = invoke("check", "good.py")
    assert result.exit_code == 0
    assert result.output == "All checks passed!\n"


def test_syntax_error_does_not_stop_the_other_files(project: Path) -> None:
    result = invoke("check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("bad.py:2:") and ": RNN000 cannot parse the file" in lines[0]
    assert lines[1].startswith("bug.py:4:10: RNN001 ")
    assert lines[-1] == "Found 2 errors."
    assert "good.py" not in result.output


def test_folder_argument_lints_its_files(project: Path) -> None:
    assert invoke("check", ".").output == invoke("check").output
    assert invoke("check", str(project)).output.count(str(project / "bad.py")) == 1


def test_select_and_ignore_take_codes_and_prefixes(project: Path) -> None:
    assert "RNN001" not in invoke("check", "--select", "RNN000").output
    only_bug = invoke("check", "--select", "rnn001,RNN005")
    assert only_bug.exit_code == 1 and "RNN000" not in only_bug.output and "RNN001" in only_bug.output
    assert invoke("check", "--ignore", "RNN0").exit_code == 0
    assert "RNN000" not in invoke("check", "--ignore", "RNN000").output


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_selector_is_a_usage_error(project: Path, option: str) -> None:
    result = invoke("check", option, "RNN01,XYZ")
    assert result.exit_code == 2
    assert "unknown rule code or prefix 'XYZ'" in result.output
    assert "Traceback" not in result.output


def test_exit_zero_still_prints_findings(project: Path) -> None:
    result = invoke("check", "--exit-zero", "bad.py")
    assert result.exit_code == 0
    assert "RNN000" in result.output


def test_statistics_counts_per_code(project: Path) -> None:
    (project / "bad2.py").write_text(SYNTAX_ERROR)
    result = invoke("check", "--statistics")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "2  RNN000  syntax-error",
        "1  RNN001  input-size-mismatch",
        "Found 3 errors.",
    ]


def test_quiet_drops_the_summary(project: Path) -> None:
    assert invoke("check", "--quiet", "good.py").output == ""
    assert invoke("check", "-q", "bad.py").output.count("\n") == 1


def test_colour_only_when_asked_or_on_a_terminal(project: Path) -> None:
    assert "\x1b[" not in invoke("check", "bad.py").output
    assert "\x1b[1;31mRNN000\x1b[0m" in invoke("check", "bad.py", env={"FORCE_COLOR": "1"}).output
    assert "\x1b[" not in invoke("check", "bad.py", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).output


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_are_pure_json(project: Path, fmt: str) -> None:
    result = invoke("check", "--output-format", fmt)
    assert result.exit_code == 1
    json.loads(result.output)


def test_github_format(project: Path) -> None:
    result = invoke("check", "--output-format", "github", "bad.py")
    assert result.exit_code == 1
    assert result.output.startswith("::error file=bad.py,line=2,")
    assert "title=RNN000 syntax-error::" in result.output


def test_unknown_format_is_a_usage_error(project: Path) -> None:
    result = invoke("check", "--output-format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of" in result.output


def test_missing_path_is_an_error_but_the_rest_is_linted(project: Path) -> None:
    result = invoke("check", "nope.py", "bad.py")
    assert result.exit_code == 2
    assert "rnnlint: error: nope.py: no such file or directory" in result.output
    assert "bad.py:2:" in result.output
    assert "1 path could not be checked" in result.output


def test_exit_zero_does_not_hide_errors(project: Path) -> None:
    assert invoke("check", "--exit-zero", "nope.py").exit_code == 2


def test_internal_error_of_one_file_exits_two(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, shown: str, real: Path) -> FileResult:
        return FileResult(shown, [], error=f"{shown}: internal error: boom")

    monkeypatch.setattr(runner, "lint_bytes", broken)
    result = invoke("check", "good.py")
    assert result.exit_code == 2
    assert "good.py: internal error: boom" in result.output


def test_crash_exits_two_not_one(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    def crash(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "run", crash)
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "good.py"])
    assert exit_info.value.code == 2
    assert "internal error" in capsys.readouterr().err


def test_rule_prints_the_catalog_docs() -> None:
    result = invoke("rule", "rnn001")
    rule = rules.BY_CODE["RNN001"]
    assert result.exit_code == 0
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "What torch does"):
        assert f"## {heading}\n" in result.output
    assert result.output.startswith("# input-size-mismatch (RNN001)\n")
    assert rule.bad.strip() in result.output and rule.fixed.strip() in result.output
    assert rule.torch in result.output


def test_unknown_rule_exits_two() -> None:
    result = invoke("rule", "RNN999")
    assert result.exit_code == 2
    assert "unknown rule code 'RNN999'" in result.output


def test_rules_lists_every_code() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [r.code for r in rules.RULES]
    assert lines[1].split() == ["RNN001", "input-size-mismatch", "error"]


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"rnnlint {__version__}\n"


def _modules_after(args: list[str]) -> set[str]:
    """The modules loaded by `rnnlint ARGS` in a fresh interpreter."""
    code = (
        "import sys\nfrom rnnlint.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print(*sys.modules, file=sys.stderr)"
    )
    return set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False).stderr.split())


def test_linting_never_imports_torch(project: Path) -> None:
    modules = _modules_after(["check", str(project)])
    assert "libcst" in modules  # the files were really analyzed
    assert not {m for m in modules if m == "torch" or m.startswith("torch.")}


def test_listing_rules_loads_no_analyzer() -> None:
    modules = _modules_after(["rules"])
    assert "rnnlint.cli" in modules
    assert "libcst" not in modules and "rnnlint.static.interpreter" not in modules


# what only a file with RNN code (or a notebook) needs: none of it is loaded for one without
_ANALYZER = ("libcst", "torch", "rnnlint.contract", "rnnlint.static.analysis", "rnnlint.static.interpreter",
             "rnnlint.static.notebook", "rnnlint.static.project", "rnnlint.static.semantics", "rnnlint.static.values")


@pytest.mark.parametrize("cache", [True, False])
def test_a_file_without_rnn_code_loads_neither_libcst_nor_the_analyzer(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       cache: bool) -> None:
    """The pre-commit case: a file that cannot matter is read, prefiltered and dropped, at the
    cost of start-up alone; with the cache, both the run that writes it and the one that reads it."""
    write_project(tmp_path, {"plain.py": "import os\n\n\ndef main():\n    return os.getcwd()\n"})
    monkeypatch.chdir(tmp_path)
    for run in range(2 if cache else 1):
        modules = _modules_after(["check", *([] if cache else ["--no-cache"]), "plain.py"])
        # the first run lints the file; the second takes its entry from the cache
        assert ("rnnlint.static.prefilter" in modules) == (run == 0)
        assert not {m for m in modules if m in _ANALYZER or m.startswith(tuple(f"{a}." for a in _ANALYZER))}
    assert (tmp_path / ".rnnlint_cache").is_dir() == cache


def test_the_program_writes_all_its_output_before_it_ends(tmp_path: Path) -> None:
    """Run as the program, rnnlint ends its process without tearing the interpreter down: what
    a pipe still buffers must be written first, and the exit code kept."""
    write_project(tmp_path, {f"bug{i}.py": INPUT_SIZE_BUG for i in range(40)})
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = os.getcwd()
    done = subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", "--output-format", "json", "."],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert sorted(f["filename"] for f in json.loads(done.stdout)) == sorted(f"bug{i}.py" for i in range(40))


def test_readme_rule_table_matches_the_catalog() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:4] for line in readme.splitlines() if line.startswith("| RNN")]
    assert [tuple(cell.strip() for cell in row) for row in rows] == [(r.code, r.name, r.severity) for r in rules.RULES]


def test_python_m_never_imports_the_linted_folder_s_modules(tmp_path: Path) -> None:
    planted = "import pathlib\npathlib.Path(__file__).with_name('ran').write_text('x')\nraise SystemExit(99)\n"
    for name in ("click.py", "signal.py", "multiprocessing.py", "json.py"):
        (tmp_path / name).write_text(planted)
    (tmp_path / "a.py").write_text(INPUT_SIZE_BUG)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "rnnlint", "check", "-j", "2", "a.py"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1, done.stderr
    assert not (tmp_path / "ran").exists()


DROPOUT_WARNING = "import torch.nn as nn\nrnn = nn.GRU(3, 5, dropout=0.5)\n"  # RNN011, a warning


def test_fail_level_error_lets_warnings_pass(project: Path) -> None:
    (project / "warn.py").write_text(DROPOUT_WARNING)
    assert invoke("check", "warn.py").exit_code == 1
    passing = invoke("check", "--fail-level", "error", "warn.py")
    assert passing.exit_code == 0 and "warn.py:2:" in passing.output and "RNN011" in passing.output
    assert invoke("check", "--fail-level", "error", "warn.py", "bug.py").exit_code == 1
    assert invoke("check", "--fail-level", "fatal", "warn.py").exit_code == 2


@pytest.mark.parametrize("args", [("empty",), ("--force-exclude", "venv"), ("--force-exclude", "gen/x.py")])
def test_nothing_linted_is_a_warning_not_a_pass(project: Path, args: tuple[str, ...]) -> None:
    (project / "empty").mkdir()
    (project / "venv").mkdir()
    (project / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (project / "venv" / "lib.py").write_text(INPUT_SIZE_BUG)
    (project / "gen").mkdir()
    (project / "gen" / "x.py").write_text(INPUT_SIZE_BUG)
    (project / "pyproject.toml").write_text('[tool.rnnlint]\nexclude = ["gen"]\n')
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exit_code == 0
    assert result.stdout == "No files were linted.\n"
    assert "warning: nothing was linted" in result.stderr
    assert "nothing was linted" not in CliRunner().invoke(cli, ["check", "good.py"]).stderr
