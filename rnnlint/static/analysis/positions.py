"""Where a node is, without generating the code of the whole class around it.

LibCST computes positions by generating code. A finding inside a big model class would cost
a pass over the whole class; instead, the one statement line that holds the node is generated
alone, and placed by the stdlib `ast` of the same source, which knows every statement's line.
Each generated line is checked against the source (it must end the source's line, the rest
being the indentation the block adds): if anything disagrees, the caller falls back to the
slower, always right pass.
"""

from __future__ import annotations

import ast
from typing import Optional, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from ..prefilter import source_lines

_TRY_STAR = tuple(t for t in (getattr(ast, "TryStar", None),) if t is not None)
_AST_MATCH = getattr(ast, "Match", None)


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

    def __init__(self, positions: dict[cst.CSTNode, CodeRange], first: int, shifts: list[int]) -> None:
        self.positions = positions
        self.first = first
        self.shifts = shifts

    @classmethod
    def of(cls, module: cst.Module, line: cst.SimpleStatementLine, first: int, source: Sequence[str]
           ) -> Optional["LinePositions"]:
        """`line` generated alone; None unless every generated line ends the source's line
        `first` + k (what the block's indentation adds in front is that line's shift)."""
        alone = module.with_changes(body=[line.with_changes(leading_lines=())], header=(), footer=())
        generated = source_lines(alone.code)
        if generated and generated[-1] == "":
            generated.pop()
        shifts = []
        for k, text in enumerate(generated):
            row = first - 1 + k
            if row >= len(source) or not source[row].endswith(text):
                return None
            shifts.append(len(source[row]) - len(text))
        positions = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        return cls(dict(positions), first, shifts)

    def get(self, node: cst.CSTNode) -> Optional[CodeRange]:
        pos = self.positions.get(node)
        if pos is None or not (0 < pos.start.line <= len(self.shifts) and 0 < pos.end.line <= len(self.shifts)):
            return None
        start = (pos.start.line + self.first - 1, pos.start.column + self.shifts[pos.start.line - 1])
        end = (pos.end.line + self.first - 1, pos.end.column + self.shifts[pos.end.line - 1])
        return CodeRange(start, end)  # type: ignore[arg-type]
