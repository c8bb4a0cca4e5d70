"""Finding the files of the linted tree that a module imports, to read their classes and
constants (never to import or run them)."""

from __future__ import annotations

import ast
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

import libcst as cst

from .analysis.source import ModuleInfo
from .prefilter import import_roots

MAX_BYTES = 2_000_000
# a config class sizes may come from (at a line start: not a mention in a docstring)
_DATACLASS = re.compile(rb"^[ \t]*@(?:dataclasses\.)?dataclass\b", re.MULTILINE)


@lru_cache(maxsize=32)  # parsed trees are large: keep a few
def _parse(real: str, mtime_ns: int) -> Optional[tuple[str, cst.Module, ast.Module]]:
    try:
        from .parsing import decode, parse_ast, parse_cst, read_source
        from .prefilter import DEFS, mentions_rnn, reduced_source, relevance

        data = read_source(Path(real), MAX_BYTES)  # a bigger file raises before it is read
        # only files that can define an RNN model or a config are worth reading
        if len(data) > 8_000 and not mentions_rnn(data) and not _DATACLASS.search(data):
            return None
        source = decode(data)
        tree = parse_ast(source, real)
        if not isinstance(tree, ast.Module):
            return None
        if len(data) > 8_000:
            # a big module is read for its RNN models, configs and constants only
            relevant = relevance(tree, source)
            configs = {i for i, d in enumerate(s for s in tree.body if isinstance(s, DEFS))
                       if any("dataclass" in ast.unparse(dec) for dec in d.decorator_list)}
            if not relevant.any_code and not configs:  # @dataclass was only in the text
                return None
            source, tree, _ = reduced_source(source, tree, frozenset(relevant.kept | configs))
        return source, parse_cst(source), tree
    except (OSError, ValueError, SyntaxError, RecursionError, cst.ParserSyntaxError):
        return None


class SiblingLoader:
    """Resolves `from .model import Net` / `from model import Net` / `import pkg.model` to files
    near the linted file; displayed paths keep the user's spelling of the linted path."""

    def __init__(self, real: Path, display: str) -> None:
        self.real_dir = real.resolve().parent
        self.display_dir = os.path.dirname(display)
        self.seen: dict[str, ModuleInfo] = {}
        self.bases: dict[str, str] = {}  # an importer's folder as displayed -> the real folder

    def __call__(self, importer_display: str, name: str, level: int) -> Optional[ModuleInfo]:
        shown_dir = os.path.dirname(importer_display)
        if shown_dir not in self.bases:
            rel_dir = os.path.relpath(shown_dir or ".", self.display_dir or ".")
            self.bases[shown_dir] = os.path.realpath(os.path.join(self.real_dir, rel_dir))
        base = self.bases[shown_dir]
        parts = [p for p in name.split(".") if p]
        if level:
            parents = Path(base).parents
            roots = [str(parents[level - 2]) if level >= 2 and len(parents) >= level - 1 else base]
        else:
            roots = list(import_roots(base))
        for root in roots:
            for candidate in (os.path.join(root, *parts) + ".py" if parts else None,
                              os.path.join(root, *parts, "__init__.py")):
                if candidate is None or not os.path.isfile(candidate):
                    continue
                return self._load(Path(candidate))
        return None

    def _load(self, path: Path) -> Optional[ModuleInfo]:
        real = path.resolve()
        key = str(real)
        if key in self.seen:
            return self.seen[key]
        try:
            parsed = _parse(key, real.stat().st_mtime_ns)
        except OSError:
            return None
        if parsed is None:
            return None
        display = os.path.normpath(os.path.join(self.display_dir, os.path.relpath(real, self.real_dir)))
        info = ModuleInfo(display, *parsed)
        self.seen[key] = info
        return info


def forget() -> None:
    """Drop the parsed project files: a long-lived process lints a tree that changes (an edit
    may keep a file's mtime)."""
    _parse.cache_clear()
