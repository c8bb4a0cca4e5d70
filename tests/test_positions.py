"""Positions from one statement line generated alone agree with LibCST's pass over the whole
module, for every node of every statement line, in real and awkward layouts."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from rnnlint.static.analysis.positions import LinePositions, line_numbers
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
