"""Per-file results kept between runs in `.rnnlint_cache/results.json` (like ruff's cache folder).

The cache is data only (JSON) and is checked field by field when loaded: one that cannot be
read or does not validate is dropped without a word and rebuilt, so a cache committed to a
linted repository can at worst cost a cold run. An entry holds one file's findings (before
select/ignore filtering, so changing those never needs a re-parse), the content hashes of the
bytes that were linted and of every project file it imports, transitively, and the files that
would have satisfied an import that did not resolve. It is used while every hash matches and
none of those files has appeared; the hashes are taken before the file is linted, so an edit
during the run is seen by the next one.

The folder and its files are never reached through a symlink nor opened unless they are a
plain folder and regular files; new files are created exclusively, then renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .. import __version__
from ..diagnostic import Diagnostic
from .parsing import read_source
from .result import FileResult
from .prefilter import import_candidates, import_specs

CACHE_DIR = ".rnnlint_cache"
FILE = "results.json"
_FORMAT = 5  # 5: --explain facts are objects
MAX_DEPENDENCIES = 512  # files hashed for one entry; a file that imports more is not cached
MAX_CACHE_BYTES = 256 * 2**20  # a bigger cache file is not read
MAX_ENTRIES = 100_000  # the most recently used are kept
MAX_AGE_S = 30 * 86_400  # an entry unused for this long is dropped
_TOUCH_S = 86_400  # a hit refreshes an entry's last use at most once a day (a warm run writes nothing)
_UNREADABLE = "-"  # the hash of a dependency that cannot be read


@dataclass(frozen=True)
class Stamps:
    """What an entry's findings rest on."""

    # (absolute path, content hash, the files that would satisfy its imports that did not
    # resolve), the linted file first, then the project files it imports, transitively
    files: tuple[tuple[str, str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Entry:
    used: int  # when it was last written or hit, in seconds since the epoch
    stamps: Stamps
    diagnostics: tuple[Diagnostic, ...]


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _digest_file(path: str, memo: dict[str, str]) -> str:
    if path not in memo:
        try:
            memo[path] = digest(read_source(Path(path)))
        except OSError:
            memo[path] = _UNREADABLE
    return memo[path]


Module = tuple[str, tuple[str, ...], tuple[str, ...]]  # content hash, files imported, candidates not found


class Modules:
    """The project files seen in one run: each read, hashed and its imports resolved once."""

    def __init__(self) -> None:
        self.read: dict[str, Module] = {}
        self.resolved: dict[tuple[str, str], tuple[Optional[str], tuple[str, ...]]] = {}

    def describe(self, path: str, data: bytes) -> Module:
        """The module whose bytes are `data`."""
        found: list[str] = []
        absent: list[str] = []
        directory = os.path.dirname(path)
        for spec in _imports(path, data):
            hit, tried = self.resolve(spec, directory)
            absent.extend(tried)
            if hit is not None:
                found.append(hit)
        return digest(data), tuple(found), tuple(absent)

    def get(self, path: str) -> Module:
        if path not in self.read:
            try:
                self.read[path] = self.describe(path, read_source(Path(path)))
            except OSError:
                self.read[path] = _UNREADABLE, (), ()
        return self.read[path]

    def resolve(self, spec: str, directory: str) -> tuple[Optional[str], tuple[str, ...]]:
        """The file an import finds, and the candidates tried before it."""
        key = (spec, directory)
        if key not in self.resolved:
            tried: list[str] = []
            hit = None
            for candidate in import_candidates(spec, directory):
                if os.path.isfile(candidate):
                    hit = candidate
                    break
                tried.append(candidate)
            self.resolved[key] = hit, tuple(tried)
        return self.resolved[key]


def dependency_stamps(path: Path, data: bytes, modules: Optional[Modules] = None) -> Optional[Stamps]:
    """The stamps of `data`, the bytes of `path` about to be linted: their hash, the hashes of
    the project files they import, transitively, and the unresolved imports' candidates. None
    when the file imports more than MAX_DEPENDENCIES project files."""
    modules = Modules() if modules is None else modules
    own = os.path.abspath(path)
    digest_, pending, absent = modules.describe(own, data)
    files = {own: (digest_, absent)}
    pending = list(pending)
    while pending:
        current = pending.pop()
        if current in files:
            continue
        if len(files) >= MAX_DEPENDENCIES:
            return None
        digest_, imports, absent = modules.get(current)
        files[current] = digest_, absent
        pending.extend(imports)
    return Stamps(tuple((path, h, absent) for path, (h, absent) in files.items()))


def _imports(path: str, data: bytes) -> list[str]:
    if path.endswith(".ipynb"):  # a notebook's imports are in its cells (its reader loads only then)
        from .notebook import program_bytes

        data = program_bytes(Path(path), data)
    return import_specs(data)


class Cache:
    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR
        self.now = int(time.time())
        self.hashes: dict[str, str] = {}  # each file hashed once a run
        self.found: dict[tuple[str, ...], bool] = {}  # whether one of these files has appeared
        self.dirty = False
        self.entries = _load(self.folder)

    @staticmethod
    def key(path: Path, shown: str) -> str:
        return f"{os.path.abspath(path)}\0{shown}"

    def get(self, path: Path, shown: str) -> Optional[FileResult]:
        key = self.key(path, shown)
        entry = self.entries.get(key)
        if entry is None:
            return None
        if any(_digest_file(p, self.hashes) != h or self._appeared(absent) for p, h, absent in entry.stamps.files):
            return None
        if self.now - entry.used > _TOUCH_S:
            self.entries[key] = Entry(self.now, entry.stamps, entry.diagnostics)
            self.dirty = True
        return FileResult(shown, list(entry.diagnostics))

    def _appeared(self, paths: tuple[str, ...]) -> bool:
        if paths not in self.found:
            self.found[paths] = any(os.path.lexists(p) for p in paths)
        return self.found[paths]

    def put(self, path: Path, shown: str, result: FileResult, stamps: Optional[Stamps]) -> None:
        # a file whose analysis stopped early is read again next time, and says so again
        if result.error is not None or result.stopped is not None or stamps is None:
            return
        self.entries[self.key(path, shown)] = Entry(self.now, stamps, tuple(result.diagnostics))
        self.dirty = True

    def prune(self) -> None:
        """Drop the entries of files that are gone or unused for MAX_AGE_S, and the least
        recently used past MAX_ENTRIES."""
        kept = {key: e for key, e in self.entries.items()
                if self.now - e.used <= MAX_AGE_S and os.path.lexists(e.stamps.files[0][0])}
        if len(kept) > MAX_ENTRIES:
            kept = dict(sorted(kept.items(), key=lambda item: -item[1].used)[:MAX_ENTRIES])
        if len(kept) != len(self.entries):
            self.entries = kept
            self.dirty = True

    def save(self) -> None:
        self.prune()
        if not self.dirty:
            return
        # each path and each list of import candidates is written once; entries name them by index
        paths: dict[str, int] = {}
        groups: dict[tuple[str, ...], int] = {}
        entries = {key: _entry_data(e, paths, groups) for key, e in self.entries.items()}
        candidates = [[paths.setdefault(p, len(paths)) for p in group] for group in groups]
        payload = json.dumps({"format": _FORMAT, "version": __version__, "paths": list(paths),
                              "groups": candidates, "entries": entries})
        try:
            _write(self.folder, payload.encode("ascii"))  # json.dumps escapes all else, lone surrogates too
        except OSError:
            pass  # a read-only tree (or a cache path that is not ours) still lints; it just is not cached


# ------------------------------------------------------------------------------ the folder

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_AT = os.open in os.supports_dir_fd  # POSIX: every file is opened relative to the folder's descriptor


def _open_folder(folder: Path) -> Optional[int]:
    """A descriptor of the cache folder, never reached through a symlink (OSError then)."""
    if not _AT:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            raise OSError(f"{folder} is not a folder")
        return None
    return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)


def _at(folder: Path, fd: Optional[int], name: str) -> tuple[str, Optional[int]]:
    return (name, fd) if fd is not None else (str(folder / name), None)


def _load(folder: Path) -> dict[str, Entry]:
    try:
        fd = _open_folder(folder)
    except OSError:
        return {}
    try:
        name, at = _at(folder, fd, FILE)
        file = os.open(name, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=at)
        with open(file, "rb") as f:
            st = os.fstat(file)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CACHE_BYTES:  # a FIFO would block the run
                return {}
            return _entries(json.loads(f.read(MAX_CACHE_BYTES)))
    except (OSError, ValueError, RecursionError):  # unreadable, not UTF-8 or not JSON: rebuilt
        return {}
    finally:
        if fd is not None:
            os.close(fd)


def _write(folder: Path, payload: bytes) -> None:
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    fd = _open_folder(folder)
    try:
        _create(folder, fd, ".gitignore", b"# created by rnnlint\n*\n")
        tmp = f"results.{os.getpid()}.{secrets.token_hex(8)}.tmp"
        _create(folder, fd, tmp, payload)
        try:
            src, at = _at(folder, fd, tmp)
            dst, _ = _at(folder, fd, FILE)
            os.replace(src, dst, src_dir_fd=at, dst_dir_fd=at)  # a rename replaces a symlink, never follows it
        except OSError:
            os.unlink(src, dir_fd=at)
            raise
        for old in os.listdir(fd if fd is not None else folder):  # the results of older rnnlint versions
            if old.startswith("results-") and old.endswith(".pickle"):
                name, at = _at(folder, fd, old)
                os.unlink(name, dir_fd=at)
    finally:
        if fd is not None:
            os.close(fd)


def _create(folder: Path, fd: Optional[int], name: str, data: bytes) -> None:
    """Write a new file; an existing one (or a symlink of that name) is left alone."""
    path, at = _at(folder, fd, name)
    try:
        out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644, dir_fd=at)
    except FileExistsError:
        return
    with open(out, "wb") as f:
        f.write(data)


# ------------------------------------------------------------------------------ validation

_TEXT = ("path", "code", "message", "severity", "expected", "actual", "hint")
_NUMBERS = ("row", "column", "end_row", "end_column")
_DIAGNOSTIC_KEYS = frozenset((*_TEXT, *_NUMBERS, "cell", "explain"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_FACT_TEXT = ("kind", "value", "origin")
_FACT_OPTIONAL = {"file": str, "line": int, "cell": int}


def _is_fact(value: Any) -> bool:
    """An --explain fact as Fact.to_dict writes it."""
    return isinstance(value, dict) and value.keys() == {*_FACT_TEXT, *_FACT_OPTIONAL} \
        and all(isinstance(value[k], str) for k in _FACT_TEXT) \
        and all(value[k] is None or (_is_int(value[k]) if kind is int else isinstance(value[k], kind))
                for k, kind in _FACT_OPTIONAL.items())


def _diagnostic(data: Any) -> Optional[Diagnostic]:
    if not isinstance(data, dict) or data.keys() != _DIAGNOSTIC_KEYS:
        return None
    if not all(isinstance(data[k], str) for k in _TEXT) or not all(_is_int(data[k]) for k in _NUMBERS):
        return None
    explain = data["explain"]
    if not (data["cell"] is None or _is_int(data["cell"])) or not isinstance(explain, list) \
            or not all(_is_fact(f) for f in explain):
        return None
    return Diagnostic.from_dict(data)


def _entry(data: Any, paths: list[str], groups: list[tuple[str, ...]]) -> Optional[Entry]:
    if not isinstance(data, dict) or data.keys() != {"used", "files", "diagnostics"}:
        return None
    files, diagnostics = data["files"], data["diagnostics"]
    if not _is_int(data["used"]) or not isinstance(diagnostics, list) or not isinstance(files, list) or not files:
        return None
    if not all(isinstance(f, list) and len(f) == 3 and _is_index(f[0], paths) and isinstance(f[1], str)
               and _is_index(f[2], groups) for f in files):
        return None
    found = [_diagnostic(d) for d in diagnostics]
    if any(d is None for d in found):
        return None
    stamps = Stamps(tuple((paths[p], h, groups[g]) for p, h, g in files))
    return Entry(data["used"], stamps, tuple(d for d in found if d is not None))


def _is_index(value: Any, table: list) -> bool:
    return _is_int(value) and 0 <= value < len(table)


def _entries(data: Any) -> dict[str, Entry]:
    """The entries of a loaded cache; none at all when anything in it is not as written."""
    if not isinstance(data, dict) or data.keys() != {"format", "version", "paths", "groups", "entries"}:
        return {}
    if not _is_int(data["format"]) or data["format"] != _FORMAT or data["version"] != __version__:
        return {}
    paths, groups = data["paths"], data["groups"]
    if not _is_texts(paths) or not isinstance(groups, list) or not isinstance(data["entries"], dict):
        return {}
    if not all(isinstance(g, list) and all(_is_index(i, paths) for i in g) for g in groups):
        return {}
    candidates = [tuple(paths[i] for i in g) for g in groups]
    entries = {}
    for key, raw in data["entries"].items():
        entry = _entry(raw, paths, candidates)
        if entry is None:
            return {}
        entries[key] = entry
    return entries


def _entry_data(entry: Entry, paths: dict[str, int], groups: dict[tuple[str, ...], int]) -> dict[str, Any]:
    files = [[paths.setdefault(p, len(paths)), h, groups.setdefault(absent, len(groups))]
             for p, h, absent in entry.stamps.files]
    return {"used": entry.used, "files": files, "diagnostics": [d.to_dict() for d in entry.diagnostics]}
