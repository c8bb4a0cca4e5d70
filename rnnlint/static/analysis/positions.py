"""Where a node is, without generating the code of the whole class around it.

LibCST computes positions by generating code. A finding inside a big model class would cost
a pass over the whole class; instead, the one statement line that holds the node is generated
alone, and placed by the stdlib `ast` of the same source, which knows every statement's line.
Each generated line is checked against the source (it must end the source's line, the rest
being the indentation the block adds): if anything disagrees, the caller falls back to the
top-level statement generated alone. A node met outside any known statement is first looked
up in an index of the tree (`tops_of`), which costs a walk, not the whole module's code.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Optional, Sequence

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from ..prefilter import source_lines

_TRY_STAR = tuple(t for t in (getattr(ast, "TryStar", None),) if t is not None)
_AST_MATCH = getattr(ast, "Match", None)


def generate(node: cst.CSTNode, module: cst.Module) -> tuple[list[str], dict[cst.CSTNode, CodeRange]]:
    """The code of `node` as the top-level code of `module` (its indentation and newline),
    as tokens, and the position of each node in it: LibCST's position pass (`PositionProvider`)
    in one codegen, without the metadata wrapper's second walk of the tree, which adds nothing
    to positions. It drives LibCST's own steps directly; tests/test_positions.py holds every
    position to the public pass."""
    provider = PositionProvider()
    state = PositionProvidingCodegenState(default_indent=module.default_indent,
                                          default_newline=module.default_newline, provider=provider)
    node._codegen(state)
    return state.tokens, provider._computed


def leading(stmt: cst.CSTNode, positions: dict[cst.CSTNode, CodeRange]) -> int:
    """How many lines the comments and blank lines above `stmt` take in its generated code."""
    lines = getattr(stmt, "leading_lines", ())
    return positions[lines[-1]].end.line - 1 if lines else 0


_FIELDS: dict[type, tuple[str, ...]] = {}


def tops_of(module: cst.Module) -> dict[int, int]:
    """The top-level statement (index in `module.body`) that holds each node, by id: one walk
    of the tree's fields, far cheaper than generating the code of the module."""
    found: dict[int, int] = {}
    for i, stmt in enumerate(module.body):
        stack: list[cst.CSTNode] = [stmt]
        while stack:
            node = stack.pop()
            found[id(node)] = i
            kind = type(node)
            names = _FIELDS.get(kind)
            if names is None:
                names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind))
            for name in names:
                value = getattr(node, name)
                if isinstance(value, cst.CSTNode):
                    stack.append(value)
                elif isinstance(value, (list, tuple)):
                    stack.extend(v for v in value if isinstance(v, cst.CSTNode))
    return found


def line_numbers(stmt: cst.BaseStatement, tree: ast.stmt) -> dict[int, int]:
    """First line of each statement line (by id) inside `stmt`, whose ast is `tree`; empty when
    the two trees do not pair up statement for statement."""
    found: dict[int, int] = {}
    return found if _pair_compound(stmt, tree, found) else {}


def _pair(stmts: Sequence[cst.BaseStatement], trees: list[ast.stmt], found: dict[int, int]) -> bool:
    j = 0
    for stmt in stmts:
        if j >= len(trees):
            return False
        if isinstance(stmt, cst.SimpleStatementLine):
            found[id(stmt)] = trees[j].lineno
            j += len(stmt.body)  # `a = 1; b = 2` is one line, two ast statements
            continue
        if not _pair_compound(stmt, trees[j], found):
            return False
        j += 1
    return j == len(trees)


def _pair_body(body: cst.BaseSuite, trees: list[ast.stmt], found: dict[int, int]) -> bool:
    if isinstance(body, cst.SimpleStatementSuite):  # `if x: y` holds no statement line
        return True
    return _pair(body.body, trees, found)  # type: ignore[attr-defined]


def _pair_else(orelse: Optional[cst.CSTNode], trees: list[ast.stmt], found: dict[int, int]) -> bool:
    if orelse is None:
        return not trees
    return _pair_body(orelse.body, trees, found)  # type: ignore[attr-defined]


def _pair_compound(stmt: cst.BaseStatement, tree: ast.stmt, found: dict[int, int]) -> bool:
    if isinstance(stmt, cst.SimpleStatementLine):
        return _pair([stmt], [tree], found)
    if isinstance(stmt, cst.If) and isinstance(tree, ast.If):
        if not _pair_body(stmt.body, tree.body, found):
            return False
        if isinstance(stmt.orelse, cst.If):  # elif
            return len(tree.orelse) == 1 and _pair_compound(stmt.orelse, tree.orelse[0], found)
        return _pair_else(stmt.orelse, tree.orelse, found)
    if isinstance(stmt, (cst.For, cst.While)) and isinstance(tree, (ast.For, ast.AsyncFor, ast.While)):
        return _pair_body(stmt.body, tree.body, found) and _pair_else(stmt.orelse, tree.orelse, found)
    if isinstance(stmt, cst.With) and isinstance(tree, (ast.With, ast.AsyncWith)):
        return _pair_body(stmt.body, tree.body, found)
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and isinstance(
            tree, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return _pair_body(stmt.body, tree.body, found)
    if isinstance(stmt, (cst.Try, cst.TryStar)) and isinstance(tree, (ast.Try, *_TRY_STAR)):
        return (_pair_body(stmt.body, tree.body, found) and len(stmt.handlers) == len(tree.handlers)
                and all(_pair_body(h.body, t.body, found) for h, t in zip(stmt.handlers, tree.handlers))
                and _pair_else(stmt.orelse, tree.orelse, found)
                and _pair_else(stmt.finalbody, tree.finalbody, found))
    if isinstance(stmt, cst.Match) and _AST_MATCH is not None and isinstance(tree, _AST_MATCH):
        return len(stmt.cases) == len(tree.cases) and all(
            _pair_body(c.body, t.body, found) for c, t in zip(stmt.cases, tree.cases))
    return False


class LinePositions:
    """Positions of the nodes of one statement line, in the whole file's coordinates."""

    def __init__(self, positions: dict[cst.CSTNode, CodeRange], first: int, shifts: list[int], skip: int = 0
                 ) -> None:
        self.positions = positions
        self.first = first
        self.shifts = shifts
        self.skip = skip  # generated lines above the statement (its comments and blank lines)

    @classmethod
    def of(cls, module: cst.Module, line: cst.SimpleStatementLine, first: int, source: Sequence[str]
           ) -> Optional["LinePositions"]:
        """`line` generated alone; None unless every generated line ends the source's line
        `first` + k (what the block's indentation adds in front is that line's shift)."""
        tokens, positions = generate(line, module)
        if tokens and not module.has_trailing_newline:
            tokens = tokens[:-1]  # as the module would end it
        skip = leading(line, positions)
        generated = source_lines("".join(tokens))[skip:]
        if generated and generated[-1] == "":
            generated.pop()
        shifts = []
        for k, text in enumerate(generated):
            row = first - 1 + k
            if row >= len(source) or not source[row].endswith(text):
                return None
            shifts.append(len(source[row]) - len(text))
        return cls(positions, first, shifts, skip)

    def get(self, node: cst.CSTNode) -> Optional[CodeRange]:
        pos = self.positions.get(node)
        if pos is None:
            return None
        start, end = pos.start.line - self.skip, pos.end.line - self.skip
        if not (0 < start <= len(self.shifts) and 0 < end <= len(self.shifts)):
            return None
        return CodeRange((start + self.first - 1, pos.start.column + self.shifts[start - 1]),
                         (end + self.first - 1, pos.end.column + self.shifts[end - 1]))
