"""Build the RNN-heavy corpus of public repositories that bench/speed.py measures (not a test).

    python bench/make_corpus.py record MIRRORS OUT   # every git mirror under MIRRORS at its HEAD
    python bench/make_corpus.py build MIRRORS OUT    # the repositories of bench/corpus.toml at
                                                     # their recorded commits

MIRRORS is a folder of git directories named `owner+name` (a bare `repo/` or a clone's
`repo/.git` inside each is found too), or a text file that lists one git directory a line.
OUT receives one folder per repository, `owner__name/`, holding only its `.py` and `.ipynb`
files: the repositories' own configs stay out, so every tool runs with its defaults.
`record` also rewrites bench/corpus.toml with each repository's commit and counts.
The corpus itself is never committed; only the list of what it is.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

LIST = Path(__file__).resolve().parent / "corpus.toml"
KEPT = (".py", ".ipynb")
# what counts as "a file with RNN code" in the recorded counts
RNN_WORD = re.compile(rb"\b(?:LSTM|GRU|RNN)(?:Cell)?\b")


@dataclass(frozen=True)
class Entry:
    repo: str  # owner/name
    commit: str
    files: int
    lines: int
    rnn_files: int


def git_dirs(mirrors: Path) -> dict[str, Path]:
    """owner/name -> git directory, from a folder of mirrors or a file listing git directories."""
    if mirrors.is_file():
        found = [Path(line.strip()) for line in mirrors.read_text().splitlines() if line.strip()]
    else:
        found = []
        for folder in sorted(p for p in mirrors.iterdir() if p.is_dir() and "+" in p.name):
            for candidate in (folder / "repo" / ".git", folder / "repo", folder):
                if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
                    found.append(candidate)
                    break
    dirs = {}
    for git_dir in found:
        # the owner+name folder is the first ancestor whose name holds a '+'
        named = next((p.name for p in (git_dir, *git_dir.parents) if "+" in p.name), None)
        if named:
            dirs[named.replace("+", "/", 1)] = git_dir
    return dirs


def git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def blobs(git_dir: Path, commit: str) -> list[tuple[str, str]]:
    """(path, blob id) of the kept plain files of `commit` (links and submodules left out)."""
    listing = git(git_dir, "ls-tree", "-r", "-z", "--full-tree", commit).split(b"\0")
    kept = []
    for row in filter(None, listing):
        meta, path = row.decode("utf-8", "surrogateescape").split("\t", 1)
        mode, kind, blob = meta.split()
        if kind == "blob" and mode in ("100644", "100755") and path.endswith(KEPT):
            kept.append((path, blob))
    return kept


def read_blobs(git_dir: Path, ids: list[str]) -> list[bytes | None]:
    """The blobs' contents in order, None for one the mirror lacks (its largest files may be absent)."""
    batch = subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "--batch"], check=True,
                           input="".join(f"{blob}\n" for blob in ids).encode(), capture_output=True).stdout
    out, at = [], 0
    for _ in ids:
        header_end = batch.index(b"\n", at)
        header = batch[at:header_end].split()
        if header[-1] == b"missing":
            out.append(None)
            at = header_end + 1
            continue
        size = int(header[2])
        out.append(batch[header_end + 1:header_end + 1 + size])
        at = header_end + 1 + size + 1
    return out


def extract(git_dir: Path, commit: str, into: Path) -> Entry | None:
    """Write the kept files of `commit` under `into`; None when the mirror lacks the commit."""
    try:
        full = git(git_dir, "rev-parse", "--verify", f"{commit}^{{commit}}").decode().strip()
        kept = blobs(git_dir, full)
    except subprocess.CalledProcessError:
        return None
    files = lines = rnn_files = 0
    for (path, _), data in zip(kept, read_blobs(git_dir, [blob for _, blob in kept])):
        # no absolute or climbing paths out of `into`
        if data is None or path.startswith("/") or ".." in Path(path).parts:
            continue
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files += 1
        lines += data.count(b"\n")
        rnn_files += bool(RNN_WORD.search(data))
    return Entry("", full, files, lines, rnn_files)


def folder_name(repo: str) -> str:
    return repo.replace("/", "__")


def write_list(entries: list[Entry]) -> None:
    head = ("# The RNN-heavy corpus of bench/speed.py: public repositories at fixed commits, only their\n"
            "# .py and .ipynb files (bench/make_corpus.py build recreates it from git mirrors).\n"
            "# rnn_files: files that name LSTM, GRU or RNN (or their cells).\n")
    blocks = [f'[[repo]]\nrepo = "{e.repo}"\ncommit = "{e.commit}"\nfiles = {e.files}\nlines = {e.lines}\n'
              f"rnn_files = {e.rnn_files}\n" for e in entries]
    total = (f"# total: {len(entries)} repositories, {sum(e.files for e in entries)} files, "
             f"{sum(e.lines for e in entries)} lines, {sum(e.rnn_files for e in entries)} files with RNN code\n")
    LIST.write_text(head + total + "\n" + "\n".join(blocks))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "build"))
    parser.add_argument("mirrors", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    dirs = git_dirs(args.mirrors)
    if args.mode == "record":
        wanted = {repo: "HEAD" for repo in dirs}
    else:
        recorded = {item["repo"]: item for item in tomllib.loads(LIST.read_text())["repo"]}
        wanted = {repo: item["commit"] for repo, item in recorded.items()}
    entries, missing = [], []
    for repo, commit in sorted(wanted.items(), key=lambda item: item[0].lower()):
        into = args.out / folder_name(repo)
        if into.exists():
            print(f"{into} exists; remove it first", file=sys.stderr)
            return 1
        entry = extract(dirs[repo], commit, into) if repo in dirs else None
        if entry is None:
            missing.append(f"{repo}@{commit}")
            continue
        entries.append(Entry(repo, entry.commit, entry.files, entry.lines, entry.rnn_files))
        print(f"{repo:<45}{entry.commit[:12]}{entry.files:>6} files{entry.lines:>8} lines{entry.rnn_files:>5} RNN")
        if args.mode == "build" and (entry.files, entry.lines) != (recorded[repo]["files"], recorded[repo]["lines"]):
            # a mirror without some large files gives a smaller tree than the recorded one
            print(f"  differs from the record: {recorded[repo]['files']} files, {recorded[repo]['lines']} lines",
                  file=sys.stderr)
    if args.mode == "record":
        write_list(entries)
    if missing:
        print("missing (fetch these mirrors first): " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
