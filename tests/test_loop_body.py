"""What a loop body holds (the names it reads, whether it can leave early), read by one walk of
the node fields: the same as a LibCST visitor over the body finds, on every loop of the fixtures."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Union

import libcst as cst

from rnnlint.static.analysis.statements import _LoopBody

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class _Reference(cst.CSTVisitor):
    """The same facts through LibCST's visitor: every name but those under an assignment target."""

    def __init__(self) -> None:
        super().__init__()
        self.leaves_early = False
        self.reads: set[str] = set()

    def visit_Break(self, node: cst.Break) -> None:
        self.leaves_early = True

    def visit_Continue(self, node: cst.Continue) -> None:
        self.leaves_early = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.reads.add(node.value)


class _Loops(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Union[cst.For, cst.While]] = []

    def visit_For(self, node: cst.For) -> None:
        self.found.append(node)

    def visit_While(self, node: cst.While) -> None:
        self.found.append(node)


def _loops(source: str) -> list[Union[cst.For, cst.While]]:
    finder = _Loops()
    cst.parse_module(source).visit(finder)
    return finder.found


def test_reads_leave_out_assignment_targets_and_a_nested_break_counts() -> None:
    outer, inner = _loops(textwrap.dedent("""
        for x in data:
            h = rnn(x, h)[1]
            self.state = h.detach()
            total += f"{x.size(0)}"
            while cond(h):
                break
    """))
    facts = _LoopBody(outer.body)
    assert facts.reads == {"rnn", "x", "h", "detach", "total", "size", "cond"}
    assert facts.leaves_early
    assert _LoopBody(inner.body).leaves_early
    assert not _LoopBody(_loops("for x in y:\n    z = f(x)\n")[0].body).leaves_early


def test_every_fixture_loop_reads_as_the_visitor_reads_it() -> None:
    compared = 0
    for path in sorted(FIXTURES.rglob("*.py")):
        try:
            loops = _loops(path.read_text(encoding="utf-8"))
        except cst.ParserSyntaxError:
            continue
        for loop in loops:
            reference = _Reference()
            loop.body.visit(reference)
            facts = _LoopBody(loop.body)
            assert (facts.reads, facts.leaves_early) == (reference.reads, reference.leaves_early), path
            compared += 1
    assert compared > 20  # the fixtures hold a few dozen loops
