"""A Python source from its file, its bytes decoded, and its tree by the stdlib parser (fast,
bounded, with CPython's message): the first steps of linting a file, shared by the files a
module imports."""

from __future__ import annotations

import ast
import errno
import io
import os
import stat
import tokenize
import warnings
from pathlib import Path
from typing import Union

from ..diagnostic import Diagnostic
from .result import syntax_error

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
