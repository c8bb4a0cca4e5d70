"""A parsed file (`ModuleInfo`) with lazily computed positions, where a node was met
(`Where`), and the code of a node."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Mapping, Optional, Protocol

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from ..prefilter import source_lines
from .positions import LinePositions, line_numbers

if TYPE_CHECKING:
    from ...contract import Hidden, RNNSpec, Shape
    from ..values import RNNModuleV, Value


class ModuleInfo:
    """A parsed file: its path (as displayed), source, tree and positions.

    Positions cost a codegen pass. With the stdlib `ast` of the same source, which knows where
    each statement starts, only the statement line that holds a reported or described node is
    generated (see `positions`), else its top-level statement; without it (or if the two trees
    disagree) the whole module is."""

    def __init__(self, path: str, source: str, module: cst.Module, tree: Optional[ast.Module] = None) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.tree = tree
        self._positions: Optional[Mapping[cst.CSTNode, CodeRange]] = None
        self._starts: Optional[list[int]] = None
        self._ast_index: list[int] = []  # the ast statement each top-level statement starts with
        self._statements: dict[int, Mapping[cst.CSTNode, CodeRange]] = {}
        self._line_numbers: dict[int, dict[int, int]] = {}
        self._lines: dict[int, Optional[LinePositions]] = {}
        self._source_lines: Optional[list[str]] = None

    @property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._positions is None:
            self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        return self._positions

    def position(self, node: cst.CSTNode, top: Optional[int], line: Optional[cst.SimpleStatementLine] = None
                 ) -> Optional[CodeRange]:
        """Where `node` is; `top` is the index of the top-level statement that holds it, `line`
        the statement line, when the node is in one."""
        starts = self.statement_starts()
        if top is None or starts is None or top >= len(starts):
            return self.positions.get(node)
        if line is not None:
            pos = self.line_position(node, top, line)
            if pos is not None:
                return pos
        if top not in self._statements:
            stmt = self.module.body[top]
            alone = self.module.with_changes(body=[stmt.with_changes(leading_lines=())], header=(), footer=())
            self._statements[top] = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        pos = self._statements[top].get(node)
        if pos is not None:
            shift = starts[top] - 1
            return CodeRange((pos.start.line + shift, pos.start.column), (pos.end.line + shift, pos.end.column))
        return self.positions.get(node)

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
    return _PRINTER.code_for_node(node)


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
