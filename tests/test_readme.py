"""Every command and config snippet of the README, taken from the README itself and run, so
the README cannot drift from what rnnlint does.

Each fenced block has a kind, and each kind its check here; a block of a kind nobody checks
fails `test_every_block_is_checked`. The installs themselves (pip lines, `python -m build`)
run in tests/test_packaging.py and the pre-commit snippet in tests/test_precommit.py, both
from the blocks this module extracts.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_support import INPUT_SIZE_BUG

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

CHECKOUT = Path(__file__).resolve().parents[1]
README = CHECKOUT / "README.md"
SERVER_COMMAND = ["rnnlint", "server"]
ONCE_PUBLISHED = "# once published"


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int  # of the opening fence
    after: str  # the language of the block before this one ("" for none or plain)

    @property
    def kind(self) -> str:
        if self.lang:
            return self.lang
        if self.text.startswith("$ "):
            return "output"  # a command and what it prints
        if self.after == "python":
            return "error"  # what the Python block before it raises
        return "unchecked"

    def __repr__(self) -> str:
        return f"README.md:{self.line} ({self.kind})"


def blocks() -> list[Block]:
    found: list[Block] = []
    lines = README.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        match = re.fullmatch(r"```(\w*)", lines[i])
        if match:
            end = lines.index("```", i + 1)
            previous = found[-1].lang if found else ""
            found.append(Block(match.group(1), "\n".join(lines[i + 1:end]), i + 1, previous))
            i = end
        i += 1
    return found


def of_kind(kind: str) -> list[Block]:
    return [b for b in blocks() if b.kind == kind]


def commands() -> list[tuple[Block, str]]:
    """Each shell command of the `sh` blocks (a line holding `a && b` gives two), comments off."""
    found = []
    for block in of_kind("sh"):
        for line in block.text.split("\n"):
            code = line.split(" #", 1)[0].strip()
            found += [(block, part.strip()) for part in code.split("&&") if part.strip()]
    return found


def command_lines(program: str) -> list[str]:
    return [command for _, command in commands() if command.split()[0] == program]


def pip_lines() -> list[tuple[list[str], bool]]:
    """The arguments of each `pip install` line, and whether it is marked for once published."""
    found = []
    for block in of_kind("sh"):
        for line in block.text.split("\n"):
            for part in line.split(" #", 1)[0].split("&&"):
                words = shlex.split(part)
                if words[:2] == ["pip", "install"]:
                    found.append((words[2:], line.rstrip().endswith(ONCE_PUBLISHED)))
    return found


HANDLED = {"sh", "output", "error", "toml", "yaml", "json", "lua", "python"}


def test_every_block_is_checked() -> None:
    found = blocks()
    assert len(found) > 10
    assert [b for b in found if b.kind not in HANDLED] == []


def test_every_shell_command_is_one_of_the_checked_ones() -> None:
    for block, command in commands():
        words = shlex.split(command.split("<")[0])
        assert words[0] in ("rnnlint", "pip") or words[:3] in (["python", "-m", "build"], ["python", "-m", "pytest"]), \
            f"{block}: nothing checks {command!r}"


# ---------------------------------------------------------------------- rnnlint commands


def _shim(folder: Path) -> dict[str, str]:
    """An environment where `rnnlint` is this checkout's."""
    folder.mkdir(exist_ok=True)
    script = folder / "rnnlint"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m rnnlint "$@"\n')
    script.chmod(0o755)
    path = os.pathsep.join([str(CHECKOUT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": path, "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of the fixtures, with the files the usage examples name: src/, train.py,
    analysis.ipynb, buffer.py."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(CHECKOUT / "fixtures", root / "fixtures")
    shutil.copytree(CHECKOUT / "fixtures" / "tutorial", root / "src")
    (root / "train.py").write_text(INPUT_SIZE_BUG)
    (root / "buffer.py").write_text(INPUT_SIZE_BUG)
    shutil.copy(CHECKOUT / "fixtures" / "notebooks" / "lstm_sentiment.ipynb", root / "analysis.ipynb")
    return root, _shim(tmp_path_factory.mktemp("bin"))


def _run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", command_lines("rnnlint"))
def test_rnnlint_commands_run(sandbox: tuple[Path, dict[str, str]], command: str, tmp_path: Path) -> None:
    """Exit code 0 or 1 (findings), never 2: every option and path of the example exists."""
    root, env = sandbox
    if "--fix" in command.split():  # it changes the files: on a copy, which the other commands do not see
        root = Path(shutil.copytree(root, tmp_path / "copy"))
    result = _run(command, root, env)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Error" not in result.stderr and "Traceback" not in result.stderr
    if "--stdin-filename src/model.py" in command:
        assert result.stdout.startswith("src/model.py:4:10: RNN001 ")


@pytest.mark.parametrize("block", of_kind("output"), ids=repr)
def test_shown_output_is_what_the_command_prints(sandbox: tuple[Path, dict[str, str]], block: Block) -> None:
    """A block that starts with `$ command` shows its output; `...` as the last line: and more."""
    root, env = sandbox
    command, *shown = block.text.split("\n")
    result = _run(command[2:], root, env)
    assert result.returncode in (0, 1), result.stderr
    printed = result.stdout.rstrip("\n").split("\n")
    if shown[-1] == "...":
        assert printed[:len(shown) - 1] == shown[:-1]
    else:
        assert printed == shown


# ---------------------------------------------------------------------- installs


def test_pip_lines_name_real_extras_and_the_built_wheel() -> None:
    """Clone and wheel forms run in test_packaging; here: each names what exists. The index
    forms (rnnlint not published yet) are marked as such, and only they name `rnnlint`."""
    data = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
    extras = set(data["project"]["optional-dependencies"])
    version = data["project"]["version"]
    lines = pip_lines()
    assert lines
    for args, published in lines:
        targets = [a for a in args if not a.startswith("-")]
        for target in targets:
            name, _, extra = target.partition("[")
            for wanted in filter(None, extra.rstrip("]").split(",")):
                assert wanted in extras, f"pip install {target}: no extra {wanted!r}"
            if name == "rnnlint":
                assert published, f"pip install {target}: rnnlint is not on an index yet"
            elif name.endswith(".whl"):
                assert name == f"dist/rnnlint-{version}-py3-none-any.whl"
            else:
                assert name in (".", "build") or name.startswith("torch=="), target
        if not published:
            assert not any(t.partition("[")[0] == "rnnlint" for t in targets)
    assert any(published for _, published in lines) and any(not published for _, published in lines)


def test_the_test_command_is_what_ci_runs() -> None:
    ci = (CHECKOUT / ".ci" / "run").read_text().split("\n")
    [ci_install] = [shlex.split(line)[4:] for line in ci if line.startswith("python -m pip install")]
    readme_installs = [args for args, _ in pip_lines() if "-e" in args]
    assert readme_installs == [ci_install]
    assert command_lines("python") and "python -m pytest -q" in command_lines("python") and "python -m pytest -q" in ci


# ---------------------------------------------------------------------- config and editors


@pytest.mark.parametrize("block", of_kind("toml"), ids=repr)
def test_config_snippets_are_accepted(sandbox: tuple[Path, dict[str, str]], block: Block, tmp_path: Path) -> None:
    from rnnlint.config import from_table

    table = tomllib.loads(block.text)["tool"]["rnnlint"]
    config = from_table(table, tmp_path / "pyproject.toml")
    assert config.select == ("RNN",) and "RNN011" in config.ignore
    root, env = sandbox
    shutil.copytree(root / "src", tmp_path / "src")
    (tmp_path / "pyproject.toml").write_text(block.text)
    result = _run("rnnlint check src", tmp_path, env)
    assert result.returncode in (0, 1) and "Error" not in result.stderr, result.stderr


def _lua_commands() -> list[list[str]]:
    found = []
    for block in of_kind("lua"):
        [cmd] = re.findall(r"\bcmd = \{([^}]*)\}", block.text)
        found.append(re.findall(r'"([^"]*)"', cmd))
        assert re.search(r'"python"', block.text), f"{block}: not for Python buffers"
    return found


def _vscode_commands() -> list[list[str]]:
    found = []
    for block in of_kind("json"):
        settings = json.loads(block.text)
        found.append([settings["glspc.server.command"], *settings["glspc.server.commandArguments"]])
        assert settings["glspc.server.languageId"] == ["python"]
    return found


def test_editor_snippets_start_the_real_server() -> None:
    """The VS Code and Neovim snippets name the command `rnnlint server` really is."""
    commands = _lua_commands() + _vscode_commands()
    assert len(commands) == 3 and all(c == SERVER_COMMAND for c in commands)
    from rnnlint.cli import cli

    assert "server" in cli.commands


@pytest.mark.asyncio
async def test_the_editor_command_answers_initialize(tmp_path: Path) -> None:
    """What the editors run, as they run it (the name on the PATH): it answers initialize
    with the features the README promises."""
    from lsprotocol import types
    from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

    env = _shim(tmp_path / "bin")
    command = shutil.which(SERVER_COMMAND[0], path=env["PATH"])
    assert command is not None
    client = await ClientServerConfig([command, *SERVER_COMMAND[1:]], server_env=env).start()
    assert isinstance(client, LanguageClient)
    try:
        result = await asyncio.wait_for(client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("neovim"), root_uri=tmp_path.as_uri())), 60)
        await client.shutdown_session()
    finally:
        await client.stop()
    capabilities = result.capabilities
    assert result.server_info is not None and result.server_info.name == "rnnlint"
    assert capabilities.code_action_provider and capabilities.hover_provider
    assert capabilities.text_document_sync is not None


# ---------------------------------------------------------------------- the guard


def test_the_guard_example_raises_the_error_shown() -> None:
    pytest.importorskip("torch")
    [python] = of_kind("python")
    [error] = of_kind("error")
    result = subprocess.run([sys.executable, "-c", python.text], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(CHECKOUT),
                                                                              os.environ.get("PYTHONPATH", "")])})
    assert result.returncode == 1
    assert result.stderr.rstrip("\n").split("\n")[-1] == f"rnnlint.RNNShapeError: {error.text}"
