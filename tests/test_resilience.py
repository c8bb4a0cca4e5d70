"""Files that would crash a careless linter: each gets at most one clear finding or message,
the other files of the run are still linted, the exit code says what happened, and nothing in
the linted tree is ever imported or executed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

RNN = "import torch\nimport torch.nn as nn\nrnn = nn.LSTM(4, 8)\n"
BUG = RNN + "out, _ = rnn(torch.randn(5, 2, 3))\n"


def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _tree(root: Path) -> None:
    (root / "bug.py").write_text(BUG)
    (root / "latin1.py").write_bytes(RNN.encode() + b"name = '\xe9t\xe9'\n")  # not UTF-8, no cookie
    (root / "nul.py").write_bytes(RNN.encode() + b"x = 1\x00\n")
    (root / "empty.py").write_text("")
    (root / "nested.py").write_text(RNN + "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n")
    (root / "chain.py").write_text(RNN + "x = " + " + ".join(["1"] * 30000) + "\n")
    body = "".join(f"layer_{i} = nn.GRU({i % 7 + 1}, 8)\nout_{i}, _ = layer_{i}(torch.randn(3, 2, {i % 7 + 1}))\n"
                   for i in range(14000))
    (root / "huge.py").write_text(RNN + body)  # about 1 MB of real RNN code
    (root / "dir.py").mkdir()
    (root / "dir.py" / "inside.py").write_text(BUG)
    os.symlink(root / "missing.py", root / "broken.py")
    (root / "syntax.py").write_text(RNN + "def broken(:\n")


def test_bad_files_do_not_stop_the_run(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert (tmp_path / "huge.py").stat().st_size > 900_000
    proc = _check("--output-format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    findings = json.loads(proc.stdout)
    by_file = Counter(Path(f["filename"]).as_posix() for f in findings)
    assert by_file["bug.py"] == 1 and by_file["dir.py/inside.py"] == 1  # the good files are linted
    for name in ("latin1.py", "nul.py", "nested.py", "syntax.py", "broken.py"):
        assert by_file[name] == 1, name
        assert next(f for f in findings if f["filename"] == name)["code"] == "RNN000"
    assert by_file["empty.py"] == 0 and by_file["huge.py"] == 0
    assert by_file["chain.py"] <= 1


def test_linting_never_imports_the_linted_code(tmp_path: Path) -> None:
    marker = tmp_path / "imported.marker"
    (tmp_path / "model.py").write_text(
        f"open({str(marker)!r}, 'w').write('x')\n" + RNN.replace("import torch\n", "import torch\nimport helpers\n"))
    (tmp_path / "helpers.py").write_text(f"open({str(marker)!r}, 'w').write('y')\nimport torch.nn as nn\n"
                                         "def make():\n    return nn.LSTM(4, 8)\n")
    (tmp_path / "train.py").write_text("import torch\nfrom model import rnn\nfrom helpers import make\n"
                                       "make()(torch.randn(5, 2, 4))\nrnn(torch.randn(5, 2, 4))\n")
    proc = _check(".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not marker.exists()


hypothesmith = pytest.importorskip("hypothesmith")


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith's own compile of `1(2)` and the like
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_grammar())
def test_random_programs_never_crash_the_linter(source: str) -> None:
    """Random grammatical programs, with an RNN mention so they get past the prefilter."""
    from rnnlint.static.engine import lint_source

    findings = lint_source(RNN + source, "random.py")
    assert all(f.code.startswith("RNN") for f in findings)


MODEL_AFTER_HELPERS = '''import torch
import torch.nn as nn


def helper(x):
    return x + 1


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(10, 20)

    def forward(self, x):
        return self.rnn(x)


Net()(torch.randn(5, 3, 11))
'''


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_every_line_ending_gives_the_same_finding(tmp_path: Path, newline: str) -> None:
    """Python ends a line at \\r too: the definitions left out before parsing are found by the
    same numbering, so a file with old Mac line endings keeps its finding, on the same line."""
    (tmp_path / "model.py").write_bytes(MODEL_AFTER_HELPERS.replace("\n", newline).encode())
    result = _check("--output-format", "json", "model.py", cwd=tmp_path)
    found = [(d["location"]["row"], d["code"], d["message"].split(",")[0]) for d in json.loads(result.stdout)]
    # the bad tensor is the caller's: reported at its call, naming the model's line
    assert found == [(18, "RNN001", "input-size-mismatch: in Net.forward (line 15)")], result.stdout + result.stderr


@pytest.mark.parametrize("spelling", ["from ..layers import make", "from ..layers.make_lstm import make",
                                      "from pkg.layers import make"])
def test_a_module_two_folders_up_is_read(tmp_path: Path, spelling: str) -> None:
    """`from ..layers import make` in pkg/models/net.py reads pkg/layers/__init__.py (or the
    module named in it), through a symlinked folder too; its LSTM's input size is known."""
    from rnnlint.static.engine import lint_file

    make = "import torch.nn as nn\ndef make():\n    return nn.LSTM(4, 8)\n"
    target = "" if spelling.endswith("layers import make") else "from .make_lstm import make\n"
    files = {"pkg/__init__.py": "", "pkg/layers/__init__.py": target or make, "pkg/layers/make_lstm.py": make,
             "pkg/models/__init__.py": "",
             "pkg/models/net.py": f"import torch\n{spelling}\nmake()(torch.randn(5, 2, 3))\n"}
    for name, text in files.items():
        (tmp_path / "real" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "real" / name).write_text(text)
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    for root in ("real", "link"):
        found = lint_file(tmp_path / root / "pkg/models/net.py", f"{root}/pkg/models/net.py").diagnostics
        assert [(d.code, d.row) for d in found] == [("RNN001", 3)], found
