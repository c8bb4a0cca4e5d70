"""The README's install lines, run: `python -m build` makes a wheel and an sdist that pass
`twine check`; the wheel, installed in a fresh virtual environment without torch, lints a
fixture; `pip install ".[server]"` from the sdist's tree (what a clone holds) installs the
command and a language server that answers `initialize`. The packages come from PyPI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from fixture_marks import expected_marks
from test_readme import CHECKOUT, command_lines, pip_lines

pytestmark = pytest.mark.slow

TIMEOUT = 600


def _env() -> dict[str, str]:
    """No PYTHONPATH: the installed rnnlint, not this checkout's, must be the one that runs."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


def _venv(folder: Path) -> Path:
    """A fresh virtual environment (no system site-packages, so no torch); its bin folder."""
    _run([sys.executable, "-m", "venv", str(folder)], folder.parent)
    return folder / ("Scripts" if os.name == "nt" else "bin")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout's files (tracked, or new and not ignored): what a clone holds."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=CHECKOUT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    root = tmp_path_factory.mktemp("clone") / "rnnlint"
    for name in filter(None, listed):
        source = CHECKOUT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    return root


@pytest.fixture(scope="module")
def built(clone: Path) -> tuple[Path, Path]:
    """The README's build command, run in the clone: (wheel, sdist)."""
    assert "python -m build" in command_lines("python")
    _run([sys.executable, "-m", "build"], clone)
    [wheel] = (clone / "dist").glob("*.whl")
    [sdist] = (clone / "dist").glob("*.tar.gz")
    return wheel, sdist


def test_wheel_and_sdist_pass_twine_check(built: tuple[Path, Path]) -> None:
    wheel, sdist = built
    result = _run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)], wheel.parent)
    assert result.stdout.count("PASSED") == 2


def test_the_wheel_installs_without_torch_and_lints(built: tuple[Path, Path], clone: Path, tmp_path: Path) -> None:
    wheel, _ = built
    [wheel_line] = [args for args, published in pip_lines() if not published and args[0].endswith(".whl")]
    assert (clone / wheel_line[0]) == wheel  # the README names the file the build makes
    bin_dir = _venv(tmp_path / "venv")
    _run([str(bin_dir / "pip"), "install", *wheel_line], clone)
    no_torch = subprocess.run([str(bin_dir / "python"), "-c", "import torch"], env=_env(), capture_output=True,
                              timeout=60)
    assert no_torch.returncode != 0
    fixture = "fixtures/tutorial/simple_rnn_wrong_features.py"
    linted = subprocess.run([str(bin_dir / "rnnlint"), "check", "--no-cache", fixture], cwd=clone, env=_env(),
                            capture_output=True, text=True, timeout=120)
    [(row, code)] = expected_marks(clone / fixture)
    assert linted.returncode == 1 and f"{fixture}:{row}:" in linted.stdout and f" {code} " in linted.stdout, \
        linted.stderr


def _initialize(command: list[str], cwd: Path) -> dict[str, object]:
    """One LSP initialize request over the server's stdio, and its result."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
    exit_ = json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode()
    message = b"".join(f"Content-Length: {len(b)}\r\n\r\n".encode() + b for b in (body, exit_))
    proc = subprocess.run(command, cwd=cwd, env=_env(), input=message, capture_output=True, timeout=120)
    header, _, rest = proc.stdout.partition(b"\r\n\r\n")
    [length] = [int(line.split(b":")[1]) for line in header.split(b"\r\n")
                if line.lower().startswith(b"content-length:")]
    return json.loads(rest[:length])["result"]


def test_pip_install_from_the_clone_with_the_server(built: tuple[Path, Path], tmp_path: Path) -> None:
    _, sdist = built
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    [tree] = [p for p in tmp_path.iterdir() if p.is_dir()]
    [server_line] = [args for args, published in pip_lines() if not published and args == [".[server]"]]
    bin_dir = _venv(tmp_path / "venv")
    _run([str(bin_dir / "pip"), "install", *server_line], tree)
    result = _initialize([str(bin_dir / "rnnlint"), "server"], tmp_path)
    assert result["serverInfo"] == {"name": "rnnlint", "version": built[0].name.split("-")[1]}
    assert result["capabilities"]["hoverProvider"] and result["capabilities"]["codeActionProvider"]
