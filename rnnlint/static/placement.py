"""Where a finding goes, and how it is recorded: at the line a user must change, once (a
caller's call when the caller passed the bad value in; a constructor's own findings at the
constructor), with its position and the chain of calls that reached it."""

from __future__ import annotations

from typing import Callable, Optional

import libcst as cst
from libcst.metadata import CodeRange

from .. import rules
from ..contract import Violation
from ..diagnostic import Diagnostic, Fact
from .analysis.source import ModuleInfo, Where, code_of
from .semantics.context import CallArgs
from .values import SeqV, Value


# a constructor's findings are the constructor's: its arguments are the line to change
_AT_CONSTRUCTOR = frozenset({"RNN010", "RNN011"})


class PlacementMixin:
    """How the `Interpreter` turns a contract violation into a `Diagnostic` at its place."""

    def report_violation(self, node: cst.CSTNode, v: Violation, label: str,
                         where: Optional[Where] = None, facts: tuple[Fact, ...] = (),
                         given: Optional[Value] = None) -> None:
        """A finding goes to the line to change, once. When the value it is about (`given`: the
        input or state of an RNN call) was passed in by a call of this file from outside the
        definition, that call is the caller's mistake: it waits in `moved` until the
        definition's own reads are done (`place_moved`). Code of an imported module is always
        reported at this file's call that led there; a constructor finding stays at the
        constructor."""
        info, top, line = where or self.here()
        pos = info.position(node, top, line)
        if pos is None:
            return
        rule = rules.BY_CODE[v.code]
        caller = self.caller_site(info, top, given if v.code not in _AT_CONSTRUCTOR else None) \
            if self.call_sites else None
        if caller is None and (info is not self.main or (info.path, pos.start.line, pos.start.column, v.code)
                               in self.findings):
            return
        facts = facts + self.call_chain()
        if caller is not None:
            at, callee = caller
            spot = f"{info.path} line {pos.start.line}" if info is not self.main else f"line {pos.start.line}"
            there = self.diagnostic(self.main, at, v, f"{rule.name}: in {callee} ({spot}), {v.render(label)}", facts)
            here = self.diagnostic(info, pos, v, f"{rule.name}: {v.render(label)}", facts) \
                if info is self.main else None
            self.moved.append((info, top, (pos.start.line, pos.start.column, v.code), here, there))
            return
        self.findings[(info.path, pos.start.line, pos.start.column, v.code)] = self.diagnostic(
            info, pos, v, f"{rule.name}: {v.render(label)}", facts)

    def diagnostic(self, info: ModuleInfo, pos: CodeRange, v: Violation, message: str,
                   facts: tuple[Fact, ...]) -> Diagnostic:
        return Diagnostic(info.path, pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1, v.code,
                          message, v.severity or rules.BY_CODE[v.code].severity, v.expected, v.actual, v.hint,
                          explain=facts)

    def caller_site(self, info: ModuleInfo, top: Optional[int], given: Optional[Value]
                    ) -> Optional[tuple[CodeRange, str]]:
        """Where a finding met at `top` of `info` belongs, when not there: the outermost call
        of this file, outside that definition, through which `given` was passed in unchanged
        (a call written in the file, not the stand-in of a definition read alone); for code
        of an imported module, else the innermost call of this file. With the name of the
        function that call ran."""
        chosen: Optional[int] = None
        fallback: Optional[int] = None
        for i in range(len(self.call_sites) - 1, -1, -1):
            site, (module, t, line) = self.call_sites[i]
            passed = given is not None and i < len(self.passed) and _passes(self.passed[i], given)
            wanted = passed or info is not self.main and fallback is None
            if wanted and module is self.main and (info is not self.main or t != top) and \
                    module.position(site, t, line):
                if passed:
                    chosen = i
                else:
                    fallback = i
            if not passed:
                break
        if chosen is None and info is not self.main:
            chosen = fallback if fallback is not None else next(
                (i for i in range(len(self.call_sites) - 1, -1, -1) if self.call_sites[i][1][0] is self.main
                 and self.main.position(self.call_sites[i][0], *self.call_sites[i][1][1:])), None)
        if chosen is None:
            return None
        site, (module, t, line) = self.call_sites[chosen]
        func = self.stack[chosen] if len(self.stack) == len(self.call_sites) else None
        if func is None:
            name = code_of(site.func) if isinstance(site, cst.Call) else "the call"
        elif func.owner is not None:
            name = func.owner.name if func.name == "__init__" else f"{func.owner.name}.{func.name}"
        else:
            name = func.name
        return module.position(site, t, line), name  # type: ignore[return-value]

    def place_moved(self, proved: Callable[[ModuleInfo, Optional[int]], Optional[set[tuple[int, int, str]]]]
                    ) -> None:
        """Each finding met inside a definition through a caller: where the definition alone
        proves it (`proved` gives what its own reads found, None when they were not done), it
        stays there; otherwise it is the caller's, at the call. Several findings of one call,
        from different places, are each kept."""
        for info, top, spot, here, there in self.moved:
            alone = proved(info, top)
            if alone is None and here is not None:
                self.findings.setdefault((info.path, *spot), here)
            elif alone is None or spot not in alone:
                self.findings.setdefault((there.path, there.row, there.column, there.code, info.path, *spot[:2]),
                                         there)

    def call_chain(self, sites: Optional[list[tuple[cst.CSTNode, Where]]] = None) -> tuple[Fact, ...]:
        """How the analysis reached the finding: each call on the way (`sites`, else the running
        calls), outermost first."""
        chain = []
        for node, (module, top, line) in self.call_sites if sites is None else sites:
            pos = module.position(node, top, line)
            if pos is not None:
                code = code_of(node)
                code = code if len(code) <= 60 else code[:57] + "..."
                chain.append(Fact("call", code, "", module.path, pos.start.line))
        return tuple(chain)


def _passes(call: CallArgs, given: Value) -> bool:
    """`given` is one of the call's arguments, or an item of one, or holds one (`(h0, c0)`)."""
    for value, _ in [*call.args, *call.kwargs.values()]:
        if value is given or isinstance(value, SeqV) and any(item is given for item in value.items) or \
                isinstance(given, SeqV) and any(item is value for item in given.items):
            return True
    return False
