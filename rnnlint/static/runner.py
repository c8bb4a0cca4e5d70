"""One lint run: discover the files, lint each (from the cache, in-process, or on a process
pool for big trees), keep the findings the config selects.

Pool workers never outlive the run: they die with it (SIGTERM, Ctrl-C, or on Linux any death
of the parent), and a worker that dies (the OOM killer) costs only the files it held: they are
linted again one by one, and one that kills its worker again is reported as an error.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Generator, Iterator, Optional, Sequence, Union

from ..config import Config
from ..diagnostic import Diagnostic
from ..records import record
from .discover import discover, force_excluded
from .parsing import read_source
from .result import FileResult, unreadable

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from .dependencies import Described, Modules

Item = tuple[Path, str]  # (path to read, path to show)
Linted = tuple[Item, FileResult, Optional["Described"]]

PARALLEL_MIN = 64  # fewer files than this are linted in-process: a pool costs more to start
PROGRESS_MIN = 500  # show progress on a terminal for runs with at least this many files


@record
class RunResult:
    """What a run found, over all its files."""

    diagnostics: list[Diagnostic] = field(default_factory=list)  # sorted
    files: list[str] = field(default_factory=list)  # the files linted, as shown
    errors: list[str] = field(default_factory=list)  # bad paths and internal errors: exit code 2
    warnings: list[str] = field(default_factory=list)  # analyses that stopped early: the exit code stays


def run(paths: Sequence[str], config: Config, jobs: Optional[int] = None, use_cache: bool = True,
        progress: bool = False) -> RunResult:
    found = discover(paths, config)
    _forget_files()
    result = RunResult(errors=found.errors)
    cache = None
    if use_cache:
        from .cache import Cache

        cache = Cache(Path(config.root))
    done: dict[str, FileResult] = {}
    todo: list[tuple[Path, str]] = []
    for path, shown in found.files:
        hit = cache.get(path, shown) if cache is not None else None
        if hit is not None:
            done[shown] = hit
        else:
            todo.append((path, shown))
    show = _Progress(len(todo)) if progress and len(todo) >= PROGRESS_MIN and sys.stderr.isatty() else None
    for (path, shown), linted, described in _lint_all(todo, jobs, cache is not None):
        done[shown] = linted
        if cache is not None:
            cache.put(path, shown, linted, described)
        if show is not None:
            show.step()
    if show is not None:
        show.close()
    if cache is not None:
        cache.save()
    for _, shown in found.files:
        linted = done[shown]
        result.files.append(shown)
        result.diagnostics.extend(d for d in linted.diagnostics if config.enabled(d.code, Path(d.path)))
        if linted.error is not None:
            result.errors.append(linted.error)
        if linted.stopped is not None:
            result.warnings.append(linted.stopped.warning(shown))
    result.diagnostics = sorted(set(result.diagnostics), key=Diagnostic.sort_key)
    return result


def lint_buffer(data: Union[bytes, str], filename: Optional[str], config: Config) -> RunResult:
    """A buffer (stdin's bytes, an editor's text) linted as if it were the file `filename`:
    that path's per-file ignores apply and its imports are read from the folder it would be
    in. With `force-exclude`, an excluded name is not linted at all (ruff's convention)."""
    if filename is not None and config.force_exclude and force_excluded(Path(filename), config):
        return RunResult()
    from .engine import lint_bytes, lint_guarded
    from .prefilter import may_matter

    _forget_files()
    shown = filename if filename is not None else "-"
    real = Path(filename) if filename is not None else None
    if isinstance(data, str) and not shown.endswith(".ipynb"):
        # text needs no decoding (its coding cookie, if any, is already applied)
        linted = lint_guarded(data, shown, real) if may_matter(data.encode("utf-8"), real) else FileResult(shown)
    else:
        linted = lint_bytes(data.encode("utf-8") if isinstance(data, str) else data, shown, real)
    result = RunResult(files=[shown], errors=[linted.error] if linted.error is not None else [])
    if linted.stopped is not None:
        result.warnings.append(linted.stopped.warning(shown))
    result.diagnostics = sorted({d for d in linted.diagnostics if config.enabled(d.code, Path(d.path))},
                                key=Diagnostic.sort_key)
    return result


def _forget_files() -> None:
    """A run starts from the files as they are now: in a long-lived process (the language
    server, a program embedding rnnlint), what an earlier run read of the tree may be stale.
    A module never imported holds nothing to forget (and a warm run imports none)."""
    for name in ("prefilter", "project"):
        module = sys.modules.get(f"{__package__}.{name}")
        if module is not None:
            module.forget()


def lint_paths(paths: Sequence[os.PathLike[str] | str], config: Optional[Config] = None) -> list[Diagnostic]:
    """The selected findings of a run without cache (for programs that embed rnnlint)."""
    return run([str(p) for p in paths], config or Config(), use_cache=False).diagnostics


def lint_one(item: Item, modules: Optional[Modules] = None) -> tuple[FileResult, Optional[Described]]:
    """One file's result, and with `modules` (for the cache) what the very bytes it was linted
    from rest on. Never raises for a file (a bug in rnnlint becomes the file's error)."""
    path, shown = item
    status = ""
    if modules is not None:
        from .dependencies import file_status

        status, settled = file_status(str(path))  # before the bytes are read: an edit after it changes it
        status = status if settled else ""
    try:
        data = read_source(path)
    except OSError as exc:
        return unreadable(shown, exc), None
    described = None
    try:
        if modules is not None:
            described = modules.closure(path, data, status)
        return lint_bytes(data, shown, path), described
    except Exception as exc:  # a bug in rnnlint must not lose the other files
        return FileResult(shown, [], error=f"{shown}: internal error: {type(exc).__name__}: {exc}"), described


def lint_bytes(data: bytes, shown: str, real: Path) -> FileResult:
    """The engine's `lint_bytes`, imported on first use: a warm run needs no engine."""
    from .engine import lint_bytes

    return lint_bytes(data, shown, real)


def _lint_chunk(items: list[Item], stamp: bool) -> list[tuple[FileResult, Optional[Described]]]:
    return [lint_one(item, _worker_modules(stamp)) for item in items]


_WORKER: list[Modules] = []  # in a pool worker (a pool lives one run): the run's imported files, read once


def _worker_modules(stamp: bool) -> Optional[Modules]:
    if not stamp:
        return None
    if not _WORKER:
        from .dependencies import Modules

        _WORKER.append(Modules())
    return _WORKER[0]


def _lint_all(todo: list[Item], jobs: Optional[int], stamp: bool) -> Iterator[Linted]:
    """Each file with its result and what it rests on, in no set order. Each file goes through the
    prefilter first, so most are read and dropped; a big run spreads that and the parsing over
    a pool."""
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(todo) < PARALLEL_MIN:
        modules = None
        if stamp:
            from .dependencies import Modules

            modules = Modules()
        for item in todo:
            yield (item, *lint_one(item, modules))
        return
    count = min(len(todo), workers * 32)
    lost = yield from _on_pool(_chunks(todo, count), workers, stamp)
    # a worker died: its files go one at a time to a single worker, in order, so the file a
    # worker dies on again is known
    pending = [item for chunk in lost for item in chunk]
    while pending:
        lost = yield from _on_pool([[item] for item in pending], 1, stamp)
        pending = [item for chunk in lost for item in chunk]
        if pending:
            (path, shown), pending = pending[0], pending[1:]
            died = f"{shown}: the process linting it died (out of memory?); it was not checked"
            yield (path, shown), FileResult(shown, [], error=died), None


def _chunks(todo: list[Item], count: int) -> list[list[Item]]:
    """The files in about `count` chunks of about equal size, to hand out heaviest first. A
    chunk is a run of neighbours in path order: files of one folder import the same project
    files, which a worker then reads and parses once instead of each worker on its own. A big
    file goes alone, and the chunks handed out last are small, so no worker waits on one big
    file at the end."""
    weights = {item: _weight(item[0]) for item in todo}
    budget = sum(weights.values()) / count
    chunks: list[list[Item]] = [[]]
    held = 0
    for item in sorted(todo, key=lambda item: str(item[0])):
        weight = weights[item]
        if chunks[-1] and (held + weight > budget * 1.5 or held >= budget):
            chunks.append([])
            held = 0
        chunks[-1].append(item)
        held += weight
    return sorted(chunks, key=lambda chunk: sum(weights[item] for item in chunk), reverse=True)


def _weight(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the engine reports it


def _on_pool(chunks: list[list[Item]], workers: int, stamp: bool) -> Generator[Linted, None, list[list[Item]]]:
    """The chunks' results from a process pool, as they end; returns the chunks lost to a
    worker's death. fork shares the imported analyzer with the workers; results stream back as
    chunks end, so memory stays bounded by the files in flight, not by the tree."""
    import multiprocessing
    import signal
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                               initializer=_worker_start, initargs=(os.getpid(),))
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if on_main else None
    lost = []
    try:
        futures = {pool.submit(_lint_chunk, chunk, stamp): chunk for chunk in chunks}
        for future in as_completed(futures):
            try:
                results = future.result()
            except BrokenProcessPool:
                lost.append(futures[future])
                continue
            for item, (result, described) in zip(futures[future], results):
                yield item, result, described
    except BaseException:  # Ctrl-C, SIGTERM, the caller gone: cancel what is queued, stop what runs
        _stop(pool)
        raise
    finally:
        if on_main:  # None: a handler not set from Python, which only the default can stand for
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
    pool.shutdown()
    gone = {id(chunk) for chunk in lost}
    return [chunk for chunk in chunks if id(chunk) in gone]  # in submission order


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through _on_pool, which stops the workers


def _stop(pool: ProcessPoolExecutor) -> None:
    # the executor has no public way to stop work that is running: its processes are ended
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)


def _worker_start(parent: int) -> None:
    """In each worker: Ctrl-C reaches the whole process group, but the parent decides; and the
    worker dies with the parent, however the parent dies (Linux)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


class _Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0

    def step(self) -> None:
        self.count += 1
        if self.count % 50 == 0 or self.count == self.total:
            sys.stderr.write(f"\rrnnlint: {self.count}/{self.total} files")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
