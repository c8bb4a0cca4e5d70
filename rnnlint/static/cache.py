"""Per-file results kept between runs in `.rnnlint_cache/` (like ruff's cache folder).

An entry is valid while the file and every tree file it imports keep their (mtime, size),
and while rnnlint's version and the settings that change findings are the same. Findings are
stored before select/ignore filtering, so changing those never needs a re-parse.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Optional

from .. import __version__
from ..diagnostic import Diagnostic
from .engine import FileResult, read_source
from .prefilter import imported_files

CACHE_DIR = ".rnnlint_cache"
_FORMAT = 2

Stamp = tuple[str, int, int]  # path, mtime_ns, size


def _stamp(path: Path) -> Optional[Stamp]:
    try:
        st = path.stat()
    except OSError:
        return None
    return str(path), st.st_mtime_ns, st.st_size


def dependency_stamps(path: Path) -> Optional[tuple[Stamp, ...]]:
    """The file's own stamp and those of the tree files it imports (their classes and
    constants flow into its findings)."""
    own = _stamp(path)
    if own is None:
        return None
    try:
        data = read_source(path)
        if path.suffix == ".ipynb":  # a notebook's imports are in its cells
            from .notebook import program_bytes

            data = program_bytes(path, data)
    except OSError:
        return None
    deps = [s for s in (_stamp(p) for p in imported_files(data, path.parent)) if s is not None]
    return (own, *sorted(deps))


class Cache:
    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR
        self.file = self.folder / f"results-{__version__}-{_FORMAT}.pickle"
        self.entries: dict[str, tuple[tuple[Stamp, ...], list[Diagnostic]]] = {}
        self.dirty = False
        try:
            with open(self.file, "rb") as f:
                loaded = pickle.load(f)
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
            self.entries = {}

    @staticmethod
    def key(path: Path, shown: str) -> str:
        return f"{os.path.abspath(path)}\0{shown}"

    def get(self, path: Path, shown: str) -> Optional[FileResult]:
        entry = self.entries.get(self.key(path, shown))
        if entry is None:
            return None
        stamps, diagnostics = entry
        if any(_stamp(Path(p)) != (p, m, s) for p, m, s in stamps):
            return None
        return FileResult(shown, list(diagnostics))

    def put(self, path: Path, shown: str, result: FileResult) -> None:
        if result.error is not None:
            return
        stamps = dependency_stamps(path)
        if stamps is None:
            return
        self.entries[self.key(path, shown)] = (stamps, result.diagnostics)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by rnnlint\n*\n")
            tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                pickle.dump(self.entries, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
        except OSError:
            pass  # a read-only tree still lints; it just is not cached
