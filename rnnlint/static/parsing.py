"""A Python source from its bytes, and its tree by the stdlib parser (fast, bounded, with
CPython's message): the first steps of linting a file, shared by the files a module imports."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from typing import Union

from ..diagnostic import Diagnostic
from .result import syntax_error


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
