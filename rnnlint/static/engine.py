"""Lint one file: read -> decode -> parse -> analyze -> suppress. Never raises for bad input.

A file that cannot be read, decoded or parsed gets exactly one RNN000 finding; the caller
goes on with the other files. A notebook's code cells are linted as one program (`notebook`
knows the format), and the files a module imports are read by `project`.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..diagnostic import Diagnostic
from .parsing import collector_paused, decode, parse_ast, parse_cst, read_source
from .prefilter import DEFS, may_matter, reduced_source, relevance, sibling_import_names
from .result import FileResult, syntax_error, unreadable

if TYPE_CHECKING:
    from .analysis.source import Observer
    from .notebook import Cell


def lint_source(source: str, path: str, real: Optional[Path] = None, observer: Optional[Observer] = None
                ) -> list[Diagnostic]:
    """Findings for one source text, after `# noqa`. Raises only on a bug in rnnlint.

    With `real` (the file on disk), modules it imports from the same tree are read too;
    `observer` is told of the RNN events and tensor names of the run (`shapes`)."""
    return analyze_source(source, path, real, observer).diagnostics


def analyze_source(source: str, path: str, real: Optional[Path] = None, observer: Optional[Observer] = None,
                   tree: Optional[ast.Module] = None) -> FileResult:
    """`lint_source`'s findings, and where the analysis stopped early if it did; `tree` is the
    source's stdlib tree when it is known already. The garbage collector waits until the
    file is done (its cycles are few: the corpus's peak memory is the same)."""
    with collector_paused():
        return _analyze(source, path, real, observer, tree)


def _analyze(source: str, path: str, real: Optional[Path], observer: Optional[Observer],
             tree: Optional[ast.Module]) -> FileResult:
    if tree is None:
        tree = parse_ast(source, path)
    if isinstance(tree, Diagnostic):
        return FileResult(path, [tree])
    directory = real.resolve().parent if real is not None else None
    relevant = relevance(tree, source, sibling_import_names(tree, directory))
    if not relevant.any_code:
        return FileResult(path)
    import libcst

    reduced, reduced_tree, kept = reduced_source(source, tree, relevant.kept, relevant.statements)
    try:
        try:
            module = parse_cst(reduced)
        except libcst.ParserSyntaxError:
            if reduced == source:
                raise
            # blanking must never cost a file its analysis: read all of it instead
            everything = frozenset(range(sum(isinstance(s, DEFS) for s in tree.body)))
            reduced, reduced_tree, kept = source, tree, everything
            module = parse_cst(reduced)
    except libcst.ParserSyntaxError as exc:
        return FileResult(path, [syntax_error(path, exc.raw_line, exc.raw_column + 1, exc.message)])
    except RecursionError:
        return FileResult(path, [syntax_error(path, 1, 1, "too deeply nested for rnnlint's parser")])
    from .interpreter import analyze_module
    from .project import SiblingLoader

    loader = SiblingLoader(real, path) if real is not None else None
    left = sorted(kept)
    standalone = frozenset(left.index(i) for i in relevant.defs if i in kept)  # indices among the defs left
    found, stopped = analyze_module(module, path, source, loader, standalone, reduced_tree, observer)
    return FileResult(path, sorted(found, key=Diagnostic.sort_key), stopped=stopped)


def lint_bytes(data: bytes, path: str, real: Optional[Path] = None) -> FileResult:
    if (real or Path(path)).suffix == ".ipynb":
        return lint_notebook(data, path, real)
    if not may_matter(data, real):
        return FileResult(path)
    try:
        source = decode(data)
    except (SyntaxError, ValueError, LookupError) as exc:
        return FileResult(path, [syntax_error(path, 1, 1, f"cannot decode the file ({exc})")])
    return lint_guarded(source, path, real)


def lint_guarded(source: str, path: str, real: Optional[Path] = None, tree: Optional[ast.Module] = None
                 ) -> FileResult:
    """`lint_source`, with a bug in rnnlint turned into the file's error."""
    try:
        return analyze_source(source, path, real, tree=tree)
    except RecursionError:
        return FileResult(path, [], error=f"{path}: analysis gave up (nesting too deep)")
    except Exception as exc:  # a bug in rnnlint must not lose the other files
        return FileResult(path, [], error=f"{path}: internal error: {type(exc).__name__}: {exc}")


def lint_notebook(data: bytes, path: str, real: Optional[Path] = None) -> FileResult:
    """Findings with `cell` set and rows counted inside the cell; one RNN000 for a file that
    is not a notebook, one for each cell that is not Python."""
    from .notebook import NotebookError, read, to_cells  # (and json) only for a run with notebooks

    try:
        notebook = read(data)
    except NotebookError as exc:
        if not may_matter(data, real):  # like a .py file: one that cannot matter is not reported
            return FileResult(path)
        bad = syntax_error(path, exc.row, exc.column, str(exc))
        return FileResult(path, [replace(bad, hint="fix the notebook file; nothing in it was checked")])
    if not notebook.is_python or not may_matter(notebook.program(blank_errors=False).encode("utf-8"), real):
        return FileResult(path)
    found = [_cell_syntax_error(path, cell) for cell in notebook.cells if cell.error is not None]
    result = lint_guarded(notebook.program(), path, real, notebook.tree)
    rows = notebook.rows()
    result.diagnostics = found + [to_cells(d, rows) if d.path == path else d for d in result.diagnostics]
    if result.stopped is not None and 1 <= result.stopped.row <= len(rows):
        cell, row = rows[result.stopped.row - 1]
        result.stopped = replace(result.stopped, row=row, cell=cell)
    return result


def _cell_syntax_error(path: str, cell: Cell) -> Diagnostic:
    error = cell.error
    assert error is not None
    bad = syntax_error(path, error.lineno or 1, error.offset or 1, error.msg)
    return replace(bad, cell=cell.number, message=f"cannot parse cell {cell.number}: {error.msg}",
                   hint="fix the syntax error; the other cells were checked without this one")


def lint_file(path: Path, display: Optional[str] = None) -> FileResult:
    shown = display if display is not None else str(path)
    try:
        data = read_source(path)
    except OSError as exc:
        return unreadable(shown, exc)
    return lint_bytes(data, shown, path)
