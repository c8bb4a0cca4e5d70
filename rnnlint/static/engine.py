"""Lint one file: read -> decode -> parse -> analyze -> suppress. Never raises for bad input.

A file that cannot be read, decoded or parsed gets exactly one RNN000 finding; the caller
goes on with the other files.
"""

from __future__ import annotations

import ast
import errno
import io
import os
import stat
import tokenize
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Union

from ..diagnostic import Diagnostic
from .prefilter import DEFS, may_matter, reduced_source, relevance, sibling_import_names


@dataclass
class FileResult:
    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    error: Optional[str] = None  # an internal error (a bug in rnnlint), reported with exit code 2


def syntax_error(path: str, row: int, column: int, message: str) -> Diagnostic:
    row, column = max(row, 1), max(column, 1)
    return Diagnostic(path, row, column, row, column + 1, "RNN000", f"cannot parse the file: {message}", "error",
                      expected="valid Python", actual=message, hint="fix the syntax error; nothing else was checked")


def decode(data: bytes) -> str:
    """Decode as Python does (PEP 263 cookie, BOM, UTF-8 default). Raises SyntaxError or
    UnicodeDecodeError (a ValueError) when the bytes are not a Python source."""
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def parse_ast(source: str, path: str) -> Union[ast.Module, Diagnostic]:
    """The stdlib parser first: it is fast, bounds nesting depth, and gives CPython's message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return compile(source, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:  # includes IndentationError and TabError
        return syntax_error(path, exc.lineno or 1, exc.offset or 1, exc.msg)
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:  # e.g. a NUL byte, absurd nesting
        return syntax_error(path, 1, 1, str(exc) or type(exc).__name__)


def lint_source(source: str, path: str, real: Optional[Path] = None) -> list[Diagnostic]:
    """Findings for one source text, after `# noqa`. Raises only on a bug in rnnlint.

    With `real` (the file on disk), modules it imports from the same tree are read too."""
    tree = parse_ast(source, path)
    if isinstance(tree, Diagnostic):
        return [tree]
    directory = real.resolve().parent if real is not None else None
    relevant = relevance(tree, source, sibling_import_names(tree, directory))
    if not relevant.any_code:
        return []
    import libcst

    reduced, reduced_tree, kept = reduced_source(source, tree, relevant.kept, relevant.statements)
    try:
        try:
            module = libcst.parse_module(reduced)
        except libcst.ParserSyntaxError:
            if reduced == source:
                raise
            # blanking must never cost a file its analysis: read all of it instead
            everything = frozenset(range(sum(isinstance(s, DEFS) for s in tree.body)))
            reduced, reduced_tree, kept = source, tree, everything
            module = libcst.parse_module(reduced)
    except libcst.ParserSyntaxError as exc:
        return [syntax_error(path, exc.raw_line, exc.raw_column + 1, exc.message)]
    except RecursionError:
        return [syntax_error(path, 1, 1, "too deeply nested for rnnlint's parser")]
    from .interpreter import analyze_module
    from .project import SiblingLoader

    loader = SiblingLoader(real, path) if real is not None else None
    left = sorted(kept)
    standalone = frozenset(left.index(i) for i in relevant.defs if i in kept)  # indices among the defs left
    return sorted(analyze_module(module, path, source, loader, standalone, reduced_tree), key=Diagnostic.sort_key)


def lint_bytes(data: bytes, path: str, real: Optional[Path] = None) -> FileResult:
    if (real or Path(path)).suffix == ".ipynb":
        from .notebook import lint_notebook

        return lint_notebook(data, path, real)
    if not may_matter(data, real):
        return FileResult(path)
    try:
        source = decode(data)
    except (SyntaxError, ValueError, LookupError) as exc:
        return FileResult(path, [syntax_error(path, 1, 1, f"cannot decode the file ({exc})")])
    return lint_guarded(source, path, real)


def lint_guarded(source: str, path: str, real: Optional[Path] = None) -> FileResult:
    """`lint_source`, with a bug in rnnlint turned into the file's error."""
    try:
        return FileResult(path, lint_source(source, path, real))
    except RecursionError:
        return FileResult(path, [], error=f"{path}: analysis gave up (nesting too deep)")
    except Exception as exc:  # a bug in rnnlint must not lose the other files
        return FileResult(path, [], error=f"{path}: internal error: {type(exc).__name__}: {exc}")


MAX_FILE_BYTES = 4_000_000  # a bigger file is generated data, not code worth the memory its analysis takes


class TooLarge(OSError):
    """A file over the size cap: it is not read at all."""


def read_source(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. Anything else (a FIFO, a device)
    raises OSError instead of blocking the run or reading forever; a file over the limit raises
    TooLarge before a byte is read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if st.st_size > limit:
            raise TooLarge(errno.EFBIG, f"{st.st_size:,} bytes, over rnnlint's limit of {limit:,}", str(path))
        return f.read(limit)  # a file that grows while it is read is cut at the limit


def unreadable(shown: str, exc: OSError) -> FileResult:
    """The one finding of a file that cannot be read (or is too big to read)."""
    if isinstance(exc, TooLarge):
        return FileResult(shown, [replace(syntax_error(shown, 1, 1, f"the file is too large to check ({exc.strerror})"),
                                          hint="nothing in it was checked; a file this big is generated data")])
    return FileResult(shown, [syntax_error(shown, 1, 1, f"cannot read the file ({exc.strerror or exc})")])


def lint_file(path: Path, display: Optional[str] = None) -> FileResult:
    shown = display if display is not None else str(path)
    try:
        data = read_source(path)
    except OSError as exc:
        return unreadable(shown, exc)
    return lint_bytes(data, shown, path)
