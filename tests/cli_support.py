"""Helpers for the tests that drive the `rnnlint` command."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from click.testing import CliRunner, Result

from rnnlint.cli import cli

# A file that does not parse (RNN000); it names an RNN so it is read, not skipped.
SYNTAX_ERROR = "import torch.nn as nn\nrnn = nn.LSTM(3, 5\n"
# Input size 10 but features 7 (RNN001), at row 4.
INPUT_SIZE_BUG = "import torch\nimport torch.nn as nn\nrnn = nn.LSTM(10, 20)\nout, _ = rnn(torch.randn(5, 3, 7))\n"
CLEAN = "import torch\nimport torch.nn as nn\nrnn = nn.LSTM(10, 20)\nout, _ = rnn(torch.randn(5, 3, 10))\n"


def write_project(root: Path, files: Mapping[str, str], config: str = "") -> Path:
    """Files under `root`, with a pyproject.toml whose [tool.rnnlint] holds `config` (so
    settings of folders above the temporary directory cannot leak in)."""
    (root / "pyproject.toml").write_text("[tool.rnnlint]\n" + config)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def invoke(*args: str, env: Mapping[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=dict(env or {}))
