"""Per-file results kept between runs in `.rnnlint_cache/results.json` (like ruff's cache folder).

The cache is data only (JSON) and is checked field by field when loaded: one that cannot be
read or does not validate is dropped without a word and rebuilt, so a cache committed to a
linted repository can at worst cost a cold run.

It holds two things. The import graph, once per module: each project file's content hash, the
project files it imports and the files that would have satisfied an import of it that did not
resolve. And an entry per linted file: its findings (before select/ignore filtering, so
changing those never needs a re-parse). An entry is used while its file and every module it
imports, transitively, are unchanged: the same hash, and none of the missing files has
appeared. A run checks each module once, however many entries rest on it, and reads its
bytes only when its file's status changed, and looks for its missing files only when a folder
they would be created in changed (`modules` says why that is safe). The hashes are of the
bytes that were linted, taken before linting, so an edit during the run is seen by the next
one; a file seen with two contents in one run is linted again by the next.

The folder and its files are never reached through a symlink nor opened unless they are a
plain folder and regular files; new files are created exclusively, then renamed into place.
"""

from __future__ import annotations

import json
import os
import stat
import time
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Optional

from .. import __version__
from ..diagnostic import Diagnostic
from .dependencies import Anchors, Described, Module, anchors, file_digest, file_status, folder_status
from .result import FileResult

CACHE_DIR = ".rnnlint_cache"
FILE = "results.json"
_FORMAT = 6  # 6: the import graph is kept once, a node per module
MAX_CACHE_BYTES = 256 * 2**20  # a bigger cache file is not read
MAX_ENTRIES = 100_000  # the most recently used are kept
MAX_AGE_S = 30 * 86_400  # an entry unused for this long is dropped
_TOUCH_S = 86_400  # a hit refreshes an entry's last use at most once a day (a warm run writes nothing)

Key = tuple[str, str]  # an entry's (absolute path, path as shown)
# a file seen with two contents in one run: no file hashes to "", so what rests on it is linted again
_CONFLICT: Module = ("", (), ())


# ------------------------------------------------------------------------------ the cache

class Entry(NamedTuple):
    used: int  # when it was last written or hit, in seconds since the epoch
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class Graph:
    """The import graph as loaded. Modules are paths[:len(hashes)], each with its hash, the
    status its file had when hashed ("" if none was recorded), the modules it imports, its
    missing candidates, its anchors (indices into folders) and the candidates no anchor
    proves missing (loose); a folder is a path with a status."""

    paths: list[str]
    hashes: list[str]
    statuses: list[str]
    imports: list[list[int]]
    absent: list[list[int]]
    anchors: list[list[int]]
    loose: list[list[int]]
    folders: list[int]
    folder_statuses: list[str]

    def __post_init__(self) -> None:
        self.index = {p: i for i, p in enumerate(self.paths[:len(self.hashes)])}

    def module(self, i: int) -> Module:
        paths = self.paths
        return self.hashes[i], tuple(paths[j] for j in self.imports[i]), tuple(paths[j] for j in self.absent[i])

    def anchored(self, i: int) -> Anchors:
        return (tuple((self.paths[self.folders[a]], self.folder_statuses[a]) for a in self.anchors[i]),
                tuple(self.paths[c] for c in self.loose[i]))

    def reaching(self, targets: Iterable[int]) -> set[int]:
        """The modules that import one of `targets`, directly or not, and the targets."""
        importers: dict[int, list[int]] = {}
        for i, imported in enumerate(self.imports):
            for j in imported:
                importers.setdefault(j, []).append(i)
        found = set(targets)
        pending = list(found)
        while pending:
            for i in importers.get(pending.pop(), ()):
                if i not in found:
                    found.add(i)
                    pending.append(i)
        return found


class Cache:
    """One project's cache during one run: looked up before linting, told each file linted,
    saved once at the end."""

    def __init__(self, root: Path) -> None:
        self.folder = root / CACHE_DIR
        self.now = int(time.time())
        self.cwd = os.getcwd()
        self.dirty = False
        self.graph, self.entries = _load(self.folder)
        # what this run saw: each file hashed once, each missing file or folder looked at once,
        # each module judged once (its own hash and candidates, then its closure)
        self.hashes: dict[str, str] = {}
        self.appeared: dict[int, bool] = {}
        self.same_folder: dict[int, bool] = {}
        self.unchanged: dict[int, bool] = {}
        self.fresh: set[int] = set()  # nothing in its closure changed
        self.stale: set[int] = set()  # something in its closure changed
        self.described: dict[str, Module] = {}  # the modules the files linted in this run rest on
        self.new: dict[str, Module] = {}  # those new to the loaded graph or described otherwise there
        self.statuses: dict[str, str] = {}  # settled statuses taken before a file was hashed
        self.unanchored: set[str] = set()  # unchanged modules with an anchor folder that changed: anchored anew
        self.looked: set[Key] = set()  # the files of this run (they exist)
        self.linted: set[Key] = set()  # the entries written in this run

    def get(self, path: Path, shown: str) -> Optional[FileResult]:
        key = (self.absolute(path), shown)
        self.looked.add(key)
        entry = self.entries.get(key)
        if entry is None:
            return None
        node = self.graph.index.get(key[0])
        if node is None or not self._fresh(node):
            return None
        if self.now - entry.used > _TOUCH_S:
            self.entries[key] = Entry(self.now, entry.diagnostics)
            self.dirty = True
        return FileResult(shown, list(entry.diagnostics))

    def absolute(self, path: Path) -> str:
        """os.path.abspath, with the working folder asked once a run."""
        return os.path.normpath(os.path.join(self.cwd, path))

    def _fresh(self, start: int) -> bool:
        """Whether no module in the closure of `start` changed. A walk that meets a change marks
        the modules on its way there stale; one that meets none marks all it saw fresh."""
        way: dict[int, int] = {start: -1}  # each module seen, and the one that imports it
        pending = [start]
        while pending:
            node = pending.pop()
            if node in self.stale or not self._unchanged(node):
                while node != -1:
                    self.stale.add(node)
                    node = way[node]
                return False
            for imported in self.graph.imports[node]:
                if imported not in way and imported not in self.fresh:
                    way[imported] = node
                    pending.append(imported)
        self.fresh.update(way)
        return True

    def _unchanged(self, node: int) -> bool:
        if node not in self.unchanged:
            self.unchanged[node] = self._same_bytes(node) and self._still_missing(node)
        return self.unchanged[node]

    def _same_bytes(self, node: int) -> bool:
        """The file's bytes hash as stored: its status says so, or its bytes are read."""
        graph = self.graph
        path = graph.paths[node]
        status, settled = file_status(path)  # before the bytes are read
        if status and status == graph.statuses[node]:
            self.hashes[path] = graph.hashes[node]
            return True
        self.hashes[path] = file_digest(path)
        if settled and self.hashes[path] == graph.hashes[node]:
            self.statuses[path] = status
        return self.hashes[path] == graph.hashes[node]

    def _still_missing(self, node: int) -> bool:
        """None of the module's missing candidates appeared: its anchor folders are unchanged
        and its loose candidates missing, or else each candidate is looked for."""
        graph = self.graph
        if all(self._same_folder(a) for a in graph.anchors[node]):
            return not any(self._appeared(c) for c in graph.loose[node])
        if any(self._appeared(c) for c in graph.absent[node]):
            return False
        self.unanchored.add(graph.paths[node])
        return True

    def _same_folder(self, anchor: int) -> bool:
        if anchor not in self.same_folder:
            graph = self.graph
            status = folder_status(graph.paths[graph.folders[anchor]])
            self.same_folder[anchor] = status == graph.folder_statuses[anchor]
        return self.same_folder[anchor]

    def _appeared(self, candidate: int) -> bool:
        if candidate not in self.appeared:
            self.appeared[candidate] = os.path.lexists(self.graph.paths[candidate])
        return self.appeared[candidate]

    def put(self, path: Path, shown: str, result: FileResult, described: Optional[Described]) -> None:
        if described is None:
            return
        for file, module, status in described:
            if self.described.setdefault(file, module) != module:
                self.described[file] = _CONFLICT
            elif status:
                self.statuses.setdefault(file, status)
        # a file whose analysis stopped early is read again next time, and says so again
        if result.error is not None or result.stopped is not None:
            return
        key = (self.absolute(path), shown)
        self.entries[key] = Entry(self.now, tuple(result.diagnostics))
        self.linted.add(key)
        self.dirty = True

    def merge(self) -> None:
        """Lay this run's descriptions over the loaded graph. An entry not linted in this run
        that reaches a module described anew is dropped: its findings rest on the old
        description."""
        graph = self.graph
        changed = []
        for path, module in self.described.items():
            if self.hashes.get(path, module[0]) != module[0]:  # hashed to other bytes earlier in the run
                module = _CONFLICT
            node = graph.index.get(path)
            if node is None or graph.module(node) != module:
                self.new[path] = module
                self.dirty = True
                if node is not None:
                    changed.append(node)
        if changed:
            reach = graph.reaching(changed)
            for key in [k for k in self.entries if k not in self.linted and graph.index.get(k[0]) in reach]:
                del self.entries[key]

    def prune(self) -> None:
        """Drop the entries of files that are gone or unused for MAX_AGE_S, and the least
        recently used past MAX_ENTRIES."""
        kept = {key: e for key, e in self.entries.items()
                if self.now - e.used <= MAX_AGE_S and (key in self.looked or os.path.lexists(key[0]))}
        if len(kept) > MAX_ENTRIES:
            kept = dict(sorted(kept.items(), key=lambda item: -item[1].used)[:MAX_ENTRIES])
        if len(kept) != len(self.entries):
            self.entries = kept
            self.dirty = True

    def save(self) -> None:
        self.merge()
        self.prune()
        graph = self.graph
        # statuses and anchors learnt in this run, for the modules kept as they were loaded
        for path, status in self.statuses.items():
            node = graph.index.get(path)
            if path not in self.new and node is not None and graph.statuses[node] != status:
                self.dirty = True
        found = anchors({path: graph.module(graph.index[path])[2] for path in self.unanchored}
                        | {path: module[2] for path, module in self.new.items()})
        if self.unanchored:
            self.dirty = True
        if not self.dirty:
            return
        modules = {path: graph.module(i) for path, i in graph.index.items()}
        modules.update(self.new)
        statuses = {path: graph.statuses[i] for path, i in graph.index.items() if path not in self.new}
        statuses.update((path, status) for path, status in self.statuses.items() if modules[path] != _CONFLICT)
        anchored = {path: graph.anchored(i) for path, i in graph.index.items()
                    if path not in self.new and path not in self.unanchored}
        anchored.update(found)
        try:
            _write(self.folder, _encode(modules, statuses, anchored, self.entries))
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


def _load(folder: Path) -> tuple[Graph, dict[Key, Entry]]:
    try:
        fd = _open_folder(folder)
    except OSError:
        return _nothing()
    try:
        name, at = _at(folder, fd, FILE)
        file = os.open(name, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0), dir_fd=at)
        with open(file, "rb") as f:
            st = os.fstat(file)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CACHE_BYTES:  # a FIFO would block the run
                return _nothing()
            return _decode(json.loads(f.read(MAX_CACHE_BYTES)))
    except (OSError, ValueError, RecursionError):  # unreadable, not UTF-8 or not JSON: rebuilt
        return _nothing()
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
        tmp = f"results.{os.getpid()}.{os.urandom(8).hex()}.tmp"
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


# ------------------------------------------------------------------------------ the layout

# The file is a few long lists (json reads those far faster than many small objects): the
# paths once each, the modules' columns, the folders' columns, the entries' columns.
_KEYS = frozenset({"format", "version", "paths", "hashes", "statuses", "imports", "absent", "anchors", "loose",
                   "folders", "folder_statuses", "files", "shown", "used", "findings"})


def _nothing() -> tuple[Graph, dict[Key, Entry]]:
    return Graph([], [], [], [], [], [], [], [], []), {}


def _encode(modules: dict[str, Module], statuses: dict[str, str], anchored: dict[str, Anchors],
            entries: dict[Key, Entry]) -> bytes:
    """The cache file: the entries, and the modules their files reach (a module whose
    description was lost is saved as a conflict, so what rests on it is linted again)."""
    kept: dict[str, Module] = {}
    pending = [path for path, _ in entries]
    while pending:
        path = pending.pop()
        if path not in kept:
            kept[path] = modules.get(path, _CONFLICT)
            pending.extend(kept[path][1])
    paths = list(kept)
    index = {path: i for i, path in enumerate(paths)}
    folders: dict[tuple[str, str], int] = {}

    def at(path: str) -> int:
        if path not in index:
            index[path] = len(paths)
            paths.append(path)
        return index[path]

    keys = list(entries)
    data = {"format": _FORMAT, "version": __version__, "paths": paths,
            "hashes": [m[0] for m in kept.values()],
            "statuses": [statuses.get(path, "") for path in kept],
            "imports": [[index[p] for p in m[1]] for m in kept.values()],
            "absent": [[at(p) for p in m[2]] for m in kept.values()],
            "anchors": [[folders.setdefault(a, len(folders)) for a in anchored.get(p, ((), ()))[0]] for p in kept],
            "loose": [[at(c) for c in anchored.get(p, ((), ()))[1]] for p in kept],
            "files": [index[path] for path, _ in keys], "shown": [shown for _, shown in keys],
            "used": [entries[k].used for k in keys],
            "findings": [[d.to_dict() for d in entries[k].diagnostics] for k in keys]}
    data["folders"] = [at(folder) for folder, _ in folders]
    data["folder_statuses"] = [status for _, status in folders]
    return json.dumps(data, separators=(",", ":")).encode("ascii")  # json escapes all else, lone surrogates too


def _decode(data: Any) -> tuple[Graph, dict[Key, Entry]]:
    """The graph and entries of a loaded cache; none at all when anything in it is not as written."""
    if not isinstance(data, dict) or data.keys() != _KEYS:
        return _nothing()
    if not _is_int(data["format"]) or data["format"] != _FORMAT or data["version"] != __version__:
        return _nothing()
    paths, hashes, statuses = data["paths"], data["hashes"], data["statuses"]
    imports, absent, anchors, loose = data["imports"], data["absent"], data["anchors"], data["loose"]
    folders, folder_statuses = data["folders"], data["folder_statuses"]
    if not (_all(paths, str) and _all(hashes, str) and _all(statuses, str) and _all(imports, list)
            and _all(absent, list) and _all(anchors, list) and _all(loose, list) and _all(folder_statuses, str)):
        return _nothing()
    modules = len(hashes)
    if not (modules <= len(paths) == len(set(paths))
            and len(statuses) == len(imports) == len(absent) == len(anchors) == len(loose) == modules
            and _indices(folders, len(paths)) and len(folders) == len(folder_statuses)):
        return _nothing()
    if not (_indices(list(chain.from_iterable(imports)), modules)
            and _indices(list(chain.from_iterable(absent)), len(paths))
            and _indices(list(chain.from_iterable(anchors)), len(folders))
            and _indices(list(chain.from_iterable(loose)), len(paths))):
        return _nothing()
    files, shown, used, findings = data["files"], data["shown"], data["used"], data["findings"]
    if not (_indices(files, modules) and _all(shown, str) and _all(used, int) and _all(findings, list)
            and len(files) == len(shown) == len(used) == len(findings)):
        return _nothing()
    diagnostics = [tuple(map(_diagnostic, found)) if found else () for found in findings]
    if any(None in found for found in diagnostics if found):
        return _nothing()
    entries = dict(zip(zip(map(paths.__getitem__, files), shown), map(Entry, used, diagnostics)))
    return Graph(paths, hashes, statuses, imports, absent, anchors, loose, folders, folder_statuses), entries


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _all(values: Any, kind: type) -> bool:
    """A list whose items are all exactly of `kind` (so a bool is not an int)."""
    return isinstance(values, list) and set(map(type, values)) <= {kind}


def _indices(values: Any, size: int) -> bool:
    return _all(values, int) and (not values or (min(values) >= 0 and max(values) < size))


_TEXT = ("path", "code", "message", "severity", "expected", "actual", "hint")
_NUMBERS = ("row", "column", "end_row", "end_column")
_DIAGNOSTIC_KEYS = frozenset((*_TEXT, *_NUMBERS, "cell", "explain"))
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
