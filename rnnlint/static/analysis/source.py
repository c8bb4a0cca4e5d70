"""A parsed file (`ModuleInfo`) with lazily computed positions, where a node was met
(`Where`), and the code of a node."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Mapping, Optional, Protocol

import libcst as cst
from libcst.metadata import CodeRange

from ..prefilter import source_lines
from .positions import LinePositions, generate, leading, line_numbers, tops_of

if TYPE_CHECKING:
    from ...contract import Hidden, RNNSpec, Shape
    from ..values import RNNModuleV, Value


class StandIn(cst.Call):
    """A call the analysis makes up to read a definition on its own: written in no file, it
    has no position (and is never searched for)."""

    __slots__ = ()


class ModuleInfo:
    """A parsed file: its path (as displayed), source, tree and positions.

    Positions cost a codegen pass. With the stdlib `ast` of the same source, which knows where
    each statement starts, only the statement line that holds a reported or described node is
    generated (see `positions`), else its top-level statement; a node met outside any known
    statement is looked up in an index of the tree's nodes first. Without the `ast` (or if the two trees disagree) the whole module is
    generated."""

    def __init__(self, path: str, source: str, module: cst.Module, tree: Optional[ast.Module] = None) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.tree = tree
        self._positions: Optional[Mapping[cst.CSTNode, CodeRange]] = None
        self._starts: Optional[list[int]] = None
        self._ast_index: list[int] = []  # the ast statement each top-level statement starts with
        # each top-level statement's positions generated alone, with the lines to add to them
        self._statements: dict[int, tuple[Mapping[cst.CSTNode, CodeRange], int]] = {}
        self._tops: Optional[dict[int, int]] = None  # the top-level statement of each node, by id
        self._line_numbers: dict[int, dict[int, int]] = {}
        self._lines: dict[int, Optional[LinePositions]] = {}
        self._source_lines: Optional[list[str]] = None

    @property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        """Every node's position, from one pass over the whole module."""
        if self._positions is None:
            self._positions = generate(self.module, self.module)[1]
        return self._positions

    def position(self, node: cst.CSTNode, top: Optional[int], line: Optional[cst.SimpleStatementLine] = None
                 ) -> Optional[CodeRange]:
        """Where `node` is; `top` is the index of the top-level statement that holds it, `line`
        the statement line, when the node is in one."""
        if isinstance(node, StandIn):
            return None
        starts = self.statement_starts()
        if starts is None:
            return self.positions.get(node)
        if top is not None and top < len(starts):
            pos = self.line_position(node, top, line) if line is not None else None
            if pos is None:
                pos = self.statement_position(node, top, starts)
            if pos is not None:
                return pos
        # not where it was said to be: the statement that holds it, if any does
        if self._tops is None:
            self._tops = tops_of(self.module)
        holder = self._tops.get(id(node))
        return self.statement_position(node, holder, starts) if holder is not None and holder != top else None

    def statement_position(self, node: cst.CSTNode, top: int, starts: list[int]) -> Optional[CodeRange]:
        """`node`'s position in the top-level statement `top`, generated alone."""
        if top not in self._statements:
            stmt = self.module.body[top]
            positions = generate(stmt, self.module)[1]
            self._statements[top] = positions, starts[top] - 1 - leading(stmt, positions)
        positions, shift = self._statements[top]
        pos = positions.get(node)
        if pos is None:
            return None
        return CodeRange((pos.start.line + shift, pos.start.column), (pos.end.line + shift, pos.end.column))

    def line_position(self, node: cst.CSTNode, top: int, line: cst.SimpleStatementLine) -> Optional[CodeRange]:
        if id(line) not in self._lines:
            if top not in self._line_numbers:
                assert self.tree is not None  # statement_starts() succeeded
                self._line_numbers[top] = line_numbers(self.module.body[top], self.tree.body[self._ast_index[top]])
            first = self._line_numbers[top].get(id(line))
            if self._source_lines is None:
                self._source_lines = source_lines(self.source)
            self._lines[id(line)] = None if first is None else LinePositions.of(
                self.module, line, first, self._source_lines)
        found = self._lines[id(line)]
        return found.get(node) if found is not None else None

    def ast_statement(self, top: int) -> Optional[ast.stmt]:
        """The stdlib tree of the top-level statement `top` (None when the trees disagree)."""
        if self.statement_starts() is None or self.tree is None or top >= len(self._ast_index):
            return None
        return self.tree.body[self._ast_index[top]]

    def statement_starts(self) -> Optional[list[int]]:
        """First line of each top-level statement (decorators included), from the ast."""
        if self._starts is None and self.tree is not None:
            body, starts, j = self.tree.body, [], 0
            for stmt in self.module.body:
                if j >= len(body):
                    break
                first = body[j]
                starts.append(min([first.lineno] + [d.lineno for d in getattr(first, "decorator_list", [])]))
                self._ast_index.append(j)
                j += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
            self._starts = starts if j == len(body) and len(starts) == len(self.module.body) else None
            if self._starts is None:
                self.tree = None  # the trees disagree: use the whole-module pass
        return self._starts


# where a node was met: its module, top-level statement, and statement line (if in one)
Where = tuple[ModuleInfo, Optional[int], Optional[cst.SimpleStatementLine]]


_PRINTER = cst.Module(body=[])


def code_of(node: cst.CSTNode) -> str:
    dotted = _dotted(node)
    return dotted if dotted is not None else _PRINTER.code_for_node(node)


def _dotted(node: cst.CSTNode) -> Optional[str]:
    """The code of a name or a dotted name (`torch.nn.LSTM`, as written), read off the nodes
    instead of generated; None for anything else."""
    if isinstance(node, cst.Name):
        return node.value if not node.lpar and not node.rpar else None
    if not isinstance(node, cst.Attribute) or node.lpar or node.rpar or not isinstance(node.dot, cst.Dot):
        return None
    before, after = node.dot.whitespace_before, node.dot.whitespace_after
    if not isinstance(before, cst.SimpleWhitespace) or not isinstance(after, cst.SimpleWhitespace):
        return None
    value = _dotted(node.value)
    return None if value is None else f"{value}{before.value}.{after.value}{node.attr.value}"


class Observer(Protocol):
    """Told of the RNN events and tensor names of a run (`rnnlint shapes`, the server's hover);
    it only records, so the analysis is the same with or without one."""

    def built(self, node: cst.Call, module: "RNNModuleV", where: Where) -> None: ...

    def called(self, node: cst.Call, spec: "RNNSpec", label: str, x: "Optional[Shape]", hx: "Hidden",
               results: "tuple[Shape, Shape, Optional[Shape]]", where: Where) -> None: ...

    def bound(self, node: cst.Name, value: "Value", where: Where) -> None: ...

    def reading_alone(self) -> None:
        """What follows comes of reading each definition on its own, for every value of its
        parameters, after the file's own run."""
