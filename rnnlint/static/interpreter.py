"""The abstract interpreter: reads a module top to bottom with an environment of abstract
values, follows classes, instantiations and calls, and turns RNN events into findings.

`Interpreter` is composed of the rooms of `analysis` (statements, expressions, calls, objects,
modules) and of `rnn_checks`; this file holds the state they share, the entry point, and the
reading of each definition on its own, for every value of its parameters.

Events are checked by the pure contract (`rnnlint.contract`); torch knowledge comes from the
tables in `semantics`. Unknown stays unknown: an unknown value never produces a finding, and
work is bounded per file (call depth, steps), so pathological code terminates quickly.
"""

from __future__ import annotations

import ast
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Optional, Union

import libcst as cst
from libcst.metadata import CodeRange

from ..contract import Dim, Violation
from ..diagnostic import Diagnostic, Fact
from .analysis.calls import CallsMixin
from .analysis.expressions import ExpressionsMixin
from .analysis.frame import Budget
from .analysis.modules import ModulesMixin
from .analysis.narrowing import NarrowingMixin
from .analysis.objects import ObjectsMixin
from .analysis.sizes import size_params, syntax_of
from .analysis.source import ModuleInfo, Observer, StandIn, Where, code_of
from .analysis.statements import StatementsMixin, _LoopBody
from .analysis.subscripts import SubscriptsMixin
from .result import Stop
from .rnn_checks import RNNChecksMixin
from .semantics.context import CallArgs
from .suppress import apply_noqa
from .values import TOP, ClassV, Const, Env, FunctionV, InstanceV, IntV, Lazy, Line, Value

_NOWHERE = CodeRange((0, 0), (0, 0))  # type: ignore[arg-type]
# Python's parser admits about 200 levels of nesting; reading an expression that deep, and
# placing a finding inside it, takes a few frames per level: more than the default 1000.
_RECURSION_LIMIT = 6000


class Interpreter(StatementsMixin, ExpressionsMixin, SubscriptsMixin, NarrowingMixin, CallsMixin, ObjectsMixin,
                  ModulesMixin, RNNChecksMixin):
    """One file's run: the state the mixins share, the entry point, and the reading of each
    definition on its own."""

    def __init__(self, main: ModuleInfo, loader: Optional[Callable[[str, str, int], Optional[ModuleInfo]]] = None
                 ) -> None:
        self.main = main
        self.modules: list[ModuleInfo] = [main]
        self.loader = loader
        self.module_envs: dict[str, Env] = {}
        self.findings: dict[tuple, Diagnostic] = {}
        # findings that a later read may still drop, with their facts (placed only if reported)
        self.pending: dict[int, tuple[cst.CSTNode, Violation, str, Where, Callable[[], tuple[Fact, ...]]]] = {}
        self.steps = 0
        self.stack: list[FunctionV] = []
        self.selves: list[Optional[Value]] = []  # the receiver of each running call
        self.call_sites: list[tuple[cst.CSTNode, Where]] = []  # each running call, where
        self.passed: list[CallArgs] = []  # the arguments of each running call
        self.top: Optional[int] = None  # the top-level statement of self.current being read
        self.line: Optional[cst.SimpleStatementLine] = None  # the statement line being read, if any
        self.uncertain = 0  # depth of `if` branches whose condition is not known
        self.loops: dict[int, _LoopBody] = {}
        self.lambdas: dict[int, tuple[cst.Lambda, cst.FunctionDef]] = {}  # each lambda as a function
        self.classes: list[ClassV] = []
        self.functions: list[FunctionV] = []
        self.current: ModuleInfo = main
        self.standalone: Optional[set[int]] = None  # ids of top-level defs worth reading on their own
        # findings met inside a definition through a caller, placed once its own reads are done
        self.moved: list[tuple[ModuleInfo, Optional[int], tuple[int, int, str], Optional[Diagnostic], Diagnostic]] = []
        self.read_alone: set[int] = set()  # top-level defs of this file read on their own
        self.alone: dict[str, set[tuple[int, int, str]]] = {}  # the same for imported files
        self.nested = False  # run only for what an importing file's run needs to know
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
            self.report_violation(node, violation, label, where, facts())
        self.place_moved(self.proved_alone)
        sources = {m.path: m.source for m in self.modules}
        by_path: dict[str, list[Diagnostic]] = {}
        for diag in self.findings.values():
            by_path.setdefault(diag.path, []).append(diag)
        found = [d for path, diags in by_path.items() for d in apply_noqa(sources.get(path, ""), diags)]
        self.release()
        return found

    def release(self) -> None:
        """Empty the scopes once the findings are out. A function's scope holds the function
        and a class's body its methods, which point back to their class: each file's run
        would leave all of that, with the trees it points to, for the cyclic garbage
        collector to walk; emptied, it is freed at once."""
        for env in self.module_envs.values():
            env.vars.clear()
        for func in self.functions:
            func.env.vars.clear()
        for cls in self.classes:
            cls.body.clear()
            cls.env.vars.clear()

    def stop_of(self, stop: Budget) -> Stop:
        try:
            pos = self.main.position(*stop.at) if stop.at is not None else None
        except RecursionError:
            pos = None
        return Stop(pos.start.line if pos is not None else 1, stop.reason)

    def analyze_unused(self, env: Env) -> None:
        """Every definition that may build or call an RNN is also read on its own, for every
        value its callers may pass (`symbolic_args`), whether or not this file uses it: a
        finding that holds for all of them is the definition's own. Functions go first: a
        `main()` nobody calls may build a class with arguments of its own."""
        if self.observer is not None:
            self.observer.reading_alone()
        body = self.main.module.body
        tops = {id(node): i for i, node in enumerate(body)}
        for func in list(self.functions):
            if func.owner is None and func.path == self.main.path and self.worth_reading(func.node):
                self.call_function(func, self.symbolic_args(func, skip_self=False))
                if id(func.node) in tops:
                    self.read_alone.add(tops[id(func.node)])
        for cls in list(self.classes):
            if cls.path != self.main.path or not self.is_module_class(cls) or not self.worth_reading(cls.node):
                continue
            init = self.find_method(cls, "__init__")
            args = self.symbolic_args(init, skip_self=True) if init else CallArgs(StandIn(func=cst.Name("x")), [], {})
            inst = self.instantiate(cls, args, label=cls.name)
            if isinstance(inst, InstanceV):
                self.read_methods(cls, inst)
            if id(cls.node) in tops:
                self.read_alone.add(tops[id(cls.node)])

    def proved_alone(self, info: ModuleInfo, top: Optional[int]) -> Optional[set[tuple[int, int, str]]]:
        """What a definition proves on its own, as (line, column, code): for this file's, what
        its own reads found (None if it was not read alone); for an imported file's, what that
        file's own run finds in place (run once, here, as it would be when it is linted)."""
        if info is self.main:
            if top not in self.read_alone:
                return None
            return {(k[1], k[2], k[3]) for k in self.findings if len(k) == 4 and k[0] == info.path}
        if self.nested:
            return None
        if info.path not in self.alone:
            other = Interpreter(info, self.loader)
            other.nested = True
            other.run()
            self.alone[info.path] = {(k[1], k[2], k[3]) for k in other.findings if len(k) == 4 and k[0] == info.path}
        return self.alone[info.path]

    def read_methods(self, cls: ClassV, inst: InstanceV) -> None:
        """`forward`, then the class's own other methods (`encode`, `init_hidden`, ...), each
        with symbolic arguments on the instance its constructor built."""
        fwd = self.find_method(cls, "forward")
        methods = [fwd] if fwd is not None else []
        methods += [f for name, f in cls.body.items() if isinstance(f, FunctionV) and f is not fwd
                    and not name.startswith("__") and not _unbound(f.node)]
        for method in methods:
            self.call_function(method, self.symbolic_args(method, skip_self=True), receiver=inst)

    def worth_reading(self, node: cst.CSTNode) -> bool:
        """Top-level definitions of the linted file that refer to RNNs; nested ones follow
        their parent; definitions of imported files are read only when called."""
        if self.standalone is None:
            return True
        return id(node) in self.standalone

    def symbolic_args(self, func: FunctionV, skip_self: bool) -> CallArgs:
        """Arguments for reading a function on its own, for every value its callers may pass.
        A parameter used as a size (`analysis.sizes`), annotated `int` or named like a size is
        a symbol, at least what torch accepts there. A default is one possible value, not the
        value: a number default only lowers that bound (a negative one leaves the parameter
        unknown), any other default (a flag, a name) leaves it unknown; only `None`, which
        says "not given", applies. Other parameters are unknown."""
        syntax, owner = self.syntax(func)
        # a constructor's parameters reach sizes through the attributes its class reads
        sizes = size_params(syntax, owner if func.name == "__init__" else None) if syntax is not None else {}
        params = list(func.node.params.params)
        if skip_self and params:
            params = params[1:]
        callee = func.owner.name if func.owner is not None and func.name == "__init__" else func.name
        kwargs: dict[str, tuple[Value, cst.Arg]] = {}
        dummy = cst.Arg(value=cst.Name("_"))
        for p in params + list(func.node.params.kwonly_params):
            name = p.name.value
            if isinstance(p.default, cst.Name) and p.default.value == "None":
                continue  # "not given": the body says what it stands for
            default = self.number_default(p.default, func) if p.default is not None else None
            sized = name in sizes or _is_int_annotation(p) or _sounds_like_size(name)
            least = min(sizes.get(name, 1), default) if isinstance(default, int) else sizes.get(name, 1)
            if sized and not isinstance(default, float) and least >= 0:
                value: Value = IntV(Dim.named(name, least).with_origin(f"a parameter of {callee}"))
            else:
                value = TOP
            kwargs[name] = (value, dummy)
        return CallArgs(StandIn(func=cst.Name(func.name)), [], kwargs)

    def syntax(self, func: FunctionV) -> tuple[Optional[ast.FunctionDef], Optional[ast.ClassDef]]:
        """The stdlib trees of a function and of its class, from the module's own tree when it
        is a top-level definition (or a method of one), else from its code."""
        info = next((m for m in self.modules if m.path == func.path), None)
        stmt = info.ast_statement(func.top) if info is not None and func.top is not None else None
        owner: Optional[Union[ast.FunctionDef, ast.ClassDef]] = None
        if func.owner is None:
            found = stmt if isinstance(stmt, ast.FunctionDef) and stmt.name == func.name else syntax_of(func.node)
            return (found if isinstance(found, ast.FunctionDef) else None), None
        owner = stmt if isinstance(stmt, ast.ClassDef) and stmt.name == func.owner.name else \
            syntax_of(func.owner.node)
        if not isinstance(owner, ast.ClassDef):
            return None, None
        methods = [s for s in owner.body if isinstance(s, ast.FunctionDef) and s.name == func.name]
        return (methods[-1] if methods else None), owner

    def number_default(self, node: cst.BaseExpression, func: FunctionV) -> Optional[Union[int, float]]:
        """A default that is a number (`3`, `-1`, `0.5`, `DROPOUT`); None for anything else."""
        value = self.eval(node, func.env)
        if isinstance(value, IntV):
            return value.dim.value
        if isinstance(value, Const) and isinstance(value.value, float):
            return value.value
        return None


def _unbound(node: cst.FunctionDef) -> bool:
    """A static or class method: its first parameter is not the instance."""
    return any(code_of(d.decorator) in ("staticmethod", "classmethod") for d in node.decorators)


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
    it did. `relevant_defs` (indices among the module's top-level defs) limits which definitions
    are read on their own; `observer` is told of RNN events and tensor names."""
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
