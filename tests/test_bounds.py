"""Every number and expression a linted file holds is bounded: arithmetic that would grow without
end, huge literals and deep nesting end in a prompt, honest result."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

HEADER = "import torch\nimport torch.nn as nn\n"


def _lint(path: Path, memory_mb: int = 1024) -> subprocess.CompletedProcess[str]:
    def cap() -> None:  # a blow-up fails the run instead of taking the machine
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    return subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", "--output-format", "json",
                           str(path)], capture_output=True, text=True, timeout=120, preexec_fn=cap)


def _codes(result: subprocess.CompletedProcess[str]) -> list[tuple[int, str]]:
    assert result.returncode in (0, 1), result.stderr
    return [(d["location"]["row"], d["code"]) for d in json.loads(result.stdout)]


def test_squaring_forty_times_is_unknown_not_a_hang(tmp_path: Path) -> None:
    source = HEADER + "a = 3\n" + "a = a * a\n" * 40 + "rnn = nn.LSTM(a, 10)\nout, _ = rnn(torch.randn(5, 3, 7))\n"
    (tmp_path / "square.py").write_text(source)
    assert _codes(_lint(tmp_path / "square.py")) == []


def test_doubling_a_symbolic_size_stays_small(tmp_path: Path) -> None:
    body = "".join("        h = h + h\n" for _ in range(40))
    source = (HEADER + "class M(nn.Module):\n    def __init__(self, hidden_size):\n        super().__init__()\n"
              "        h = hidden_size\n" + body + "        self.rnn = nn.GRU(h, h)\n        self.fc = nn.Linear(h, 2)\n")
    (tmp_path / "double.py").write_text(source)
    assert _codes(_lint(tmp_path / "double.py", memory_mb=512)) == []


def test_known_sizes_still_add_up_after_many_lines(tmp_path: Path) -> None:
    # the bound is far above any real size: 2 ** 20 is still exact and still proved wrong
    source = HEADER + "a = 1\n" + "a = a + a\n" * 20 + "rnn = nn.GRU(a, 4)\nout, _ = rnn(torch.randn(5, 3, 7))\n"
    (tmp_path / "sum.py").write_text(source)
    assert _codes(_lint(tmp_path / "sum.py")) == [(source.count("\n"), "RNN001")]


def test_huge_and_odd_literals_are_no_internal_error(tmp_path: Path) -> None:
    source = (HEADER + "a = 0x" + "f" * 5000 + "\nrnn = nn.LSTM(a, 10)\nb = -a\n"
              "n = int(1e400)\nm = int(float('nan'))\nx = torch.randn(2, 3, 4)\ny = x.size(0x1)\n"
              "gru = nn.GRU(n, 3)\n")
    (tmp_path / "literals.py").write_text(source)
    assert _codes(_lint(tmp_path / "literals.py")) == []


def test_a_bad_call_deep_inside_a_literal_is_found(tmp_path: Path) -> None:
    depth = 150  # Python's parser admits about 200 levels
    source = HEADER + "rnn = nn.LSTM(10, 20)\nx = " + "[" * depth + "rnn(torch.randn(5, 3, 7))" + "]" * depth + "\n"
    (tmp_path / "nested.py").write_text(source)
    assert _codes(_lint(tmp_path / "nested.py")) == [(4, "RNN001")]


def test_an_analysis_that_stops_early_keeps_its_findings_and_says_where(tmp_path: Path) -> None:
    body = "".join(f"    x{i} = x{i - 1} + 1\n" for i in range(1, 200))
    source = (HEADER + "rnn = nn.LSTM(10, 20)\nh = torch.randn(5, 3, 7)\n"
              "def grow(x):\n    x0 = x\n" + body + "    return x199\n"
              "out = rnn(torch.randn(5, 3, 9))\n" + "h = grow(h)\n" * 3000 + "z = rnn(h)\n")
    (tmp_path / "long.py").write_text(source)
    lines = source.splitlines()
    bad_row = lines.index("out = rnn(torch.randn(5, 3, 9))") + 1
    for _ in range(2):  # the cache keeps no stopped analysis: the warning comes back
        result = subprocess.run([sys.executable, "-m", "rnnlint", "check", "--output-format", "json", "long.py"],
                                capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert [(d["location"]["row"], d["code"]) for d in json.loads(result.stdout)] == [(bad_row, "RNN001")]
        warning, = [line for line in result.stderr.splitlines() if "stopped early" in line]
        row = int(warning.split(" at line ")[1].split()[0])
        assert lines[row - 1] == "h = grow(h)"
        assert warning.startswith("rnnlint: warning: long.py: ")
