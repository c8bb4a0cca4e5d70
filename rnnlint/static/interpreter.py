"""The abstract interpreter: reads a module top to bottom with an environment of abstract
values, follows classes, instantiations and calls, and turns RNN events into findings.

`Interpreter` is composed of the rooms of `analysis` (statements, expressions, calls, objects,
modules) and of `rnn_checks`; this file holds the state they share, the entry point, and the
reading of definitions nothing in the file calls.

Events are checked by the pure contract (`rnnlint.contract`); torch knowledge comes from the
tables in `semantics`. Unknown stays unknown: an unknown value never produces a finding, and
work is bounded per file (call depth, steps), so pathological code terminates quickly.
"""

from __future__ import annotations

import ast
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

import libcst as cst
from libcst.metadata import CodeRange

from ..contract import Dim, Violation
from ..diagnostic import Diagnostic, Fact
from .analysis.calls import CallsMixin
from .analysis.expressions import ExpressionsMixin
from .analysis.frame import Budget
from .analysis.modules import ModulesMixin
from .analysis.objects import ObjectsMixin
from .analysis.source import ModuleInfo, Observer, Where, code_of
from .analysis.statements import StatementsMixin, _LoopBody
from .result import Stop
from .rnn_checks import RNNChecksMixin
from .semantics.context import CallArgs
from .suppress import apply_noqa
from .values import TOP, ClassV, Env, FunctionV, InstanceV, IntV, Lazy, Line, Value

_NOWHERE = CodeRange((0, 0), (0, 0))  # type: ignore[arg-type]
# Python's parser admits about 200 levels of nesting; reading an expression that deep, and
# placing a finding inside it, takes a few frames per level: more than the default 1000.
_RECURSION_LIMIT = 6000


class Interpreter(StatementsMixin, ExpressionsMixin, CallsMixin, ObjectsMixin, ModulesMixin, RNNChecksMixin):
    """One file's run: the state the mixins share, the entry point, and the reading of
    definitions nothing here calls."""

    def __init__(self, main: ModuleInfo, loader: Optional[Callable[[str, str, int], Optional[ModuleInfo]]] = None
                 ) -> None:
        self.main = main
        self.modules: list[ModuleInfo] = [main]
        self.loader = loader
        self.module_envs: dict[str, Env] = {}
        self.findings: dict[tuple, Diagnostic] = {}
        self.pending: dict[int, tuple[cst.CSTNode, Violation, str, Where, tuple[Fact, ...]]] = {}
        self.steps = 0
        self.stack: list[FunctionV] = []
        self.selves: list[Optional[Value]] = []  # the receiver of each running call
        self.call_sites: list[tuple[cst.CSTNode, Where]] = []  # each running call, where
        self.top: Optional[int] = None  # the top-level statement of self.current being read
        self.line: Optional[cst.SimpleStatementLine] = None  # the statement line being read, if any
        self.uncertain = 0  # depth of `if` branches whose condition is not known
        self.assumed = False  # reading a class nobody builds here, with its defaults
        self.loops: dict[int, _LoopBody] = {}
        self.instantiated: set[int] = set()
        self.called: set[int] = set()
        self.classes: list[ClassV] = []
        self.functions: list[FunctionV] = []
        self.current: ModuleInfo = main
        self.standalone: Optional[set[int]] = None  # ids of top-level defs worth reading uncalled
        self.observer: Optional[Observer] = None  # told of RNN events and tensor names (shapes, hover)
        self.stopped: Optional[Stop] = None  # where the work bound or the nesting stopped the reading

    def here(self) -> Where:
        return self.current, self.top, self.line

    def line_of(self, node: cst.CSTNode, where: Optional[Where] = None) -> Line:
        info, top, line = where or self.here()
        return Line(lambda: str((info.position(node, top, line) or _NOWHERE).start.line), info.path)

    def describe_call(self, node: cst.Call) -> Lazy:
        line = self.line_of(node)

        def text() -> str:
            code = code_of(node)
            return f"{code if len(code) <= 60 else code[:57] + '...'} on line {line}"
        return Lazy(text, at=line)

    def run(self) -> list[Diagnostic]:
        try:
            env = self.exec_module(self.main)
            self.analyze_unused(env)
        except Budget as stop:
            self.stopped = self.stop_of(stop)
        except RecursionError:  # outside any statement: nothing to point at
            self.stopped = Stop(1, "the code nests deeper than it follows")
        for node, violation, label, where, facts in self.pending.values():
            self.report_violation(node, violation, label, where, facts)
        sources = {m.path: m.source for m in self.modules}
        by_path: dict[str, list[Diagnostic]] = {}
        for diag in self.findings.values():
            by_path.setdefault(diag.path, []).append(diag)
        return [d for path, diags in by_path.items() for d in apply_noqa(sources.get(path, ""), diags)]

    def stop_of(self, stop: Budget) -> Stop:
        try:
            pos = self.main.position(*stop.at) if stop.at is not None else None
        except RecursionError:
            pos = None
        return Stop(pos.start.line if pos is not None else 1, stop.reason)

    def analyze_unused(self, env: Env) -> None:
        """Classes never instantiated and functions never called are still read: with their
        defaults where every needed parameter has one, with symbols otherwise. Functions go
        first: a `main()` nobody calls may build a class with arguments of its own."""
        for func in list(self.functions):
            if id(func) not in self.called and func.owner is None and self.worth_reading(func.node):
                self.call_function(func, self.symbolic_args(func, skip_self=False))
        for cls in list(self.classes):
            if id(cls) in self.instantiated or not self.is_module_class(cls) or not self.worth_reading(cls.node):
                continue
            init = self.find_method(cls, "__init__")
            args = self.symbolic_args(init, skip_self=True) if init else CallArgs(cst.Call(func=cst.Name("x")), [], {})
            self.assumed = True
            try:
                inst = self.instantiate(cls, args, label=cls.name)
                if isinstance(inst, InstanceV):
                    fwd = self.find_method(cls, "forward")
                    if fwd is not None:
                        self.call_function(fwd, self.symbolic_args(fwd, skip_self=True), receiver=inst)
            finally:
                self.assumed = False

    def worth_reading(self, node: cst.CSTNode) -> bool:
        """Top-level definitions of the linted file that refer to RNNs; nested ones follow
        their parent; definitions of imported files are read only when called."""
        if self.standalone is None:
            return True
        return id(node) in self.standalone

    def symbolic_args(self, func: FunctionV, skip_self: bool) -> CallArgs:
        """Arguments for reading a function on its own: a named int parameter without a default
        is a symbol, everything else unknown (defaults are applied by the binding)."""
        params = list(func.node.params.params)
        if skip_self and params:
            params = params[1:]
        args: list[tuple[Value, cst.Arg]] = []
        dummy = cst.Arg(value=cst.Name("_"))
        for p in params:
            if p.default is not None:
                break
            args.append((IntV(Dim(symbol=p.name.value)) if _is_int_annotation(p) or _sounds_like_size(p.name.value)
                         else TOP, dummy))
        return CallArgs(cst.Call(func=cst.Name(func.name)), args, {})


def _is_int_annotation(p: cst.Param) -> bool:
    return p.annotation is not None and code_of(p.annotation.annotation) == "int"


def _sounds_like_size(name: str) -> bool:
    n = name.lower()
    return any(w in n for w in ("size", "dim", "hidden", "layers", "hid", "emb", "vocab", "classes", "features",
                                "units", "len", "num_"))


def analyze_module(module: cst.Module, path: str, source: str = "",
                   loader: Optional[Callable[[str, str, int], Optional[ModuleInfo]]] = None,
                   relevant_defs: Optional[frozenset[int]] = None, tree: Optional[ast.Module] = None,
                   observer: Optional[Observer] = None) -> tuple[list[Diagnostic], Optional[Stop]]:
    """All findings of one parsed module, after `# noqa`, and where the reading stopped early if
    it did. `relevant_defs` (indices among the module's top-level defs) limits which uncalled
    definitions are read on their own; `observer` is told of RNN events and tensor names."""
    interp = Interpreter(ModuleInfo(path, source, module, tree), loader)
    interp.observer = observer
    if relevant_defs is not None:
        top = [s for s in module.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))]
        interp.standalone = {id(top[i]) for i in relevant_defs if i < len(top)}
    with _deep_enough():
        return interp.run(), interp.stopped


@contextmanager
def _deep_enough() -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, _RECURSION_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)
