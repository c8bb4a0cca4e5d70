"""Expand the paths given on the command line into the Python files and notebooks to lint.

Folders are walked (not following symlinked folders), skipping tool and environment folders
and the config's `exclude` globs. A file named explicitly is linted even when excluded, as
ruff does, unless `force-exclude` is on (pre-commit passes every staged file by name).
"""

from __future__ import annotations

import os
from dataclasses import field
from pathlib import Path
from typing import Iterable

from ..config import Config
from ..records import record

SOURCE_SUFFIXES = (".py", ".ipynb")  # Python files and Jupyter notebooks

# ruff's default excludes, plus our own cache and bytecode folders.
SKIPPED_DIRS = frozenset({
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
    ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".rnnlint_cache", ".ruff_cache",
    ".svn", ".tox", ".venv", ".vscode", "__pycache__", "__pypackages__", "_build", "buck-out",
    "build", "dist", "node_modules", "site-packages", "venv",
})


@record
class Discovery:
    """The files a run lints, and the paths given that could not be read."""

    files: list[tuple[Path, str]] = field(default_factory=list)  # (path to read, path to show)
    errors: list[str] = field(default_factory=list)


def skipped_dir(path: Path) -> bool:
    name = path.name
    # os.path.isfile, not Path.is_file: a folder that cannot be entered (or a path too long) is
    # judged by the walk, which reports it, instead of raising here
    return name in SKIPPED_DIRS or name.endswith(".egg-info") or os.path.isfile(path / "pyvenv.cfg")


def force_excluded(path: Path, config: Config) -> bool:
    """For a path named on the command line: it, or a folder above it (up to the project
    root), is skipped or excluded."""
    rel = config.relative(path)
    if rel.is_absolute():  # outside the project: only the path itself is judged
        chain = [Path(rel)]
    else:
        chain = [config.root.joinpath(*rel.parts[:i]) for i in range(1, len(rel.parts) + 1)]
    return any(config.is_excluded(p) or (os.path.isdir(p) and skipped_dir(p)) for p in chain)


def _walk(folder: Path, config: Config, errors: list[str]) -> Iterable[tuple[Path, str]]:
    """The source files under `folder`, each with its real path. A walk does not follow
    symlinked folders, so only a symlinked file needs resolving: the others lie where the
    folder's real path says (one realpath per run, not one per file)."""
    real_root = os.path.realpath(folder)
    stack = [(folder, real_root)]
    while stack:
        directory, real = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            errors.append(f"{exc.filename}: {exc.strerror}")
            continue
        folders = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                path = directory / name
                if not (entry.is_symlink() or skipped_dir(path) or config.is_excluded(path)):
                    folders.append((path, os.path.join(real, name)))
            elif name.endswith(SOURCE_SUFFIXES):  # the other files (data, docs) cost no path object
                path = directory / name
                if not config.is_excluded(path):
                    yield path, os.path.realpath(path) if entry.is_symlink() else os.path.join(real, name)
        stack.extend(reversed(folders))  # depth first, in name order, as os.walk with sorted names


def discover(paths: Iterable[str], config: Config) -> Discovery:
    """The files to lint, sorted by shown path, each once (by its real path)."""
    found: dict[str, tuple[Path, str]] = {}
    errors: list[str] = []

    for arg in paths:
        path = Path(arg)
        try:
            os.lstat(path)
        except (OSError, ValueError) as exc:  # missing, in a folder that cannot be entered, too long, a NUL
            reason = getattr(exc, "strerror", None) or str(exc)
            errors.append(f"{arg}: {reason[:1].lower()}{reason[1:]}")
            continue
        if config.force_exclude and force_excluded(path, config):
            continue
        elif os.path.isdir(path):  # a folder named `x.py` is still a folder
            for file, real in _walk(path, config, errors):
                found.setdefault(real, (file, str(file)))
        else:  # a broken symlink too: the engine reports it as unreadable (RNN000)
            found.setdefault(os.path.realpath(path), (path, str(path)))
    return Discovery(sorted(found.values(), key=lambda item: item[1]), errors)
