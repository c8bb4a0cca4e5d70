"""Positions from one statement line or one top-level statement generated alone agree with
LibCST's pass over the whole module, for every node, in real and awkward layouts; the code of
a name read off its nodes is the code LibCST generates."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path
from typing import Optional

import libcst as cst
import pytest
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from rnnlint.static.analysis import source as source_module
from rnnlint.static.analysis.positions import LinePositions, line_numbers
from rnnlint.static.analysis.source import ModuleInfo, StandIn, code_of
from rnnlint.static.prefilter import source_lines

ROOT = Path(__file__).resolve().parent.parent

AWKWARD = '''import torch
import torch.nn as nn


@decorator(
    arg=1,
)
class Model(nn.Module):  # a comment
    """Doc."""

    def __init__(self, hidden):
        super().__init__()
        self.rnn = nn.LSTM(
            10,
            hidden,
        )
        self.head = nn.Linear(hidden, \\
                              3)
        a = 1; b = nn.GRU(a, 2)
        if a: c = nn.GRU(1, 2)
        text = """line one
    line two""" + str(a)

    def forward(self, x):
        for t in range(3):
            while t:
                try:
                    out, _ = self.rnn(x[t], (
                        torch.zeros(1, 2, 20),
                        torch.zeros(1, 2, 20)))
                except ValueError:
                    out = None
                else:
                    pass
                finally:
                    t -= 1
            else:
                out = x
        if x is None:
            return out
        elif x.dim() == 2:
            with torch.no_grad():
                return self.head(out[-1])
        else:
            match x.dim():
                case 3:
                    return self.head(out)
                case _:
                    return None


def tabbed(rnn, x):
\tif x:
\t\treturn rnn(x,
\t\t\tNone)


async def run(m):
    async with m:
        async for x in m:
            return m(x)
'''


def _agree(source: str) -> tuple[int, int]:
    """(nodes checked, statement lines that were not placed)."""
    module = cst.parse_module(source)
    tree = ast.parse(source)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    lines = source_lines(source)
    index, checked, unplaced = 0, 0, 0
    for stmt in module.body:
        numbers = line_numbers(stmt, tree.body[index])
        index += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
        for line_stmt in _statement_lines(stmt):
            first = numbers.get(id(line_stmt))
            if first is None:
                unplaced += 1
                continue
            placed = LinePositions.of(module, line_stmt, first, lines)
            assert placed is not None, cst.Module(body=[line_stmt]).code
            for node in _nodes(line_stmt):
                assert placed.get(node) == whole[node], (first, cst.Module(body=[]).code_for_node(node))
                checked += 1
    return checked, unplaced


def _statement_lines(node: cst.CSTNode) -> list[cst.SimpleStatementLine]:
    found: list[cst.SimpleStatementLine] = []

    class Finder(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            found.append(node)

    node.visit(Finder())
    return found


def _nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.BaseExpression):
                found.append(node)
            return True

    node.visit(Collect())
    return found


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_awkward_layouts(newline: str) -> None:
    checked, unplaced = _agree(AWKWARD.replace("\n", newline))
    assert checked > 90 and unplaced == 0


def test_fixtures_and_stdlib_modules() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(ROOT.joinpath("fixtures").rglob("*.py")) + [stdlib / n for n in (
        "argparse.py", "dataclasses.py", "tokenize.py", "asyncio/tasks.py", "json/decoder.py")]
    results = [_agree(f.read_text(encoding="utf-8")) for f in files]
    assert sum(checked for checked, _ in results) > 10_000
    assert sum(unplaced for _, unplaced in results) == 0


def test_trees_that_do_not_pair_give_nothing() -> None:
    module = cst.parse_module("if x:\n    a = 1\n")
    assert line_numbers(module.body[0], ast.parse("for y in z:\n    a = 1\n").body[0]) == {}
    assert line_numbers(module.body[0], ast.parse("if x:\n    a = 1\n    b = 2\n").body[0]) == {}


def test_a_line_placed_wrongly_is_refused() -> None:
    source = "a = 1\nb = 2\n"
    module = cst.parse_module(source)
    assert LinePositions.of(module, module.body[1], 1, source_lines(source)) is None  # b's line is 2
    assert LinePositions.of(module, module.body[1], 2, source_lines(source)) is not None


LEADING = ("# head\n\n# above\n  \\\n\n@decorator\n# between\n@other\ndef f(x):\n    # inside\n    return x\n"
           "# tail\n\ny = (1 +\n     2)  # after\n")


def _all_nodes(stmt: cst.CSTNode) -> list[tuple[cst.CSTNode, Optional[cst.SimpleStatementLine]]]:
    """Every node of `stmt`, with the statement line that holds it (None outside one)."""
    found: list[tuple[cst.CSTNode, Optional[cst.SimpleStatementLine]]] = []

    class Collect(cst.CSTVisitor):
        line: Optional[cst.SimpleStatementLine] = None

        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.SimpleStatementLine):
                self.line = node
            found.append((node, self.line))
            return True

    stmt.visit(Collect())
    return found


@pytest.mark.parametrize("source", [AWKWARD, AWKWARD.replace("\n", "\r\n"), AWKWARD.rstrip(), LEADING],
                         ids=["awkward", "crlf", "no-final-newline", "leading-lines"])
def test_a_statement_alone_and_a_node_met_nowhere_agree_with_the_whole_module(
        source: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every node, asked with its top-level statement, with a wrong one, or with none (met
    outside any statement), is placed as LibCST's pass over the whole module places it, and
    none of these generates the whole module."""
    module = cst.parse_module(source)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    generated: list[type] = []
    real_generate = source_module.generate
    monkeypatch.setattr(source_module, "generate",
                        lambda node, mod: generated.append(type(node)) or real_generate(node, mod))
    checked = 0
    for top, stmt in enumerate(module.body):
        for asked in (top, (top + 1) % len(module.body), None):
            info = ModuleInfo("m.py", source, module, ast.parse(source))
            for node, _ in _all_nodes(stmt):
                assert info.position(node, asked) == whole[node], (asked, type(node).__name__)
                checked += 1
    assert checked > 200 and generated and cst.Module not in generated


def test_a_stand_in_call_has_no_position_and_costs_no_pass() -> None:
    source = "import torch\nx = torch.zeros(3)\n"
    module = cst.parse_module(source)
    info = ModuleInfo("m.py", source, module, ast.parse(source))
    assert info.position(StandIn(func=cst.Name("x")), None) is None
    assert info.position(StandIn(func=cst.Name("x")), 1, module.body[1]) is None  # type: ignore[arg-type]
    assert info.position(cst.Call(func=cst.Name("x")), None) is None  # a node of no file, searched
    assert info.position(module.body[1].body[0].value, None) == CodeRange((2, 4), (2, 18))  # type: ignore[attr-defined]


@pytest.mark.parametrize("expression", [
    "x", "torch.nn.LSTM", "torch . nn", "torch.  nn", "(torch).nn", "(x)", "torch.nn(1).LSTM",
    "a[0].b", "torch.\\\n    nn", "(torch.\n nn)", "f(x)", "x + 1"])
def test_the_code_of_a_name_is_read_as_generated(expression: str) -> None:
    node = cst.parse_expression(expression)
    assert code_of(node) == cst.Module(body=[]).code_for_node(node)
    for inner in _all_nodes(node):
        assert code_of(inner[0]) == cst.Module(body=[]).code_for_node(inner[0])
