"""A run's process pool never outlives the run, and a worker's death costs only its files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixture_marks import FIXTURES
from rnnlint.config import Config
from rnnlint.static import engine, runner

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

# `rnnlint check` with each file taking a while, so the pool is busy when the signal comes
SLOW_RUN = """
import sys, time
from rnnlint.static import engine
analyze_source = engine.analyze_source
def slow(*args, **kwargs):
    time.sleep(0.5)
    return analyze_source(*args, **kwargs)
engine.analyze_source = slow
from rnnlint.cli import main
main(["check", "--no-cache", "--jobs", "2", sys.argv[1]])
"""


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for i in range(2):
        shutil.copytree(FIXTURES, root / f"copy{i}")
    assert len(list(root.rglob("*.py"))) >= runner.PARALLEL_MIN
    return root


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _busy_run(tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    process = subprocess.Popen([sys.executable, "-c", SLOW_RUN, str(_tree(tmp_path))], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": os.getcwd()})
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = _children(process.pid)
    assert len(workers) >= 2, "the pool did not start"
    return process, workers


def _gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(_alive(p) for p in pids)


def test_sigterm_ends_the_workers_too(tmp_path: Path) -> None:
    process, workers = _busy_run(tmp_path)
    process.send_signal(signal.SIGTERM)
    try:
        process.communicate(timeout=20)  # a worker holding the pipes would block this
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert process.returncode in (143, -signal.SIGTERM)
    assert _gone(workers)


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    process, workers = _busy_run(tmp_path)
    process.kill()
    process.wait(timeout=10)
    try:
        assert _gone(workers)
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_ctrl_c_cancels_queued_work_and_exits_130(tmp_path: Path) -> None:
    process, workers = _busy_run(tmp_path)
    started = time.monotonic()
    for pid in workers:  # a terminal sends SIGINT to the whole process group
        os.kill(pid, signal.SIGINT)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err.decode()
    assert time.monotonic() - started < 10  # its ~100 files at 0.5 s each on 2 workers would take 25 s
    assert b"Traceback" not in err
    assert _gone(workers)


def test_a_dead_worker_costs_only_the_file_that_kills_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path)
    victim = root / "copy0" / "deadly.py"
    victim.write_text("import torch.nn as nn\nrnn = nn.LSTM(3, 5)\n")
    expected = runner.run([str(root)], Config(root=root), jobs=1, use_cache=False)
    parent = os.getpid()
    analyze_source = engine.analyze_source

    def oom_killed(source: str, shown: str, real: Path, **known: object) -> object:
        if real == victim and os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer does
        return analyze_source(source, shown, real, **known)

    monkeypatch.setattr(engine, "analyze_source", oom_killed)
    result = runner.run([str(root)], Config(root=root), jobs=2, use_cache=False)
    assert result.diagnostics == expected.diagnostics
    assert result.errors == [f"{victim}: the process linting it died (out of memory?); it was not checked"]
    assert sorted(result.files) == sorted(expected.files)


def test_chunks_keep_neighbours_together_and_the_heaviest_go_first(tmp_path: Path) -> None:
    """Files of one folder share a chunk (a worker reads the project files they import once);
    a big file goes alone, light neighbours together, and the heaviest chunks are handed out
    first."""
    sizes = {"a/big.py": 90_000, "a/mid.py": 30_000, "b/small.ipynb": 2_000, "b/empty.py": 0}
    sizes.update({f"{'c' if i < 30 else 'd'}/tiny{i:02}.py": 100 + i for i in range(60)})
    for name, size in sizes.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"#" * size)
    todo = [(tmp_path / name, name) for name in sorted(sizes)]
    chunks = runner._chunks(todo, 16)
    order = [shown for chunk in chunks for _, shown in chunk]
    assert sorted(order) == sorted(sizes)  # each file once
    assert [shown for _, shown in chunks[0]] == ["a/big.py"] and [s for _, s in chunks[1]] == ["a/mid.py"]
    weights = [sum(sizes[shown] for _, shown in chunk) for chunk in chunks]
    assert weights == sorted(weights, reverse=True)
    assert len(chunks) <= 20 and max(len(c) for c in chunks) > 1  # light files share a chunk
    for chunk in chunks:  # a chunk is a run of neighbours in path order
        names = [shown for _, shown in chunk]
        assert names == sorted(names) and "/".join(names) in "/".join(sorted(sizes))
    tiny = [i for i, chunk in enumerate(chunks) if any(s.startswith("c/") for _, s in chunk)]
    assert len(tiny) == 1  # the 30 light files of c/ are one chunk's


def test_the_parent_of_a_pool_never_imports_the_analyzer(tmp_path: Path) -> None:
    probe = ("import sys\nfrom rnnlint.static import runner\nfrom rnnlint.config import Config\n"
             "from pathlib import Path\nroot = Path(sys.argv[1])\n"
             "found = runner.run([str(root)], Config(root=root), jobs=2)\n"
             "assert found.diagnostics and not found.errors, found.errors\n"
             "print('heavy:', *[m for m in sys.modules if m.startswith(('libcst', 'rnnlint.static.analysis'))])\n")
    done = subprocess.run([sys.executable, "-c", probe, str(_tree(tmp_path))], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.getcwd()}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "heavy:"
