"""One lint run: discover the files, lint each (from the cache, in-process, or on a process
pool for big trees), keep the findings the config selects."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence, Union

from ..config import Config
from ..diagnostic import Diagnostic
from .discover import discover, force_excluded
from .engine import FileResult, lint_bytes, lint_file, lint_guarded
from .prefilter import may_matter

PARALLEL_MIN = 64  # fewer files than this are linted in-process: a pool costs more to start
PROGRESS_MIN = 500  # show progress on a terminal for runs with at least this many files


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)  # sorted
    files: list[str] = field(default_factory=list)  # the files linted, as shown
    errors: list[str] = field(default_factory=list)  # bad paths and internal errors: exit code 2


def run(paths: Sequence[str], config: Config, jobs: Optional[int] = None, use_cache: bool = True,
        progress: bool = False) -> RunResult:
    found = discover(paths, config)
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
    for (path, shown), linted in _lint_all(todo, jobs):
        done[shown] = linted
        if cache is not None:
            cache.put(path, shown, linted)
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
    result.diagnostics = sorted(set(result.diagnostics), key=Diagnostic.sort_key)
    return result


def lint_buffer(data: Union[bytes, str], filename: Optional[str], config: Config) -> RunResult:
    """A buffer (stdin's bytes, an editor's text) linted as if it were the file `filename`:
    that path's per-file ignores apply and its imports are read from the folder it would be
    in. With `force-exclude`, an excluded name is not linted at all (ruff's convention)."""
    if filename is not None and config.force_exclude and force_excluded(Path(filename), config):
        return RunResult()
    shown = filename if filename is not None else "-"
    real = Path(filename) if filename is not None else None
    if isinstance(data, str) and not shown.endswith(".ipynb"):
        # text needs no decoding (its coding cookie, if any, is already applied)
        linted = lint_guarded(data, shown, real) if may_matter(data.encode("utf-8"), real) else FileResult(shown)
    else:
        linted = lint_bytes(data.encode("utf-8") if isinstance(data, str) else data, shown, real)
    result = RunResult(files=[shown], errors=[linted.error] if linted.error is not None else [])
    result.diagnostics = sorted({d for d in linted.diagnostics if config.enabled(d.code, Path(d.path))},
                                key=Diagnostic.sort_key)
    return result


def lint_paths(paths: Sequence[os.PathLike[str] | str], config: Optional[Config] = None) -> list[Diagnostic]:
    """The selected findings of a run without cache (for programs that embed rnnlint)."""
    return run([str(p) for p in paths], config or Config(), use_cache=False).diagnostics


def _lint_chunk(items: list[tuple[Path, str]]) -> list[FileResult]:
    return [lint_file(*item) for item in items]


def _lint_all(todo: list[tuple[Path, str]], jobs: Optional[int]
              ) -> Iterator[tuple[tuple[Path, str], FileResult]]:
    """Each file with its result, in no set order. Each file goes through the prefilter first,
    so most are read and dropped; a big run spreads that and the parsing over a pool."""
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(todo) < PARALLEL_MIN:
        for item in todo:
            yield item, lint_file(*item)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # chunks take every n-th file: the files worth parsing sit together in a tree (a package
    # of models, its tests), and a chunk of neighbours would leave one worker with all of them.
    # fork shares the imported analyzer with the workers; results stream back as chunks end,
    # so memory stays bounded by the files in flight, not by the tree
    count = min(len(todo), workers * 32)
    chunks = [todo[k::count] for k in range(count)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        futures = {pool.submit(_lint_chunk, chunk): chunk for chunk in chunks}
        for future in as_completed(futures):
            yield from zip(futures[future], future.result())


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
