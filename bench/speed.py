"""Speed and memory of rnnlint next to its peers, side by side in one run (not a test).

    pip install -e ".[bench]" && python bench/speed.py [--runs 3] [--corpus DIR] [--trees NAME,...]
        [--torchfix PATH] [--torchfix-runs 1] [--pyrefly PATH]

Trees: (a) torch's installed sources, and torch/nn alone (TorchFix takes over 12 minutes on
the whole tree, so it runs on torch/nn only), (b) an RNN-dense tree (the fixtures replicated
to about 100 k lines), (c) with --corpus, a folder of real RNN-heavy public code (build it
with bench/make_corpus.py from the repositories listed in bench/corpus.toml), (d) one small
file as pre-commit passes it (with and without RNN code), next to `python -c pass`.
Peers: ruff (default rules, no cache), flake8, Pyrefly's whole type check with the torch shape
stubs of `pyrefly-torch-stubs` (found in the site-packages of this interpreter; on the corpus
and the single files), TorchFix (on torch/nn and the corpus). TorchFix pins an older LibCST
than rnnlint's tests use: give it its own environment and pass its executable with --torchfix.
rnnlint, ruff and Pyrefly run as this interpreter installed them (not through a version
manager's shim on PATH), rnnlint's modules compiled to bytecode as a wheel's install leaves them.
Each command runs `--runs` times under /usr/bin/time, the tools taking turns round by round;
the table shows median wall seconds and the peak resident memory of the largest process the
command ran (rnnlint's workers and Pyrefly's threads included), then the wall-clock ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
TREES = ("torch", "torch/nn", "dense", "corpus", "1 file (no RNN)", "1 file (RNN)")
ONE_FILE_RUNS = 21  # rounds at least, for the one-file trees
# where each peer runs (a tool not named here runs on every tree): the rest would take minutes
# a run, or, for `python -c pass`, has nothing to read
RUNS_ON = {
    "flake8": {"torch/nn", "dense", "1 file (no RNN)", "1 file (RNN)"},
    "pyrefly": {"corpus", "1 file (no RNN)", "1 file (RNN)"},
    "torchfix": {"torch/nn", "corpus"},
    "python -c pass": {"1 file (no RNN)", "1 file (RNN)"},
}


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, peak KiB) of one run: the wall by the clock here (GNU time rounds to 10 ms,
    too coarse for one file), the peak by GNU time."""
    out = Path(tempfile.mktemp())
    start = time.perf_counter()
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(out), *cmd], cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    peak = out.read_text().split()[-1]
    out.unlink()
    return wall, int(peak)


def measure_side_by_side(tools: dict[str, list[str]], target: Path, cwd: Path, runs: int, slow_runs: int
                         ) -> dict[str, tuple[float, int]]:
    """Each tool once per round, rounds repeated: a slow spell of the machine hits all tools
    alike, so the ratios hold even when the absolute figures drift. TorchFix, minutes a run
    on big trees, takes part in the first `slow_runs` rounds only."""
    walls: dict[str, list[float]] = {tool: [] for tool in tools}
    peaks: dict[str, int] = {tool: 0 for tool in tools}
    for round_number in range(runs):
        for tool, cmd in tools.items():
            if tool == "torchfix" and round_number >= slow_runs:
                continue
            # `python -c pass` reads no file: it is the floor under any Python tool
            wall, peak = timed(cmd if tool == "python -c pass" else [*cmd, str(target)], cwd)
            walls[tool].append(wall)
            peaks[tool] = max(peaks[tool], peak)
    return {tool: (statistics.median(walls[tool]), peaks[tool]) for tool in tools}


def dense_tree(where: Path, lines: int = 100_000) -> Path:
    tree = where / "dense"
    count, i = 0, 0
    while count < lines:
        shutil.copytree(ROOT / "fixtures", tree / f"copy{i}")
        count += sum(p.read_text().count("\n") for p in (tree / f"copy{i}").rglob("*.py"))
        i += 1
    return tree


def size(target: Path) -> str:
    """'N files, M lines' of the Python files and notebooks a tree holds."""
    files = [target] if target.is_file() else [p for p in target.rglob("*") if p.suffix in (".py", ".ipynb")]
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    return f"{len(files):,} files, {lines:,} lines"


def version(cmd: list[str]) -> str:
    try:
        done = subprocess.run([*cmd, "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


def executable(name: str) -> str | None:
    """`name` as this interpreter installed it (its scripts folder), else as PATH finds it. A
    version manager's shim on PATH (pyenv's is a shell script that runs `pyenv exec`) would add
    its own start-up to every run of the tools it wraps, and not to `python -c pass`."""
    here = Path(sysconfig.get_path("scripts")) / name
    return str(here) if os.access(here, os.X_OK) else shutil.which(name)


def compile_rnnlint() -> None:
    """Compile rnnlint's modules to bytecode, as installing a wheel does: a source checkout run
    under PYTHONDONTWRITEBYTECODE would compile every module again on each run."""
    import rnnlint

    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.dirname(rnnlint.__file__)], check=True,
                   stdout=subprocess.DEVNULL)


def load() -> str:
    """The 1, 5 and 15 minute load averages: a busy machine makes the seconds, not the ratios, drift."""
    return " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, help="a folder of real RNN-heavy code (bench/make_corpus.py)")
    parser.add_argument("--trees", default=",".join(TREES), help=f"which of {', '.join(TREES)} to measure")
    parser.add_argument("--torchfix", default=executable("torchfix"), help="the torchfix executable")
    parser.add_argument("--torchfix-runs", type=int, default=1, help="rounds TorchFix takes part in")
    parser.add_argument("--pyrefly", default=executable("pyrefly"), help="the pyrefly executable")
    args = parser.parse_args()
    import torch  # only to locate its sources

    wanted = [name.strip() for name in args.trees.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in TREES]
    if unknown:
        parser.error(f"unknown trees: {', '.join(unknown)}")
    if "corpus" in wanted and args.corpus is None:
        wanted.remove("corpus")
    torch_dir = Path(os.path.dirname(torch.__file__))
    work = Path(tempfile.mkdtemp(prefix="rnnlint-bench-"))
    small_plain = work / "plain.py"
    small_plain.write_text("import os\n\n\ndef main():\n    return os.getcwd()\n")
    where: dict[str, Callable[[], Path]] = {
        "torch": lambda: torch_dir, "torch/nn": lambda: torch_dir / "nn", "dense": lambda: dense_tree(work),
        "corpus": lambda: args.corpus.resolve(), "1 file (no RNN)": lambda: small_plain,
        "1 file (RNN)": lambda: ROOT / "fixtures" / "models" / "char_rnn.py",
    }
    trees = {name: where[name]() for name in wanted}
    compile_rnnlint()
    rnnlint = [executable("rnnlint") or "rnnlint", "check", "--exit-zero", "-q"]
    tools: dict[str, list[str]] = {
        "rnnlint cold": [*rnnlint, "--no-cache"],
        "rnnlint warm": rnnlint,
        "ruff": [executable("ruff") or "ruff", "check", "--no-cache", "--exit-zero", "-q"],
        "flake8": [sys.executable, "-m", "flake8", "--exit-zero", "-q"],
    }
    if args.pyrefly:
        # the interpreter's site-packages hold torch and the shape stubs (torch-stubs)
        tools["pyrefly"] = [args.pyrefly, "check", "--python-interpreter-path", sys.executable,
                            "--output-format", "min-text"]
    if args.torchfix and args.torchfix_runs > 0:
        tools["torchfix"] = [args.torchfix]
    tools["python -c pass"] = [sys.executable, "-c", "pass"]
    print(f"{os.cpu_count()} cores, load average {load()} at the start; {args.runs} rounds ({ONE_FILE_RUNS} for one file), medians"
          f" (TorchFix: {min(args.torchfix_runs, args.runs)})")
    for tool in ("rnnlint warm", "ruff", "pyrefly", "torchfix"):
        if tool in tools:
            print(f"  {tool.split()[0]}: {version(tools[tool][:1])}")
    for tree_name, target in trees.items():
        print(f"  {tree_name}: {target} ({size(target)})")
    rows: dict[tuple[str, str], tuple[float, int]] = {}
    for index, (tree_name, target) in enumerate(trees.items()):
        here = {tool: spec for tool, spec in tools.items() if tree_name in RUNS_ON.get(tool, TREES)}
        # each tree runs in its own folder, so the warm runs read a cache of that tree alone
        cwd = work / f"tree{index}"
        cwd.mkdir()
        timed([*rnnlint, str(target)], cwd)  # fill the cache for the warm runs
        # a one-file run lasts a few tens of ms, where one slow spell moves a median of 3
        rounds = args.runs if target.is_dir() else max(args.runs, ONE_FILE_RUNS)
        for tool, figures in measure_side_by_side(here, target, cwd, rounds, args.torchfix_runs).items():
            rows[tree_name, tool] = figures
    print(f"\n{'tree':<18}{'tool':<16}{'wall s':>9}{'peak MiB':>10}")
    for (tree_name, tool), (wall, peak) in rows.items():
        print(f"{tree_name:<18}{tool:<16}{wall:>9.3f}{peak / 1024:>10.0f}")
    print(f"\nload average {load()} at the end (other work on the machine slows every tool)")
    for tree_name in trees:
        for mode in ("cold", "warm"):
            mine = rows.get((tree_name, f"rnnlint {mode}"))
            for peer in ("ruff", "pyrefly", "python -c pass"):
                theirs = rows.get((tree_name, peer))
                if mine and theirs and theirs[0] > 0:
                    print(f"{tree_name}: rnnlint {mode} / {peer} = {mine[0] / theirs[0]:.2f}")
        fix, mine = rows.get((tree_name, "torchfix")), rows.get((tree_name, "rnnlint cold"))
        if fix and mine and mine[0] > 0:
            print(f"{tree_name}: TorchFix / rnnlint cold = {fix[0] / mine[0]:.1f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
