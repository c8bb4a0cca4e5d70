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
from .engine import FileResult, read_source
from .prefilter import import_candidates, import_specs

CACHE_DIR = ".rnnlint_cache"
FILE = "results.json"
_FORMAT = 2
MAX_DEPENDENCIES = 512  # files hashed for one entry; a file that imports more is not cached
DEPENDENCY_BYTES = 2_000_000  # as project.MAX_BYTES: a bigger import is not read by the analysis either
MAX_CACHE_BYTES = 256 * 2**20  # a bigger cache file is not read
MAX_ENTRIES = 100_000  # the most recently used are kept
MAX_AGE_S = 30 * 86_400  # an entry unused for this long is dropped
_TOUCH_S = 86_400  # a hit refreshes an entry's last use at most once a day (a warm run writes nothing)
_UNREADABLE = "-"  # the hash of a dependency that cannot be read


@dataclass(frozen=True)
class Stamps:
    """What an entry's findings rest on."""

    files: tuple[tuple[str, str], ...]  # (absolute path, content hash), the linted file first
    absent: tuple[str, ...]  # files that would satisfy an import that did not resolve


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
            memo[path] = digest(read_source(Path(path), DEPENDENCY_BYTES))
        except OSError:
            memo[path] = _UNREADABLE
    return memo[path]


def dependency_stamps(path: Path, data: bytes, memo: Optional[dict[str, tuple[str, list[str]]]] = None
                      ) -> Optional[Stamps]:
    """The stamps of `data`, the bytes of `path` about to be linted: their hash, the hashes of
    the project files they import, transitively, and the unresolved imports' candidates. None
    when the file imports more than MAX_DEPENDENCIES project files. `memo` keeps each
    dependency's hash and imports for the next files."""
    memo = {} if memo is None else memo
    own = os.path.abspath(path)
    files = {own: digest(data)}
    absent: set[str] = set()
    queue = [(own, _imports(own, data))]
    while queue:
        current, specs = queue.pop()
        directory = os.path.dirname(current)
        for spec in specs:
            for candidate in import_candidates(spec, directory):
                if candidate in files:
                    break
                if not os.path.isfile(candidate):
                    absent.add(candidate)
                    continue
                if len(files) >= MAX_DEPENDENCIES:
                    return None
                if candidate not in memo:
                    try:
                        raw = read_source(Path(candidate), DEPENDENCY_BYTES)
                        memo[candidate] = digest(raw), _imports(candidate, raw)
                    except OSError:
                        memo[candidate] = _UNREADABLE, []
                files[candidate], imports = memo[candidate]
                queue.append((candidate, imports))
                break
    return Stamps(tuple(files.items()), tuple(sorted(absent)))


def _imports(path: str, data: bytes) -> list[str]:
    from .notebook import program_bytes  # a notebook's imports are in its cells

    return import_specs(program_bytes(Path(path), data))


class Cache:
    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR
        self.now = int(time.time())
        self.memo: dict[str, str] = {}  # dependency hashes, each file read once a run
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
        if any(_digest_file(p, self.memo) != h for p, h in entry.stamps.files) or \
                any(os.path.lexists(p) for p in entry.stamps.absent):
            return None
        if self.now - entry.used > _TOUCH_S:
            self.entries[key] = Entry(self.now, entry.stamps, entry.diagnostics)
            self.dirty = True
        return FileResult(shown, list(entry.diagnostics))

    def put(self, path: Path, shown: str, result: FileResult, stamps: Optional[Stamps]) -> None:
        if result.error is not None or stamps is None:
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
        payload = json.dumps({"format": _FORMAT, "version": __version__,
                              "entries": {key: _entry_data(e) for key, e in self.entries.items()}})
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


def _diagnostic(data: Any) -> Optional[Diagnostic]:
    if not isinstance(data, dict) or data.keys() != _DIAGNOSTIC_KEYS:
        return None
    if not all(isinstance(data[k], str) for k in _TEXT) or not all(_is_int(data[k]) for k in _NUMBERS):
        return None
    if not (data["cell"] is None or _is_int(data["cell"])) or not _is_texts(data["explain"]):
        return None
    return Diagnostic.from_dict(data)


def _entry(data: Any) -> Optional[Entry]:
    if not isinstance(data, dict) or data.keys() != {"used", "files", "absent", "diagnostics"}:
        return None
    files, diagnostics = data["files"], data["diagnostics"]
    if not _is_int(data["used"]) or not _is_texts(data["absent"]) or not isinstance(diagnostics, list):
        return None
    if not isinstance(files, list) or not files or \
            not all(isinstance(f, list) and len(f) == 2 and _is_texts(f) for f in files):
        return None
    found = [_diagnostic(d) for d in diagnostics]
    if any(d is None for d in found):
        return None
    stamps = Stamps(tuple((p, h) for p, h in files), tuple(data["absent"]))
    return Entry(data["used"], stamps, tuple(d for d in found if d is not None))


def _entries(data: Any) -> dict[str, Entry]:
    """The entries of a loaded cache; none at all when anything in it is not as written."""
    if not isinstance(data, dict) or data.keys() != {"format", "version", "entries"}:
        return {}
    if not _is_int(data["format"]) or data["format"] != _FORMAT or data["version"] != __version__:
        return {}
    if not isinstance(data["entries"], dict):
        return {}
    entries = {}
    for key, raw in data["entries"].items():
        entry = _entry(raw)
        if entry is None:
            return {}
        entries[key] = entry
    return entries


def _entry_data(entry: Entry) -> dict[str, Any]:
    return {"used": entry.used, "files": [list(f) for f in entry.stamps.files], "absent": list(entry.stamps.absent),
            "diagnostics": [d.to_dict() for d in entry.diagnostics]}
