"""More inputs that trip careless linters (test_resilience.py has the first set): entries that
cannot be read (a FIFO, a symlink loop, a permission error), encodings Python rejects, nesting
of every kind, and linted trees that would leave a marker if anything in them ran. Each bad
file gets at most one finding (RNN000, saying why), the other files of the run are still
linted, and the exit code says what happened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from cli_support import invoke

RNN = "import torch\nimport torch.nn as nn\nrnn = nn.LSTM(4, 8)\n"
BUG = RNN + "out, _ = rnn(torch.randn(5, 2, 3))\n"  # RNN001 on line 4


def check(*args: str, cwd: Path, timeout: float = 120) -> tuple[int, list[dict], str]:
    """`rnnlint check` in a subprocess (a run that blocks fails the test instead of hanging it)."""
    proc = subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", "--output-format", "json", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, json.loads(proc.stdout or "[]"), proc.stderr


def by_file(findings: list[dict]) -> Counter[str]:
    return Counter(Path(f["filename"]).as_posix() for f in findings)


def one_rnn000(findings: list[dict], name: str, reason: str) -> None:
    mine = [f for f in findings if Path(f["filename"]).as_posix() == name]
    assert [f["code"] for f in mine] == ["RNN000"], (name, mine)
    assert reason in mine[0]["message"], mine[0]["message"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_entries_that_cannot_be_read_or_decoded(tmp_path: Path) -> None:
    (tmp_path / "bug.py").write_text(BUG)
    os.mkfifo(tmp_path / "fifo.py")  # reading it would block until a writer comes
    os.symlink("loop.py", tmp_path / "loop.py")  # points at itself
    (tmp_path / "codec.py").write_bytes(b"# -*- coding: no-such-codec -*-\n" + RNN.encode())
    (tmp_path / "bad_utf8.py").write_bytes(b"# -*- coding: utf-8 -*-\n" + RNN.encode() + b"s = '\xff\xfe'\n")
    (tmp_path / "bom_latin1.py").write_bytes(b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n" + RNN.encode())
    code, findings, err = check(".", cwd=tmp_path)
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert [(f["filename"], f["code"]) for f in findings if f["filename"] == "bug.py"] == [("bug.py", "RNN001")]
    one_rnn000(findings, "fifo.py", "not a regular file")
    one_rnn000(findings, "loop.py", "cannot read the file")
    one_rnn000(findings, "codec.py", "no-such-codec")
    one_rnn000(findings, "bad_utf8.py", "cannot decode")
    one_rnn000(findings, "bom_latin1.py", "cannot decode")
    assert set(by_file(findings)) == {"bug.py", "fifo.py", "loop.py", "codec.py", "bad_utf8.py", "bom_latin1.py"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_on_the_command_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "model.py")
    (tmp_path / "bug.py").write_text(BUG)
    code, findings, err = check("model.py", "bug.py", cwd=tmp_path, timeout=60)
    assert code == 1, err
    assert sorted((f["filename"], f["code"]) for f in findings) == [("bug.py", "RNN001"), ("model.py", "RNN000")]


def test_a_file_that_cannot_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permission denied, made in-process (as root, chmod 000 still reads)."""
    (tmp_path / "bug.py").write_text(BUG)
    (tmp_path / "secret.py").write_text(BUG)
    real = os.open

    def denied(path: object, *args: object, **kwargs: object) -> int:
        if os.path.basename(os.fsdecode(path)) == "secret.py":  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    monkeypatch.chdir(tmp_path)
    result = invoke("check", "--no-cache", "--output-format", "json", ".")
    assert result.exit_code == 1, result.output
    findings = json.loads(result.output)
    assert [f["code"] for f in findings if f["filename"] == "bug.py"] == ["RNN001"]
    one_rnn000(findings, "secret.py", "Permission denied")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_a_file_without_read_permission(tmp_path: Path) -> None:
    (tmp_path / "bug.py").write_text(BUG)
    secret = tmp_path / "secret.py"
    secret.write_text(BUG)
    secret.chmod(0)
    try:
        code, findings, err = check(".", cwd=tmp_path)
    finally:
        secret.chmod(0o644)
    assert code == 1, err
    one_rnn000(findings, "secret.py", "Permission denied")
    assert [f["code"] for f in findings if f["filename"] == "bug.py"] == ["RNN001"]


# nesting Python's own parser refuses (it cannot run either): one RNN000 each
TOO_DEEP = {
    "unary.py": "x = " + "-" * 5000 + "1\n",
    "not.py": "x = " + "not " * 5000 + "y\n",
    "attributes.py": "x = y" + ".a" * 20000 + "\n",
    "subscripts.py": "x = y" + "[0]" * 20000 + "\n",
    "conditional.py": "x = " + "1 if y else " * 5000 + "2\n",
    "lambdas.py": "x = " + "lambda: " * 3000 + "1\n",
    "powers.py": "x = " + "2 ** " * 5000 + "2\n",
    "lists.py": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "rnn_argument.py": "out, _ = rnn(torch.randn(5, 2, 4)" + " + 0" * 20000 + ")\n",
    "view_chain.py": "out, _ = rnn(torch.randn(5, 2, 4)" + ".view(5, 2, 4)" * 5000 + ")\n",
}
# deep, but Python runs them: rnnlint reads them, and finds the bug each one holds at depth
DEEP_BUT_VALID = {
    "calls.py": "x = " + "abs(" * 150 + "1" + ")" * 150 + "\n" + "out, _ = rnn(torch.randn(5, 2, 3))\n",
    "blocks.py": "".join("    " * i + "if y:\n" for i in range(50))
                 + "    " * 50 + "out, _ = rnn(torch.randn(5, 2, 3))\n",
    "defs.py": "".join("    " * i + f"def f{i}():\n" for i in range(50)) + "    " * 50 + "pass\n"
               + "out, _ = rnn(torch.randn(5, 2, 3))\n",
    "reassigned.py": "x = torch.randn(5, 2, 3)\n" + "x = x.view(5, 2, 3)\n" * 2000 + "out, _ = rnn(x)\n",
    "transposed.py": "out, _ = rnn(torch.randn(5, 2, 3)" + ".transpose(0, 1)" * 100 + ")\n",
}


def test_nesting_of_every_kind(tmp_path: Path) -> None:
    (tmp_path / "bug.py").write_text(BUG)
    for name, body in {**TOO_DEEP, **DEEP_BUT_VALID}.items():
        (tmp_path / name).write_text(RNN + body)
    # strings concatenated 20000 times: Python reads them; rnnlint may give up on the file (one
    # RNN000), but never more than that
    (tmp_path / "strings.py").write_text(RNN + "x = " + " ".join(["'a'"] * 20000) + "\n")
    code, findings, err = check(".", cwd=tmp_path, timeout=300)
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err and "gave up" not in err, err
    counts = by_file(findings)
    assert all(n == 1 for n in counts.values()), counts
    for name in TOO_DEEP:
        with pytest.raises((SyntaxError, RecursionError, MemoryError)):
            compile(RNN + TOO_DEEP[name], name, "exec")
        one_rnn000(findings, name, "cannot parse")
    for name in [*DEEP_BUT_VALID, "bug.py"]:
        assert [f["code"] for f in findings if f["filename"] == name] == ["RNN001"], name
    assert counts["strings.py"] <= 1
    assert all(f["code"] == "RNN000" for f in findings if f["filename"] == "strings.py")


def test_nothing_in_the_linted_tree_runs(tmp_path: Path) -> None:
    """A package whose every module, notebook cell, conftest and setup script would leave a
    marker when run; linting reads them (the bug that crosses a relative import is found) and
    leaves no marker."""
    marker = tmp_path / "ran.marker"
    plant = f"open({str(marker)!r}, 'a').write(__name__)\n"
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(plant)
    (package / "model.py").write_text(plant + "import torch.nn as nn\n\n\nclass Net(nn.Module):\n"
                                      "    def __init__(self):\n        super().__init__()\n"
                                      "        self.rnn = nn.GRU(4, 8)\n\n"
                                      "    def forward(self, x):\n        return self.rnn(x)\n")
    (package / "train.py").write_text(plant + "import torch\nfrom .model import Net\n\n"
                                      "out, h = Net()(torch.randn(5, 2, 3))\n")  # RNN001, found through the import
    for name in ("conftest.py", "setup.py", "sitecustomize.py", "usercustomize.py"):
        (tmp_path / name).write_text(plant + RNN)
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": [plant, "import pkg.model\n", RNN]}
    notebook = {"cells": [cell], "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "explore.ipynb").write_text(json.dumps(notebook))
    code, findings, err = check(".", cwd=tmp_path)
    assert code == 1, err
    assert [(f["filename"], f["code"]) for f in findings] == [(os.path.join("pkg", "train.py"), "RNN001")]
    assert not marker.exists(), marker.read_text()


try:
    import hypothesmith
    from hypothesis import HealthCheck, given, settings
except ImportError:  # hypothesmith is in the test extra; without it these two tests skip
    hypothesmith = None


def _everything(tree: object, source: str, imported: frozenset[str] = frozenset()) -> object:
    from rnnlint.static import prefilter

    defs = frozenset(range(sum(isinstance(s, prefilter.DEFS) for s in tree.body)))  # type: ignore[attr-defined]
    return prefilter.Relevance(defs, defs, True, frozenset(range(len(tree.body))))  # type: ignore[attr-defined]


def _walk_everything(source: str) -> None:
    """Lint `source` with the prefilter open, so the interpreter walks every statement and def
    of it; a bug in rnnlint raises. Code that names no RNN gets no finding but RNN000."""
    from rnnlint.static import engine

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "relevance", _everything)
        findings = engine.lint_source(source, "random.py")
    assert all(f.code == "RNN000" for f in findings) and len(findings) <= 1, findings


if hypothesmith is not None:
    @pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith's own compile of `"a"()` and the like
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hypothesmith.from_grammar())
    def test_random_grammatical_programs_walked_in_full(source: str) -> None:
        _walk_everything(source)

    @pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith's own compile of `"a"()` and the like
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hypothesmith.from_node())
    def test_random_syntax_trees_walked_in_full(source: str) -> None:
        _walk_everything(source)
else:
    @pytest.mark.skip(reason="hypothesmith is not installed (pip install -e '.[test]')")
    def test_random_programs_walked_in_full() -> None:
        raise AssertionError("skipped")
