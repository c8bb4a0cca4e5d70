"""A Python source from its file, its bytes decoded, its tree by the stdlib parser (fast,
bounded, with CPython's message) and then by LibCST: the first steps of linting a file, shared
by the files a module imports."""

from __future__ import annotations

import ast
import errno
import gc
import io
import os
import stat
import threading
import tokenize
import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional, Union

from ..diagnostic import Diagnostic
from .result import syntax_error

if TYPE_CHECKING:
    import libcst

MAX_FILE_BYTES = 4_000_000  # a bigger file is generated data, not code worth the memory its analysis takes
# A notebook carries its outputs (plots, tables) beside its code: a few MB is a common size.
MAX_NOTEBOOK_BYTES = 32_000_000


class TooLarge(OSError):
    """A file over the size cap: it is not read at all."""


def read_source(path: Path, limit: Optional[int] = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (by default MAX_FILE_BYTES, or
    MAX_NOTEBOOK_BYTES for a notebook). Anything else (a FIFO, a device) raises OSError instead
    of blocking the run or reading forever; a file over the limit raises TooLarge before a byte
    is read."""
    if limit is None:
        limit = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_FILE_BYTES
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if st.st_size > limit:
            raise TooLarge(errno.EFBIG, f"{st.st_size:,} bytes, over rnnlint's limit of {limit:,}", str(path))
        return f.read(limit)  # a file that grows while it is read is cut at the limit


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


def parse_cst(source: str) -> libcst.Module:
    """LibCST's tree of a source (raises `libcst.ParserSyntaxError` as `libcst.parse_module`
    does). Two costs of LibCST's parse buy nothing here, and are paused for the call only:
    the cyclic garbage collector (see `collector_paused`), and each node's re-validation as
    the parser builds it (see `_unvalidated`). Together they are a third of the parse."""
    import libcst

    with collector_paused(), _unvalidated():
        return libcst.parse_module(source)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside (as it was after). A LibCST tree, and most of
    what the analysis of one file builds, holds no reference cycle: the collector would run
    again and again over all of it, and find little to free until the file is done."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


_SKIPPING = threading.Lock()  # one thread at a time skips validation; another parses as usual


@contextmanager
def _unvalidated() -> Iterator[None]:
    """Node validation off, for the nodes this thread builds while inside. A LibCST node
    checks its fields when it is built (`CSTNode.__post_init__` calls `_validate`): that
    guards trees built by hand, but the parser only builds nodes from source it accepted,
    valid by construction (LibCST's own comment on `__post_init__` says as much). Where
    LibCST's internals are not the ones this relies on, nothing changes."""
    base = _validating_base()
    if base is None or not _SKIPPING.acquire(blocking=False):
        yield
        return
    validate = base.__dict__["__post_init__"]
    owner = threading.get_ident()

    def post_init(node: libcst.CSTNode) -> None:  # nodes built by other threads meanwhile are checked
        if threading.get_ident() != owner:
            validate(node)

    setattr(base, "__post_init__", post_init)
    try:
        yield
    finally:
        setattr(base, "__post_init__", validate)
        _SKIPPING.release()


@lru_cache(maxsize=1)
def _validating_base() -> Optional[type]:
    """LibCST's node base class, when its `__post_init__` does nothing but validate and no
    node class has a `__post_init__` of its own; None otherwise."""
    try:
        from libcst._nodes.base import CSTNode
    except ImportError:
        return None
    hook = CSTNode.__dict__.get("__post_init__")
    if getattr(getattr(hook, "__code__", None), "co_names", None) != ("_validate",):
        return None
    classes, seen = list(CSTNode.__subclasses__()), set()
    while classes:
        cls = classes.pop()
        if cls in seen:
            continue
        seen.add(cls)
        if "__post_init__" in cls.__dict__:
            return None
        classes.extend(cls.__subclasses__())
    return CSTNode
