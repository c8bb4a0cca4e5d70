"""What a linted file rests on, for the cache: the project modules it imports, transitively,
each described once (content hash, project files imported, candidates of an import that did
not resolve), and the file statuses that prove a file or a missing candidate unchanged without
reading it.

A status stands for what was seen only if it was taken before the bytes were read (or the
candidates looked for) and the file or folder had not changed for a while: an edit made later
changes its ctime, which no program can set back (short of setting the system clock back), and
one made within the same timestamp tick as the previous change cannot go unseen, since such a
status is not recorded.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Optional

from .parsing import read_source

Module = tuple[str, tuple[str, ...], tuple[str, ...]]  # content hash, project files imported, candidates not found
# what a linted file rests on: (absolute path, module, the file's status before it was read, or "")
Described = tuple[tuple[str, Module, str], ...]
# a module's anchors: the folders (with their status) that prove its candidates still missing,
# and the candidates no folder proves, looked for one by one
Anchors = tuple[tuple[tuple[str, str], ...], tuple[str, ...]]
UNREADABLE = "-"  # the hash of a file that cannot be read
SETTLED_NS = 2 * 10**9  # a status younger than this may hide a change made in the same tick
# Windows' st_ctime is the creation time, which an edit leaves as it was: no status is relied on there
CTIME_IS_CHANGE_TIME = os.name != "nt"


def digest(data: bytes) -> str:
    import hashlib  # not on a warm run's path, where statuses stand for the bytes

    return hashlib.sha1(data, usedforsecurity=False).hexdigest()  # the fastest of hashlib's here


def file_digest(path: str) -> str:
    try:
        return digest(read_source(Path(path)))
    except (OSError, ValueError):  # ValueError: a NUL in a path a foreign cache named
        return UNREADABLE


def file_status(path: str) -> tuple[str, bool]:
    """A file's status ("" when it has none), and whether it is settled enough to record."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return "", False
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}", _settled(st)


def _settled(st: os.stat_result) -> bool:
    return CTIME_IS_CHANGE_TIME and st.st_ctime_ns < time.time_ns() - SETTLED_NS


def _folder_status(st: os.stat_result) -> str:
    return f"{st.st_ino}:{st.st_dev}:{st.st_ctime_ns}"


def folder_status(path: str) -> str:
    try:
        return _folder_status(os.lstat(path))
    except (OSError, ValueError):
        return ""


class Modules:
    """The project files one process describes in one run: each read, hashed and its imports
    resolved once, and handed to the run's cache once."""

    def __init__(self) -> None:
        self.read: dict[str, tuple[Module, str]] = {}
        self.resolved: dict[tuple[str, str], tuple[Optional[str], tuple[str, ...]]] = {}
        self.handed: set[str] = set()  # described to the cache, with all they import

    def closure(self, path: Path, data: bytes, status: str) -> Described:
        """What `data`, the bytes of `path` about to be linted (`status`: the file's, taken
        before they were read), rest on: their own module first, then the project files they
        import, transitively, that were not handed over before."""
        own = os.path.abspath(path)
        module = self.describe(own, data)
        self.read.setdefault(own, (module, status))
        self.handed.add(own)
        found = [(own, module, status)]
        pending = list(module[1])
        while pending:
            current = pending.pop()
            if current not in self.handed:
                self.handed.add(current)
                module, status = self.get(current)
                found.append((current, module, status))
                pending.extend(module[1])
        return tuple(found)

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
        return digest(data), tuple(dict.fromkeys(found)), tuple(dict.fromkeys(absent))

    def get(self, path: str) -> tuple[Module, str]:
        if path not in self.read:
            status, settled = file_status(path)
            try:
                self.read[path] = self.describe(path, read_source(Path(path))), status if settled else ""
            except OSError:
                self.read[path] = (UNREADABLE, (), ()), ""
        return self.read[path]

    def resolve(self, spec: str, directory: str) -> tuple[Optional[str], tuple[str, ...]]:
        """The file an import finds, and the candidates tried before it."""
        key = (spec, directory)
        if key not in self.resolved:
            from .prefilter import import_candidates

            tried: list[str] = []
            hit = None
            for candidate in import_candidates(spec, directory):
                if os.path.isfile(candidate):
                    hit = candidate
                    break
                tried.append(candidate)
            self.resolved[key] = hit, tuple(tried)
        return self.resolved[key]


def _imports(path: str, data: bytes) -> list[str]:
    from .prefilter import import_specs

    if path.endswith(".ipynb"):  # a notebook's imports are in its cells (its reader loads only then)
        from .notebook import program_bytes

        data = program_bytes(Path(path), data)
    return import_specs(data)


_MISSING = "missing"


def anchors(modules: dict[str, tuple[str, ...]]) -> dict[str, Anchors]:
    """The anchors of each module (path: its missing candidates): above each candidate, the
    deepest folder that exists. Creating the candidate creates an entry in that folder (the
    candidate, or the first folder on the way to it), which changes the folder's ctime. A
    candidate with no such folder (a symlink or a file on the way, a folder that changed too
    recently, as /tmp or a home folder often have), or that is there now, is left loose."""
    seen: dict[str, str] = {}  # folder: its status, _MISSING, or "" (not a settled plain folder)
    deepest = {c: _deepest(c, seen) for candidates in modules.values() for c in candidates}
    # every status above was taken before any candidate is looked for below
    missing: dict[str, bool] = {}
    found = {}
    for path, candidates in modules.items():
        folders = set()
        loose = []
        for candidate in candidates:
            place = deepest[candidate]
            if place is not None and place[1] not in missing:
                missing[place[1]] = not os.path.lexists(place[1])
            if place is not None and missing[place[1]]:
                folders.add(place[0])
            else:
                loose.append(candidate)
        found[path] = tuple((folder, seen[folder]) for folder in sorted(folders)), tuple(loose)
    return found


def _deepest(candidate: str, seen: dict[str, str]) -> Optional[tuple[str, str]]:
    """The deepest existing folder above `candidate` with a settled status, and the first
    missing path below it (the candidate itself when its own folder exists)."""
    first, folder = candidate, os.path.dirname(candidate)
    while True:
        if folder not in seen:
            try:
                st = os.lstat(folder)
            except FileNotFoundError:
                seen[folder] = _MISSING
            except (OSError, ValueError):
                seen[folder] = ""
            else:
                seen[folder] = _folder_status(st) if stat.S_ISDIR(st.st_mode) and _settled(st) else ""
        if seen[folder] != _MISSING:
            return (folder, first) if seen[folder] else None
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        first, folder = folder, parent
