"""The pre-commit hook, run by the real `pre-commit try-repo` against this checkout.

try-repo installs the checkout's HEAD (or, with uncommitted changes to tracked files, a
copy holding them) into a fresh environment, so this also proves the package installs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli_support import SYNTAX_ERROR

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[1]


def _env(home: Path) -> dict[str, str]:
    # Outer git variables (when the tests run inside a hook) would point git at the wrong repo.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return {**env, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    if not (CHECKOUT / ".git").exists():
        pytest.fail(f"{CHECKOUT} is not a git checkout; try-repo needs one")
    if shutil.which("git") is None:
        pytest.fail("git is not installed")
    repo = tmp_path_factory.mktemp("user-repo")
    env = _env(tmp_path_factory.mktemp("pre-commit-home"))
    (repo / "bad.py").write_text(SYNTAX_ERROR)
    (repo / "good.py").write_text("import torch.nn as nn\n\nrnn = nn.GRU(3, 5)\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "bad.py", "good.py"], ["commit", "-q", "-m", "files"]):
        subprocess.run([*git, *args], cwd=repo, env=env, check=True)
    return repo, env


def try_repo(work: tuple[Path, dict[str, str]], *files: str) -> subprocess.CompletedProcess[str]:
    repo, env = work
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(CHECKOUT), "rnnlint", "--files", *files]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=540, check=False)


def test_hook_fails_on_the_bad_file_and_shows_the_finding(work: tuple[Path, dict[str, str]]) -> None:
    result = try_repo(work, "bad.py", "good.py")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "rnnlint" in output and "Failed" in output
    assert "bad.py:2:" in output and "RNN000" in output
    assert "good.py" not in output.split("Failed", 1)[1]


def test_hook_passes_on_the_good_file(work: tuple[Path, dict[str, str]]) -> None:
    result = try_repo(work, "good.py")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Passed" in output


def test_the_readme_snippet_pins_a_real_commit_and_lets_warnings_pass(tmp_path: Path) -> None:
    """The README's snippet as written, `repo:` aside (this checkout stands for the URL, as a
    clone's path does): its `rev` is a commit of this repository that has the hook, and with
    its `args` a warning passes while an error blocks."""
    import yaml

    from test_readme import of_kind

    [block] = of_kind("yaml")
    [repo] = yaml.safe_load(block.text)["repos"]
    assert repo["repo"] == "https://github.com/rnnlint/rnnlint" and len(repo["rev"]) == 40
    env = _env(tmp_path / "home")
    shown = subprocess.run(["git", "show", f"{repo['rev']}:.pre-commit-hooks.yaml"], cwd=CHECKOUT, env=env,
                           capture_output=True, text=True, check=False)
    assert shown.returncode == 0, f"rev {repo['rev']} is not a commit of this repository: {shown.stderr}"
    assert "id: rnnlint" in shown.stdout
    user = tmp_path / "user"
    user.mkdir()
    (user / "warn.py").write_text("import torch.nn as nn\nrnn = nn.GRU(3, 5, dropout=0.5)\n")  # RNN011, a warning
    (user / "bug.py").write_text(SYNTAX_ERROR)  # RNN000, an error
    (user / ".pre-commit-config.yaml").write_text(block.text.replace(repo["repo"], str(CHECKOUT)))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "files"]):
        subprocess.run([*git, *args], cwd=user, env=env, check=True)

    def run(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--verbose", "--files", *files], cwd=user,
                              env=env, capture_output=True, text=True, timeout=540, check=False)

    warned = run("warn.py")
    assert warned.returncode == 0 and "RNN011" in warned.stdout, warned.stdout + warned.stderr
    blocked = run("warn.py", "bug.py")
    assert blocked.returncode == 1 and "bug.py:2:" in blocked.stdout and "RNN000" in blocked.stdout
