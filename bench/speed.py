"""Speed and memory of rnnlint next to its peers, side by side in one run (not a test).

    pip install -e ".[bench]" && python bench/speed.py [--runs 3] [--torchfix PATH]

Trees: (a) torch's installed sources, and torch/nn alone (TorchFix takes over 12 minutes on
the whole tree, so it runs on torch/nn only), (b) an RNN-dense tree (the fixtures replicated
to about 100 k lines), (c) one small file as pre-commit passes it (with and without RNN code).
TorchFix pins an older LibCST than rnnlint's tests use: give it its own environment and pass
its executable with --torchfix.
Each command runs `--runs` times under /usr/bin/time, the tools taking turns round by round;
the table shows median wall seconds and the peak memory, and the ratios rnnlint/ruff and
TorchFix/rnnlint.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, peak KiB) of one run, measured by GNU time."""
    out = Path(tempfile.mktemp())
    subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", str(out), *cmd], cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, peak = out.read_text().split()[-2:]
    out.unlink()
    return float(wall), int(peak)


def measure_side_by_side(tools: dict[str, tuple[list[str], object]], target: Path, cwd: Path, runs: int
                         ) -> dict[str, tuple[float, int]]:
    """Each tool once per round, rounds repeated: a slow spell of the machine hits all tools
    alike, so the ratios hold even when the absolute figures drift."""
    walls: dict[str, list[float]] = {tool: [] for tool in tools}
    peaks: dict[str, int] = {tool: 0 for tool in tools}
    for _ in range(runs):
        for tool, (cmd, before) in tools.items():
            if callable(before):
                before()
            wall, peak = timed([*cmd, str(target)], cwd)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--torchfix", default=shutil.which("torchfix"), help="the torchfix executable")
    args = parser.parse_args()
    import torch  # only to locate its sources

    torch_dir = Path(os.path.dirname(torch.__file__))
    work = Path(tempfile.mkdtemp(prefix="rnnlint-bench-"))
    small_plain = work / "plain.py"
    small_plain.write_text("import os\n\n\ndef main():\n    return os.getcwd()\n")
    small_rnn = ROOT / "fixtures" / "models" / "char_rnn.py"
    trees = {"torch": torch_dir, "torch/nn": torch_dir / "nn", "dense": dense_tree(work), "1 file (no RNN)": small_plain,
             "1 file (RNN)": small_rnn}
    cache = work / ".rnnlint_cache"

    def clear() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    rnnlint = [shutil.which("rnnlint") or "rnnlint", "check", "--exit-zero", "-q"]
    tools = {
        "rnnlint cold": (rnnlint, clear),
        "rnnlint warm": (rnnlint, None),
        "ruff": (["ruff", "check", "--no-cache", "--exit-zero", "-q"], None),
        "flake8": ([sys.executable, "-m", "flake8", "--exit-zero", "-q"], None),
    }
    if args.torchfix:
        tools["torchfix"] = ([args.torchfix], None)
    # the floor under any Python tool: the interpreter starting and exiting
    tools["python -c pass"] = ([sys.executable, "-c", "pass"], None)
    rows: dict[tuple[str, str], tuple[float, int]] = {}
    for tree_name, target in trees.items():
        # flake8 on the whole torch tree and TorchFix beyond torch/nn take minutes each
        here = {tool: spec for tool, spec in tools.items()
                if not (tool == "flake8" and tree_name == "torch" or tool == "torchfix" and tree_name != "torch/nn"
                        or tool == "python -c pass" and not target.is_file())}
        timed([*here["rnnlint warm"][0], str(target)], work)  # fill the cache for the warm runs
        for tool, figures in measure_side_by_side(here, target, work, args.runs).items():
            rows[tree_name, tool] = figures
    print(f"{'tree':<18}{'tool':<15}{'wall s':>9}{'peak MiB':>10}")
    for (tree_name, tool), (wall, peak) in rows.items():
        print(f"{tree_name:<18}{tool:<15}{wall:>9.2f}{peak / 1024:>10.0f}")
    for tree_name in trees:
        ruff = rows.get((tree_name, "ruff"))
        for mode in ("cold", "warm"):
            mine = rows.get((tree_name, f"rnnlint {mode}"))
            if ruff and mine and ruff[0] > 0:
                print(f"{tree_name}: rnnlint {mode} / ruff = {mine[0] / ruff[0]:.2f}")
        fix, mine = rows.get((tree_name, "torchfix")), rows.get((tree_name, "rnnlint cold"))
        if fix and mine and mine[0] > 0:
            print(f"{tree_name}: TorchFix / rnnlint cold = {fix[0] / mine[0]:.1f}")


if __name__ == "__main__":
    main()
