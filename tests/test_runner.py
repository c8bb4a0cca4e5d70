"""Runs give the same findings whatever the path taken: in-process or on a process pool, cold
or from the cache; the cache follows edits to imported files; files that cannot matter are
never parsed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from fixture_marks import FIXTURES
from rnnlint.config import Config
from rnnlint.static import runner


def _tree(tmp_path: Path, copies: int) -> Path:
    root = tmp_path / "tree"
    for i in range(copies):
        shutil.copytree(FIXTURES, root / f"copy{i}")
    return root


def _found(root: Path, **kwargs: object) -> list[tuple[str, int, int, str, str]]:
    result = runner.run([str(root)], Config(root=root), **kwargs)  # type: ignore[arg-type]
    assert not result.errors
    return [(d.path, d.row, d.column, d.code, d.message) for d in result.diagnostics]


def test_same_findings_in_process_on_a_pool_and_from_the_cache(tmp_path: Path) -> None:
    root = _tree(tmp_path, 3)
    assert len(list(root.rglob("*.py"))) >= runner.PARALLEL_MIN
    serial = _found(root, jobs=1, use_cache=False)
    assert serial
    assert _found(root, jobs=2, use_cache=False) == serial
    assert _found(root, jobs=2, use_cache=True) == serial  # cold: fills the cache
    assert (root / ".rnnlint_cache" / ".gitignore").is_file()
    assert _found(root, jobs=1, use_cache=True) == serial  # warm


def test_cache_follows_an_edit_of_an_imported_file(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "model.py").write_text(
        "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n"
        "        self.rnn = nn.GRU(n, 8)\n\n    def forward(self, x):\n        return self.rnn(x)\n")
    (root / "train.py").write_text("import torch\nfrom model import Net\n\nnet = Net(4)\nnet(torch.randn(5, 2, 4))\n")
    assert _found(root) == []
    model = (root / "model.py").read_text().replace("nn.GRU(n, 8)", "nn.GRU(n + 1, 8)")
    (root / "model.py").write_text(model)
    codes = [(Path(p).name, code) for p, _, _, code, _ in _found(root)]
    assert ("train.py", "RNN001") in codes


def test_files_that_cannot_matter_are_not_parsed(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("import os\n\nprint(os.getcwd())\n")
    probe = ("import sys\nfrom rnnlint.cli import main\n"
             "try:\n    main(['check', '--no-cache', sys.argv[1]])\nexcept SystemExit as e:\n"
             "    assert e.code == 0, e.code\n"
             "assert 'libcst' not in sys.modules and 'torch' not in sys.modules, 'heavy import'\n")
    proc = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_rnns_imported_with_a_star_are_found(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "model.py").write_text(
        "import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.rnn = nn.LSTM(10, 20)\n\n    def forward(self, x):\n        return self.rnn(x)\n")
    (tmp_path / "train.py").write_text("import torch\nfrom model import *\n\nnet = Net()\nnet(torch.randn(5, 3, 7))\n")
    assert [(Path(p).name, code) for p, _, _, code, _ in _found(tmp_path, use_cache=False)] == [("train.py", "RNN001")]


def test_a_file_over_the_size_cap_is_one_finding_and_never_read(tmp_path: Path) -> None:
    import tracemalloc

    from rnnlint.static.parsing import MAX_FILE_BYTES
    from rnnlint.static.project import MAX_BYTES

    (tmp_path / "pyproject.toml").write_text("")
    with open(tmp_path / "huge.py", "wb") as f:  # sparse: costs no disk
        f.write(b"import torch.nn as nn\nrnn = nn.LSTM(3, 5)\n")
        f.truncate(MAX_FILE_BYTES * 10)
    with open(tmp_path / "big_model.py", "wb") as f:  # an imported sibling over its own cap
        f.write(b"import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n"
                b"        super().__init__()\n        self.rnn = nn.LSTM(3, 5)\n")
        f.truncate(MAX_BYTES * 20)
    (tmp_path / "train.py").write_text("import torch\nfrom big_model import Net\n\nNet()(torch.randn(2, 4, 3))\n")
    tracemalloc.start()
    try:
        result = runner.run([str(tmp_path)], Config(root=tmp_path), use_cache=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    found = [(Path(d.path).name, d.code) for d in result.diagnostics]
    assert found == [("big_model.py", "RNN000"), ("huge.py", "RNN000")]  # train.py learns nothing of Net
    assert all("too large to check" in d.message for d in result.diagnostics)
    assert peak < MAX_BYTES * 4, peak  # neither file was read whole


def test_a_notebook_of_a_few_mb_of_outputs_is_linted(tmp_path: Path) -> None:
    import json

    from rnnlint.static.parsing import MAX_FILE_BYTES

    plot = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * MAX_FILE_BYTES}}
    cells = [{"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [plot],
              "source": ["import torch\n", "import torch.nn as nn\n", "rnn = nn.LSTM(3, 5)\n",
                         "out, _ = rnn(torch.randn(2, 4, 7))\n"]}]
    notebook = {"cells": cells, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "plots.ipynb").write_text(json.dumps(notebook))
    assert (tmp_path / "plots.ipynb").stat().st_size > MAX_FILE_BYTES
    result = runner.run([str(tmp_path)], Config(root=tmp_path), use_cache=False)
    assert [(d.cell, d.row, d.code) for d in result.diagnostics] == [(1, 4, "RNN001")]


def test_a_second_run_in_one_process_sees_the_files_as_they_are_now(tmp_path: Path) -> None:
    """A long-lived process (the language server, a program embedding rnnlint) lints a tree
    that changes between runs: what an earlier run learned of an imported file (whether it
    builds an RNN, where an import resolves) is not kept."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "train.py").write_text("import torch\nfrom model import Encoder\n\nenc = Encoder()\n"
                                       "out, h = enc.rnn(torch.randn(5, 3, 99))\n")
    (tmp_path / "model.py").write_text("class Encoder:\n    def __init__(self):\n        self.rnn = None\n")
    config = Config(root=tmp_path)
    assert runner.run([str(tmp_path / "train.py")], config, use_cache=False).diagnostics == []
    (tmp_path / "model.py").write_text("import torch.nn as nn\n\n\nclass Encoder(nn.Module):\n"
                                       "    def __init__(self):\n        super().__init__()\n"
                                       "        self.rnn = nn.LSTM(10, 20)\n")
    found = runner.run([str(tmp_path / "train.py")], config, use_cache=False).diagnostics
    assert [(d.code, d.row) for d in found] == [("RNN001", 5)]
    # a module created after a run had looked for it (and listed its folder)
    (tmp_path / "train.py").write_text((tmp_path / "train.py").read_text().replace("from model", "from layers"))
    assert runner.run([str(tmp_path / "train.py")], config, use_cache=False).diagnostics == []
    (tmp_path / "layers.py").write_text((tmp_path / "model.py").read_text())
    found = runner.run([str(tmp_path / "train.py")], config, use_cache=False).diagnostics
    assert [(d.code, d.row) for d in found] == [("RNN001", 5)]
