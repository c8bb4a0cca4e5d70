"""The abstract interpreter: reads a module top to bottom with an environment of abstract
values, follows classes, instantiations and calls, and turns RNN events into findings.

Events are checked by the pure contract (`rnnlint.contract`); torch knowledge comes from the
tables in `semantics`. Unknown stays unknown: an unknown value never produces a finding, and
work is bounded per file (call depth, steps), so pathological code terminates quickly.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Callable, Iterator, Optional, Union

import libcst as cst
from libcst.metadata import CodeRange

from ..contract import Dim, Shape, UNKNOWN, Violation
from ..diagnostic import Diagnostic
from .analysis.frame import Budget, Frame
from .analysis.source import ModuleInfo, Where, code_of
from .rnn_checks import RNNChecksMixin
from .semantics.calls import CALLS
from .semantics.context import CallArgs
from .semantics.layers import LAYER_CALLS
from .semantics.names import MODULE_BASE, canonical, rnn_kind
from .semantics.tensors import TENSOR_ATTRS, TENSOR_METHODS, getitem_shape, shape_tuple
from .suppress import apply_noqa
from .values import (
    TOP, BoundV, ClassV, Const, DictV, Env, FunctionV, InstanceV, IntV, LayerV, LoaderV, NamespaceV, ParserV,
    Lazy, RefV, RNNModuleV, SeqV, SuperV, TensorV, Value, join, truth,
)

MAX_DEPTH = 12
MAX_STEPS = 400_000
MAX_MODULES = 8  # imported files of the linted tree read for one file
# methods that change a dict or list in place
_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem",
                       "sort", "reverse", "__setitem__", "__delitem__"})
# nn.Module methods that return the module itself: `model = Net(...).to(device)` is still Net
_RETURNS_SELF = frozenset({"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "bfloat16",
                           "requires_grad_", "share_memory", "to_empty"})
_BATCH_NAMES = frozenset({"batch_size", "batch", "bs", "bsz", "n_batch", "num_batch", "batchsize", "batch_sz"})
_TIME_NAMES = frozenset({"seq_len", "seq_length", "sequence_length", "timesteps", "time_steps", "n_steps",
                         "num_steps", "max_len", "max_length", "seqlen", "steps", "window", "window_size",
                         "seq_size", "lookback", "bptt"})


class _LoopBody(cst.CSTVisitor):
    """What a loop body holds, in one walk: a break or continue (a nested loop's counts too),
    and the names it reads (assignment targets left out)."""

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


def _builtin_call(node: cst.BaseExpression, env: "Env") -> Optional[str]:
    """The name of the builtin `node` calls (`range(n)`), unless the name is rebound here."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and env.lookup(node.func.value) is None:
        return node.func.value
    return None


class Interpreter(RNNChecksMixin):
    def __init__(self, main: ModuleInfo, loader: Optional[Callable[[str, str, int], Optional[ModuleInfo]]] = None
                 ) -> None:
        self.main = main
        self.modules: list[ModuleInfo] = [main]
        self.loader = loader
        self.module_envs: dict[str, Env] = {}
        self.findings: dict[tuple, Diagnostic] = {}
        self.pending: dict[int, tuple[cst.CSTNode, Violation, str, Where, tuple[str, ...]]] = {}
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

    # ------------------------------------------------------------------ positions and reports

    def here(self) -> Where:
        return self.current, self.top, self.line

    def line_of(self, node: cst.CSTNode, where: Optional[Where] = None) -> Lazy:
        info, top, line = where or self.here()
        return Lazy(lambda: str((info.position(node, top, line) or _NOWHERE).start.line))

    def describe_call(self, node: cst.Call) -> Lazy:
        line = self.line_of(node)

        def text() -> str:
            code = code_of(node)
            return f"{code if len(code) <= 60 else code[:57] + '...'} on line {line}"
        return Lazy(text)

    # ------------------------------------------------------------------ entry points

    def run(self) -> list[Diagnostic]:
        try:
            env = self.exec_module(self.main)
            self.analyze_unused(env)
        except (Budget, RecursionError):
            pass
        for node, violation, label, where, facts in self.pending.values():
            self.report_violation(node, violation, label, where, facts)
        sources = {m.path: m.source for m in self.modules}
        by_path: dict[str, list[Diagnostic]] = {}
        for diag in self.findings.values():
            by_path.setdefault(diag.path, []).append(diag)
        return [d for path, diags in by_path.items() for d in apply_noqa(sources.get(path, ""), diags)]

    def exec_module(self, info: ModuleInfo) -> Env:
        env = Env()
        self.module_envs[info.path] = env
        previous, self.current = self.here(), info
        frame = Frame()
        try:
            for i, stmt in enumerate(info.module.body):
                self.top = i
                if not self.exec_stmt(stmt, env, frame):
                    break
        finally:
            self.current, self.top, self.line = previous
        return env

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

    # ------------------------------------------------------------------ statements

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Budget()

    def exec_block(self, body: object, env: Env, frame: Frame) -> bool:
        """Execute statements in order; False once the path has returned or raised."""
        statements = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else body
        for stmt in statements:  # type: ignore[union-attr]
            if not self.exec_stmt(stmt, env, frame):
                return False
        return True

    def exec_stmt(self, stmt: cst.CSTNode, env: Env, frame: Frame) -> bool:
        self.tick()
        previous, self.line = self.line, stmt if isinstance(stmt, cst.SimpleStatementLine) else None
        try:
            return self.exec_statement(stmt, env, frame)
        finally:
            self.line = previous

    def exec_statement(self, stmt: cst.CSTNode, env: Env, frame: Frame) -> bool:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if not self.exec_small(small, env, frame):
                    return False
            return True
        if isinstance(stmt, cst.If):
            return self.exec_if(stmt, env, frame)
        if isinstance(stmt, (cst.For, cst.While)):
            return self.exec_loop(stmt, env, frame)
        if isinstance(stmt, cst.With):
            for item in stmt.items:
                value = self.eval(item.item, env)
                if item.asname is not None:
                    self.assign(item.asname.name, TOP if not isinstance(value, (InstanceV,)) else value, env)
            return self.exec_block(stmt.body, env, frame)
        if isinstance(stmt, cst.Try):
            before = env.copy()
            went_on = self.exec_block(stmt.body, env, frame)
            if stmt.orelse is not None and went_on:
                went_on = self.exec_block(stmt.orelse.body, env, frame)
            for handler in stmt.handlers:
                alt = before.copy()
                if handler.name is not None:
                    self.assign(handler.name.name, TOP, alt)
                if self.exec_block(handler.body, alt, frame):
                    if went_on:
                        env.absorb(env.copy(), alt)
                    else:
                        env.vars, went_on = alt.vars, True
            if stmt.finalbody is not None:
                self.exec_block(stmt.finalbody.body, env, frame)
            return went_on
        if isinstance(stmt, cst.FunctionDef):
            func = FunctionV(stmt, env, self.current.path, top=self.top)
            env.vars[stmt.name.value] = func
            self.functions.append(func)
            return True
        if isinstance(stmt, cst.ClassDef):
            env.vars[stmt.name.value] = self.define_class(stmt, env)
            return True
        return True

    def exec_small(self, small: cst.CSTNode, env: Env, frame: Frame) -> bool:
        if isinstance(small, cst.Assign):
            value = self.eval(small.value, env)
            for target in small.targets:
                self.assign(target.target, value, env, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.eval(small.value, env), env, small.value)
        elif isinstance(small, cst.AugAssign):
            current = self.eval(small.target, env)
            value = self.binop(current, small.operator, self.eval(small.value, env))
            self.assign(small.target, value, env)
        elif isinstance(small, cst.Expr):
            self.eval(small.value, env)
        elif isinstance(small, cst.Return):
            frame.returns.append(self.eval(small.value, env) if small.value is not None else Const(None))
            return False
        elif isinstance(small, cst.Raise):
            return False
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            self.exec_import(small, env)
        elif isinstance(small, (cst.Global, cst.Nonlocal)):
            env.outer.update(item.name.value for item in small.names)
        return True

    def exec_if(self, stmt: cst.If, env: Env, frame: Frame) -> bool:
        cond = truth(self.eval(stmt.test, env))
        orelse = stmt.orelse
        if cond is True:
            return self.exec_block(stmt.body, env, frame)
        if cond is False:
            if orelse is None:
                return True
            return self.exec_if(orelse, env, frame) if isinstance(orelse, cst.If) else self.exec_block(
                orelse.body, env, frame)
        left, right = env.copy(), env.copy()
        self.uncertain += 1
        try:
            went_left = self.exec_block(stmt.body, left, frame)
            if orelse is None:
                went_right = True
            elif isinstance(orelse, cst.If):
                went_right = self.exec_if(orelse, right, frame)
            else:
                went_right = self.exec_block(orelse.body, right, frame)
        finally:
            self.uncertain -= 1
        if went_left and went_right:
            env.absorb(left, right)
        elif went_left:
            env.vars = left.vars
        elif went_right:
            env.vars = right.vars
        return went_left or went_right

    def loop_body(self, stmt: Union[cst.For, cst.While]) -> _LoopBody:
        if id(stmt) not in self.loops:  # a loop in a function is read at every call
            facts = _LoopBody()
            stmt.body.visit(facts)
            self.loops[id(stmt)] = facts
        return self.loops[id(stmt)]

    def exec_loop(self, stmt: Union[cst.For, cst.While], env: Env, frame: Frame) -> bool:
        before = env.copy()
        body = self.loop_body(stmt)
        once = False
        if isinstance(stmt, cst.For):
            iterable = self.eval(stmt.iter, env)
            # a break or continue may leave the first pass before it changes anything
            once = not body.leaves_early and self.runs_at_least_once(stmt.iter, iterable, env)
            element = IntV(UNKNOWN) if self.counts(stmt.iter, env) else self.iter_element(iterable)
            self.assign(stmt.target, element, env)
        else:
            self.eval(stmt.test, env)
        self.exec_block(stmt.body, env, frame)
        after = env.copy()
        if once:
            # after one pass or more: the state is one of the first pass's and a later pass's;
            # the second pass only tells that state, its findings are not kept (the loop may stop at one)
            findings, pending = dict(self.findings), dict(self.pending)
            again = after.copy()
            if isinstance(stmt, cst.For):
                self.assign(stmt.target, element, again)
            self.exec_block(stmt.body, again, frame)
            self.findings, self.pending = findings, pending
            env.absorb(after, again)
        else:
            # the body may run zero or more times: what it changed is only known to be one of both
            env.absorb(before, after)
            for name in set(after.vars) - set(before.vars):
                env.vars[name] = after.vars[name] if isinstance(after.vars[name], (RNNModuleV, LayerV, FunctionV,
                                                                                     ClassV)) else TOP
        # a row of h_n the loop feeds back in (`fh = h[-2]`, read again by the next step) is loop
        # state, not a summary; so is one the join no longer knows as that row: no RNN008
        for name, value in after.vars.items():
            if isinstance(value, TensorV) and value.role == "state_row" and value.row_node is not None:
                now = env.vars.get(name)
                if name in body.reads or not (isinstance(now, TensorV) and now.row_node is value.row_node):
                    self.pending.pop(id(value.row_node), None)
        if stmt.orelse is not None:
            self.exec_block(stmt.orelse.body, env, frame)
        return True

    def counts(self, node: cst.BaseExpression, env: Env) -> bool:
        """`range(...)` or `reversed(range(...))` (the builtins): the loop variable is an int."""
        builtin = _builtin_call(node, env)
        if builtin == "reversed" and len(node.args) == 1:  # type: ignore[attr-defined]
            return self.counts(node.args[0].value, env)  # type: ignore[attr-defined]
        return builtin == "range"

    def runs_at_least_once(self, node: cst.BaseExpression, iterable: Value, env: Env) -> bool:
        """True when a for loop over `node` is proved to run its body: `range(n)` with a known
        n >= 1, a non-empty literal sequence, a tensor whose first dimension is known >= 1."""
        builtin = _builtin_call(node, env)
        if builtin is not None:
            args = node.args  # type: ignore[attr-defined]
            if builtin == "enumerate" and args and args[0].keyword is None and not args[0].star:
                return self.runs_at_least_once(args[0].value, self.eval(args[0].value, env), env)
            if builtin == "range" and 1 <= len(args) <= 2 and all(a.keyword is None and not a.star for a in args):
                bounds = [self.eval(a.value, env) for a in args]
                if not all(isinstance(b, IntV) and b.dim.value is not None for b in bounds):
                    return False
                values = [b.dim.value for b in bounds if isinstance(b, IntV)]
                start, stop = (0, values[0]) if len(values) == 1 else (values[0], values[1])
                return stop > start
            return False
        if isinstance(iterable, SeqV):
            return bool(iterable.items)
        if isinstance(iterable, TensorV) and iterable.shape is not None and iterable.shape.rank_known \
                and iterable.shape.dims:
            first = iterable.shape.dims[0].value
            return first is not None and first >= 1
        return False

    def iter_element(self, value: Value) -> Value:
        if isinstance(value, LoaderV):
            return value.element
        if isinstance(value, SeqV) and value.items:
            first = value.items[0]
            return first if all(join(first, x) == first for x in value.items) else TOP
        if isinstance(value, TensorV) and value.shape is not None and value.shape.rank_known and value.shape.dims:
            return TensorV(Shape(value.shape.dims[1:], True, value.shape.origin), value.origin, dtype=value.dtype)
        if isinstance(value, BoundV) and value.func == "enumerate":
            return SeqV((IntV(UNKNOWN), self.iter_element(value.receiver)))
        return TOP

    # ------------------------------------------------------------------ imports

    def exec_import(self, node: Union[cst.Import, cst.ImportFrom], env: Env) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = code_of(alias.name)
                if alias.asname is not None:
                    env.vars[code_of(alias.asname.name)] = self.module_value(full, 0)
                else:
                    top = full.split(".")[0]
                    env.vars[top] = self.module_value(top, 0)
            return
        module = code_of(node.module) if node.module is not None else ""
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            loaded = self.load_module_env(module, level)
            if loaded is not None:
                env.vars.update({k: v for k, v in loaded.vars.items() if not k.startswith("_")})
            return
        loaded = self.load_module_env(module, level) if (level or not module.startswith("torch")) else None
        for alias in node.names:
            name = code_of(alias.name)
            local = code_of(alias.asname.name) if alias.asname is not None else name
            if loaded is not None and name in loaded.vars:
                env.vars[local] = loaded.vars[name]
            elif level == 0:
                env.vars[local] = RefV(canonical(f"{module}.{name}"))
            else:
                sub = self.load_module_env(f"{module}.{name}" if module else name, level)
                env.vars[local] = TOP if sub is None else NamespaceV(dict(sub.vars))

    def module_value(self, name: str, level: int) -> Value:
        if name.split(".")[0] in ("torch", "argparse", "dataclasses", "math", "numpy", "np"):
            return RefV(name)
        loaded = self.load_module_env(name, level)
        return NamespaceV(dict(loaded.vars)) if loaded is not None else RefV(name)

    def load_module_env(self, name: str, level: int) -> Optional[Env]:
        """The environment of a module of the linted tree (relative or sibling imports only)."""
        if self.loader is None or len(self.stack) > 2 or len(self.modules) > MAX_MODULES:
            return None
        info = self.loader(self.current.path, name, level)
        if info is None:
            return None
        if info.path in self.module_envs:
            return self.module_envs[info.path]
        self.modules.append(info)
        self.module_envs[info.path] = Env()
        return self.exec_module(info)

    # ------------------------------------------------------------------ classes

    def define_class(self, node: cst.ClassDef, env: Env) -> ClassV:
        bases = [self.eval(b.value, env) for b in node.bases]
        is_dc = any(_decorator_name(d) in ("dataclass", "dataclasses.dataclass") for d in node.decorators)
        cls = ClassV(node, env, bases, {}, self.current.path, is_dc)
        body_env = Env(env)
        frame = Frame()
        for stmt in node.body.body:  # type: ignore[union-attr]
            if isinstance(stmt, cst.FunctionDef):
                func = FunctionV(stmt, env, self.current.path, cls, top=self.top)
                body_env.vars[stmt.name.value] = func
                self.functions.append(func)
            else:
                self.exec_stmt(stmt, body_env, frame)
        cls.body = body_env.vars
        self.classes.append(cls)
        return cls

    def mro(self, cls: ClassV) -> Iterator[Union[ClassV, RefV]]:
        seen: set[int] = set()
        todo: list[Value] = [cls]
        while todo:
            c = todo.pop(0)
            if isinstance(c, ClassV) and id(c) not in seen:
                seen.add(id(c))
                yield c
                todo.extend(c.bases)
            elif isinstance(c, RefV):
                yield c

    def is_module_class(self, cls: ClassV) -> bool:
        """An nn.Module subclass, directly, through user classes, or through a framework's
        module class (Lightning's LightningModule is one)."""
        return any(isinstance(c, RefV) and (canonical(c.qualname) == MODULE_BASE or rnn_kind(c.qualname)
                                            or c.qualname.endswith(".LightningModule"))
                   for c in self.mro(cls))

    def find_method(self, cls: ClassV, name: str, after: Optional[ClassV] = None) -> Optional[FunctionV]:
        skipping = after is not None
        for c in self.mro(cls):
            if skipping:
                if c is after:
                    skipping = False
                continue
            if isinstance(c, ClassV):
                v = c.body.get(name)
                if isinstance(v, FunctionV):
                    return v
        return None

    def class_attr(self, cls: ClassV, name: str) -> Optional[Value]:
        for c in self.mro(cls):
            if isinstance(c, ClassV) and name in c.body:
                return c.body[name]
        return None

    def instantiate(self, cls: ClassV, call: CallArgs, label: str = "") -> Value:
        self.instantiated.add(id(cls))
        inst = InstanceV(cls, {}, label or cls.name, line=self.line_of(call.node))
        if cls.is_dataclass:
            fields = [s for s in cls.node.body.body  # type: ignore[union-attr]
                      if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.AnnAssign)]
            names = [code_of(s.body[0].target) for s in fields]  # type: ignore[attr-defined]
            for name in names:
                inst.attrs[name] = cls.body.get(name, TOP)
            for (value, _), name in zip(call.args, names):
                inst.attrs[name] = value
            for key, (value, _) in call.kwargs.items():
                inst.attrs[key] = value
            if call.star:
                inst.attrs = {k: TOP for k in inst.attrs}
            return inst
        kind = self.rnn_base(cls)
        init = self.find_method(cls, "__init__")
        if init is not None:
            self.call_function(init, call, receiver=inst)
        elif kind is not None:
            module = self.build_rnn(kind, call, label)
            if isinstance(module, RNNModuleV):
                inst.rnn_spec = module.spec
        return inst

    # ------------------------------------------------------------------ functions

    def call_function(self, func: FunctionV, call: CallArgs, receiver: Optional[Value] = None) -> Value:
        self.called.add(id(func))
        if len(self.stack) >= MAX_DEPTH or func in self.stack:
            return TOP
        previous = self.here()
        self.call_sites.append((call.node, previous))
        self.current = next((m for m in self.modules if m.path == func.path), self.current)
        self.top, self.line = func.top, None
        try:
            return self.run_function(func, call, receiver)
        finally:
            self.call_sites.pop()
            self.current, self.top, self.line = previous

    def run_function(self, func: FunctionV, call: CallArgs, receiver: Optional[Value]) -> Value:
        env = Env(func.env if func.env.parent is None else func.env)
        params = func.node.params
        positional = list(params.posonly_params) + list(params.params)
        values = list(call.args)
        if receiver is not None:
            values.insert(0, (receiver, cst.Arg(value=cst.Name("self"))))
        callee = func.owner.name if func.owner and func.name == "__init__" else func.name
        for i, p in enumerate(positional):
            name = p.name.value
            if i < len(values):
                value = values[i][0]
            elif name in call.kwargs:
                value = call.kwargs[name][0]
            elif call.star:
                value = TOP
            elif p.default is not None:
                env.vars[name] = self.defaulted(self.eval(p.default, func.env), name, callee)
                continue
            else:
                value = TOP
            env.vars[name] = self.bound(value, name, callee, call.node)
        for p in params.kwonly_params:
            name = p.name.value
            if name in call.kwargs:
                value = call.kwargs[name][0]
            elif p.default is not None and not call.star:
                env.vars[name] = self.defaulted(self.eval(p.default, func.env), name, callee)
                continue
            else:
                value = TOP
            env.vars[name] = self.bound(value, name, callee, call.node)
        if isinstance(params.star_arg, cst.Param):
            env.vars[params.star_arg.name.value] = TOP
        if params.star_kwarg is not None:
            env.vars[params.star_kwarg.name.value] = TOP
        frame = Frame(func)
        self.stack.append(func)
        self.selves.append(receiver)
        try:
            went_on = self.exec_block(func.node.body, env, frame)
        finally:
            self.stack.pop()
            self.selves.pop()
        results = frame.returns + ([Const(None)] if went_on else [])
        if not results:
            return TOP
        out = results[0]
        for r in results[1:]:
            out = join(out, r)
        return out

    def defaulted(self, value: Value, name: str, callee: str) -> Value:
        if isinstance(value, IntV) and value.dim.value is not None:
            return IntV(value.dim.with_origin(f"the default {name}={value.dim.value} of {callee}"))
        return value

    def bound(self, value: Value, name: str, callee: str, node: cst.Call) -> Value:
        """A known int bound to a parameter remembers where it was passed."""
        if isinstance(value, IntV) and value.dim.value is not None:
            # bound while the callee runs: the call itself is where its caller was
            site = self.call_sites[-1][1] if self.call_sites and self.call_sites[-1][0] is node else None
            line = self.line_of(node, site)
            number = value.dim.value
            return IntV(value.dim.with_origin(Lazy(lambda: f"from {callee}({name}={number}) on line {line}")))
        return value

    # ------------------------------------------------------------------ assignment

    def assign(self, target: cst.BaseExpression, value: Value, env: Env,
               value_node: Optional[cst.BaseExpression] = None) -> None:
        if isinstance(target, cst.Name) and target.value in env.outer:
            # a function that sets a global (or nonlocal) name: from then on it is unknown there
            self.rebind(target, TOP, env.parent or env)
        elif isinstance(target, cst.Name):
            env.vars[target.value] = self.labelled(value, target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            items = value.items if isinstance(value, SeqV) else None
            if isinstance(value, TensorV) and value.shape is not None and value.shape.rank_known \
                    and value.shape.dims and not starred:
                items = tuple(TensorV(Shape(value.shape.dims[1:], True, value.origin), value.origin)
                              for _ in elements)
            for i, element in enumerate(elements):
                if isinstance(element, cst.StarredElement):
                    self.assign(element.value, TOP, env)
                    continue
                item = items[i] if items is not None and not starred and len(items) == len(elements) else TOP
                self.assign(element.value, item, env)
        elif isinstance(target, cst.Attribute):
            obj = self.eval(target.value, env)
            name = target.attr.value
            if isinstance(obj, (InstanceV, NamespaceV)):
                label = f"{code_of(target.value)}.{name}"
                value = self.labelled(value, label)
                # objects are shared by both paths of an undecided `if`: keep what both agree on
                if self.uncertain and name in obj.attrs:
                    value = join(obj.attrs[name], value)
                obj.attrs[name] = value
        elif isinstance(target, cst.Subscript):
            obj = self.eval(target.value, env)
            key = self.literal_key(target, env) if isinstance(obj, DictV) else None
            if isinstance(obj, DictV) and key is not None:
                self.set_item(obj, key, value)
            elif isinstance(obj, (DictV, SeqV)):
                # `sizes[0] = 10`, `cfg[name] = 10`: the container is no longer known
                self.rebind(target.value, TOP, env)

    def set_item(self, container: DictV, key: object, value: Value) -> None:
        # a dict is shared by both paths of an undecided `if`: keep what both agree on
        if self.uncertain:
            value = join(container.items[key], value) if key in container.items else TOP
        container.items[key] = value

    def rebind(self, target: cst.BaseExpression, value: Value, env: Env) -> None:
        """Bind a changed name (a container changed in place, a global set in a function) in
        the scope that holds it, searched from `env` outwards: the module sees the change too."""
        if isinstance(target, cst.Name):
            scope: Optional[Env] = env
            while scope is not None and target.value not in scope.vars:
                scope = scope.parent
            if scope is not None and scope is not env and self.uncertain:
                value = TOP  # an outer name changed on one path only of an undecided `if`
            (scope or env).vars[target.value] = value
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            self.assign(target, value, env)

    def labelled(self, value: Value, label: str) -> Value:
        if isinstance(value, RNNModuleV) and not value.label:
            return replace(value, label=label)
        if isinstance(value, LayerV) and not value.label:
            return replace(value, label=label)
        return value

    def literal_key(self, node: cst.Subscript, env: Env) -> Optional[object]:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        key = self.eval(node.slice[0].slice.value, env)
        if isinstance(key, Const) and isinstance(key.value, (str, bool)):
            return key.value
        if isinstance(key, IntV) and key.dim.value is not None:
            return key.dim.value
        return None

    # ------------------------------------------------------------------ expressions

    def eval(self, node: cst.BaseExpression, env: Env) -> Value:
        self.tick()
        method = getattr(self, "eval_" + type(node).__name__, None)
        if method is None:
            return TOP
        return method(node, env)

    def eval_Integer(self, node: cst.Integer, env: Env) -> Value:
        try:
            return IntV(Dim(int(node.evaluated_value)))
        except ValueError:
            return TOP

    def eval_Float(self, node: cst.Float, env: Env) -> Value:
        return Const(float(node.evaluated_value))

    def eval_SimpleString(self, node: cst.SimpleString, env: Env) -> Value:
        # only short plain strings can matter (nonlinearity names, argparse flags, dict keys);
        # evaluating every literal would cost a compile() each
        raw = node.value
        prefix = node.prefix.lower()
        if len(raw) > 80 or "\\" in raw or prefix not in ("", "r", "u"):
            return TOP
        quote = node.quote
        return Const(raw[len(prefix) + len(quote):-len(quote)])

    def eval_ConcatenatedString(self, node: cst.ConcatenatedString, env: Env) -> Value:
        return TOP

    def eval_Name(self, node: cst.Name, env: Env) -> Value:
        name = node.value
        if name in ("True", "False", "None"):
            return Const({"True": True, "False": False, "None": None}[name])
        value = env.lookup(name)
        if value is None:
            return RefV(f"builtins.{name}")
        if isinstance(value, IntV):
            role = "batch" if name.lower() in _BATCH_NAMES else "time" if name.lower() in _TIME_NAMES else None
            dim = value.dim
            if dim.origin is None and dim.value is not None:
                dim = dim.with_origin(name)
            if role and not dim.role:
                dim = dim.with_role(role)
            return IntV(dim)
        return value

    def eval_Attribute(self, node: cst.Attribute, env: Env) -> Value:
        base = self.eval(node.value, env)
        return self.get_attr(base, node.attr.value, node)

    def get_attr(self, base: Value, name: str, node: Optional[cst.CSTNode] = None) -> Value:
        if isinstance(base, RefV):
            return RefV(canonical(f"{base.qualname}.{name}"))
        if isinstance(base, InstanceV):
            if name in base.attrs:
                value = base.attrs[name]
                if isinstance(value, IntV) and node is not None:
                    role = "batch" if name.lower() in _BATCH_NAMES else "time" if name.lower() in _TIME_NAMES else None
                    if role and not value.dim.role:
                        return IntV(value.dim.with_role(role))
                return value
            attr = self.class_attr(base.cls, name)
            if isinstance(attr, FunctionV):
                return BoundV(base, attr)
            if attr is not None:
                return attr
            if name in _RETURNS_SELF or name == "parameters":
                return BoundV(base, "self" if name != "parameters" else name)
            if base.rnn_spec is not None:
                return self.rnn_attr(base.rnn_spec, name)
            return TOP
        if isinstance(base, SuperV):
            method = self.find_method(base.after, name, after=base.after)
            if method is not None:
                return BoundV(base.instance, method)
            for c in self.mro(base.after):
                if isinstance(c, RefV) and rnn_kind(c.qualname) and name == "__init__":
                    return BoundV(base.instance, f"rnn_init:{rnn_kind(c.qualname)}")
                if isinstance(c, RefV) and rnn_kind(c.qualname) and name == "forward":
                    return BoundV(base.instance, "rnn_forward")
            return TOP
        if isinstance(base, ClassV):
            attr = self.class_attr(base, name)
            return attr if attr is not None else TOP
        if isinstance(base, TensorV):
            if name == "shape":
                return shape_tuple(base)
            if name in ("T", "mT") and base.shape is not None and base.shape.rank_known:
                dims = base.shape.dims
                swapped = tuple(reversed(dims)) if name == "T" else dims[:-2] + (dims[-1], dims[-2]) if len(
                    dims) >= 2 else None
                return base.untagged().with_shape(Shape(swapped, True, base.origin) if swapped else None)
            if name in TENSOR_ATTRS:
                return base
            if name in ("ndim",):
                return IntV(Dim(len(base.shape.dims))) if base.shape and base.shape.rank_known else IntV(UNKNOWN)
            return BoundV(base, name)
        if isinstance(base, (RNNModuleV, LayerV)) and name in _RETURNS_SELF:
            return BoundV(base, "self")
        if isinstance(base, RNNModuleV):
            return self.rnn_attr(base.spec, name) if name != "forward" else base
        if isinstance(base, LayerV):
            return base.param(name) if name != "forward" else base
        if isinstance(base, (NamespaceV, ParserV)):
            return base.attrs.get(name, TOP) if isinstance(base, NamespaceV) else BoundV(base, name)
        if isinstance(base, (DictV, SeqV, LoaderV)):
            return BoundV(base, name)
        return TOP

    def eval_Subscript(self, node: cst.Subscript, env: Env) -> Value:
        base = self.eval(node.value, env)
        elements = node.slice
        if isinstance(base, (SeqV, DictV)) and len(elements) == 1 and isinstance(elements[0].slice, cst.Index):
            key = self.eval(elements[0].slice.value, env)
            if isinstance(base, SeqV):
                if isinstance(key, IntV) and key.dim.value is not None and -len(base.items) <= key.dim.value < len(
                        base.items):
                    return base.items[key.dim.value]
                return TOP
            k = key.value if isinstance(key, Const) else key.dim.value if isinstance(key, IntV) else None
            return base.items.get(k, TOP) if k is not None else TOP
        if isinstance(base, SeqV) and len(elements) == 1 and isinstance(elements[0].slice, cst.Slice):
            sl = elements[0].slice
            bounds = [self.eval(b, env) if b is not None else Const(None) for b in (sl.lower, sl.upper)]
            if sl.step is None and all(isinstance(b, Const) and b.value is None or isinstance(b, IntV) and
                                       b.dim.value is not None for b in bounds):
                lo, hi = (b.dim.value if isinstance(b, IntV) else None for b in bounds)
                return SeqV(base.items[lo:hi], base.kind)
            return TOP
        if isinstance(base, TensorV):
            return self.index_tensor(base, node, env)
        for e in elements:
            if isinstance(e.slice, cst.Index):
                self.eval(e.slice.value, env)
        return TOP

    def index_tensor(self, t: TensorV, node: cst.Subscript, env: Env) -> Value:
        items: list[object] = []
        for element in node.slice:
            s = element.slice
            if isinstance(s, cst.Slice):
                full = s.lower is None and s.upper is None and s.step is None
                items.append("full" if full else "slice")
                for b in (s.lower, s.upper, s.step):
                    if b is not None:
                        self.eval(b, env)
                continue
            if isinstance(s.value, cst.Ellipsis):
                items.append("ellipsis")
                continue
            v = self.eval(s.value, env)
            if isinstance(v, Const) and v.value is None:
                items.append("none")
            elif isinstance(v, IntV):
                items.append(self.normalized_index(s.value, v.dim, t, len(items), env))
            else:
                # a tensor, a list, or a value not known to be an int (`x[idx]` with idx from
                # `lengths.sort()`): advanced indexing keeps the axis, so nothing is dropped
                items.append("tensor")
        self.check_index(t, items, node)
        shape = getitem_shape(t.shape, items) if t.shape is not None else None
        if t.role in ("h_n", "c_n") and items and isinstance(items[0], int) and len(
                [i for i in items if i not in ("full",)]) == 1:
            return TensorV(shape, t.origin, rnn=t.rnn, role="state_row", row=items[0], row_node=node)
        keeps_features = shape is not None and t.shape is not None and shape.dims and t.shape.dims and \
            shape.last.same(t.shape.last) and (len(items) < (t.shape.rank or 0) or items[-1] == "full")
        if t.rnn is not None and keeps_features:
            return TensorV(shape, t.origin, rnn=t.rnn, role="summary" if t.role == "out" else t.role)
        return TensorV(shape, t.origin, dtype=t.dtype)

    def normalized_index(self, expr: cst.BaseExpression, d: Dim, t: TensorV, axis: int, env: Env) -> Optional[int]:
        """An int index; `x.size(axis) - 1` / `x.shape[axis] - 1` of the indexed tensor is -1."""
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Subtract) and \
                isinstance(expr.right, cst.Integer) and expr.right.value == "1" and \
                _size_of_axis(expr.left, axis) and self.eval(_size_base(expr.left), env) == t:
            return -1
        return d.value

    def eval_Tuple(self, node: cst.Tuple, env: Env) -> Value:
        return self.sequence(node.elements, env, "tuple")

    def eval_List(self, node: cst.List, env: Env) -> Value:
        return self.sequence(node.elements, env, "list")

    def sequence(self, elements: list, env: Env, kind: str) -> Value:
        items = []
        for e in elements:
            if isinstance(e, cst.StarredElement):
                inner = self.eval(e.value, env)
                if not isinstance(inner, SeqV):
                    return TOP
                items.extend(inner.items)
            else:
                items.append(self.eval(e.value, env))
        return SeqV(tuple(items), kind)

    def eval_Dict(self, node: cst.Dict, env: Env) -> Value:
        items: dict[object, Value] = {}
        for e in node.elements:
            if not isinstance(e, cst.DictElement):
                return TOP
            key = self.eval(e.key, env)
            k = key.value if isinstance(key, Const) else key.dim.value if isinstance(key, IntV) else None
            value = self.eval(e.value, env)
            if k is not None:
                items[k] = value
        return DictV(items)

    def eval_IfExp(self, node: cst.IfExp, env: Env) -> Value:
        cond = truth(self.eval(node.test, env))
        if cond is True:
            return self.eval(node.body, env)
        if cond is False:
            return self.eval(node.orelse, env)
        return join(self.eval(node.body, env), self.eval(node.orelse, env))

    def eval_BooleanOperation(self, node: cst.BooleanOperation, env: Env) -> Value:
        left = self.eval(node.left, env)
        t = truth(left)
        if isinstance(node.operator, cst.And):
            if t is False:
                return left
            right = self.eval(node.right, env)
            return right if t is True else TOP
        if t is True:
            return left
        right = self.eval(node.right, env)
        return right if t is False else TOP

    def eval_UnaryOperation(self, node: cst.UnaryOperation, env: Env) -> Value:
        value = self.eval(node.expression, env)
        if isinstance(node.operator, cst.Minus) and isinstance(value, IntV):
            return IntV(Dim(0) - value.dim) if value.dim.value is not None else TOP
        if isinstance(node.operator, cst.Minus) and isinstance(value, Const) and isinstance(value.value, float):
            return Const(-value.value)
        if isinstance(node.operator, cst.Not):
            t = truth(value)
            return Const(not t) if t is not None else TOP
        return value if isinstance(value, TensorV) else TOP

    def eval_BinaryOperation(self, node: cst.BinaryOperation, env: Env) -> Value:
        return self.binop(self.eval(node.left, env), node.operator, self.eval(node.right, env))

    def binop(self, left: Value, op: cst.CSTNode, right: Value) -> Value:
        if isinstance(left, IntV) and isinstance(right, IntV):
            symbol = {cst.Add: "+", cst.AddAssign: "+", cst.Subtract: "-", cst.SubtractAssign: "-",
                      cst.Multiply: "*", cst.MultiplyAssign: "*", cst.FloorDivide: "//",
                      cst.FloorDivideAssign: "//"}.get(type(op))
            if symbol is None:
                if isinstance(op, (cst.Divide, cst.DivideAssign)) and left.dim.value is not None and \
                        right.dim.value:
                    return Const(left.dim.value / right.dim.value)
                return TOP
            result = left.dim._combine(right.dim, symbol)
            origin = left.dim.origin if right.dim.origin is None else right.dim.origin if left.dim.origin is None \
                else f"{left.dim.origin}, {right.dim.origin}"
            return IntV(result.with_origin(origin) if result.value is not None else result)
        if isinstance(left, TensorV) and isinstance(right, TensorV):
            if left.shape is not None and right.shape is not None and left.shape == right.shape:
                return left.untagged() if left.rnn != right.rnn else left
            if right.shape is not None and right.shape.rank == 0:
                return left
            return TensorV(None, left.origin)
        if isinstance(left, TensorV) and isinstance(right, (IntV, Const)):
            return left
        if isinstance(right, TensorV) and isinstance(left, (IntV, Const)):
            return right
        if isinstance(left, SeqV) and isinstance(right, SeqV) and isinstance(op, cst.Add):
            return SeqV(left.items + right.items, left.kind)
        if isinstance(left, Const) and isinstance(right, Const) and isinstance(left.value, (int, float)) and \
                isinstance(right.value, (int, float)) and not isinstance(left.value, bool):
            return TOP
        return TOP

    def eval_Comparison(self, node: cst.Comparison, env: Env) -> Value:
        left = self.eval(node.left, env)
        if len(node.comparisons) != 1:
            for c in node.comparisons:
                self.eval(c.comparator, env)
            return TOP
        comp = node.comparisons[0]
        right = self.eval(comp.comparator, env)
        op = comp.operator
        a = left.value if isinstance(left, Const) else left.dim.value if isinstance(left, IntV) else _MISSING
        b = right.value if isinstance(right, Const) else right.dim.value if isinstance(right, IntV) else _MISSING
        if isinstance(op, (cst.In, cst.NotIn)) and isinstance(left, Const) and isinstance(right, SeqV) and all(
                isinstance(v, Const) for v in right.items):
            found = left.value in [v.value for v in right.items]  # type: ignore[union-attr]
            return Const(found if isinstance(op, cst.In) else not found)
        if isinstance(op, (cst.Is, cst.IsNot)) and isinstance(right, Const) and right.value is None:
            if isinstance(left, Const):
                return Const((left.value is None) == isinstance(op, cst.Is))
            if isinstance(left, (TensorV, RNNModuleV, LayerV, InstanceV, SeqV)):
                return Const(not isinstance(op, cst.Is))
            return TOP
        if a is _MISSING or b is _MISSING or a is None and not isinstance(left, Const) or b is None and not isinstance(
                right, Const):
            return TOP
        try:
            if isinstance(op, cst.Equal):
                return Const(a == b)
            if isinstance(op, cst.NotEqual):
                return Const(a != b)
            if isinstance(op, cst.GreaterThan):
                return Const(a > b)
            if isinstance(op, cst.LessThan):
                return Const(a < b)
            if isinstance(op, cst.GreaterThanEqual):
                return Const(a >= b)
            if isinstance(op, cst.LessThanEqual):
                return Const(a <= b)
        except TypeError:
            return TOP
        return TOP

    def eval_Call(self, node: cst.Call, env: Env) -> Value:
        func = self.eval(node.func, env)
        call = self.call_args(node, env)
        result = self.apply(func, call, node)
        if isinstance(func, BoundV) and isinstance(func.receiver, (DictV, SeqV)) and func.func in _MUTATORS \
                and isinstance(node.func, cst.Attribute):
            self.mutate(func.receiver, func.func, call, node.func.value, env)
        return result

    def mutate(self, container: Union[DictV, SeqV], method: str, call: CallArgs, target: cst.BaseExpression,
               env: Env) -> None:
        """`cfg.update(embed=24)` and `sizes.append(10)` are followed; any other change in place
        (`pop`, `sort`, an update from an unknown dict) leaves the container unknown."""
        if isinstance(container, DictV) and method == "update" and not call.star and len(call.args) <= 1:
            other = call.pos(0) if call.args else DictV({})
            if isinstance(other, DictV):
                for key, value in [*other.items.items(), *((k, v) for k, (v, _) in call.kwargs.items())]:
                    self.set_item(container, key, value)
                return
        if isinstance(container, SeqV) and container.kind == "list" and not call.star and not call.kwargs:
            if method == "append" and len(call.args) == 1:
                self.rebind(target, SeqV(container.items + (call.pos(0),), "list"), env)
                return
            if method == "extend" and len(call.args) == 1 and isinstance(call.pos(0), SeqV):
                self.rebind(target, SeqV(container.items + call.pos(0).items, "list"), env)  # type: ignore[union-attr]
                return
        self.rebind(target, TOP, env)

    def call_args(self, node: cst.Call, env: Env) -> CallArgs:
        args: list[tuple[Value, cst.Arg]] = []
        kwargs: dict[str, tuple[Value, cst.Arg]] = {}
        star = False
        for arg in node.args:
            value = self.eval(arg.value, env)
            if arg.star:
                if arg.star == "*" and isinstance(value, SeqV) and not kwargs:
                    args.extend((v, arg) for v in value.items)
                elif arg.star == "**" and isinstance(value, DictV) and all(isinstance(k, str) for k in value.items):
                    kwargs.update({k: (v, arg) for k, v in value.items.items()})  # type: ignore[misc]
                else:
                    star = True
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = (value, arg)
            else:
                args.append((value, arg))
        return CallArgs(node, args, kwargs, star)

    def apply(self, func: Value, call: CallArgs, node: cst.Call) -> Value:
        if isinstance(func, RefV):
            return self.call_ref(func.qualname, call)
        if isinstance(func, ClassV):
            return self.instantiate(func, call)
        if isinstance(func, FunctionV):
            return self.call_function(func, call)
        if isinstance(func, BoundV):
            return self.call_bound(func, call)
        if isinstance(func, RNNModuleV):
            return self.call_rnn(func.spec, func.label or "the RNN", func.line, call)
        if isinstance(func, LayerV):
            handler = LAYER_CALLS.get(func.kind)
            return handler(self, func, call) if handler else TOP
        if isinstance(func, InstanceV):
            return self.call_instance(func, call)
        return TOP

    def call_instance(self, inst: InstanceV, call: CallArgs) -> Value:
        fwd = self.find_method(inst.cls, "forward")
        if fwd is not None:
            return self.call_function(fwd, call, receiver=inst)
        if inst.rnn_spec is not None:
            return self.call_rnn(inst.rnn_spec, inst.label, inst.line, call)
        call_m = self.find_method(inst.cls, "__call__")
        if call_m is not None:
            return self.call_function(call_m, call, receiver=inst)
        return TOP

    def call_bound(self, bound: BoundV, call: CallArgs) -> Value:
        recv = bound.receiver
        if isinstance(bound.func, FunctionV):
            return self.call_function(bound.func, call, receiver=recv)
        name = bound.func
        if name == "self":
            return recv
        if name == "parameters":
            return LoaderV(TensorV(None, "a parameter"))  # `next(self.parameters())` is some weight
        if name.startswith("rnn_init:") and isinstance(recv, InstanceV):
            module = self.build_rnn(name.split(":")[1], call, recv.label)
            if isinstance(module, RNNModuleV):
                recv.rnn_spec = module.spec
            return Const(None)
        if name == "rnn_forward" and isinstance(recv, InstanceV) and recv.rnn_spec is not None:
            return self.call_rnn(recv.rnn_spec, recv.label, recv.line, call)
        if isinstance(recv, TensorV):
            handler = TENSOR_METHODS.get(name)
            if handler is None:
                return TOP
            return handler(self, replace(call, receiver=recv))
        if isinstance(recv, DictV):
            if name == "get":
                key = call.pos(0)
                k = key.value if isinstance(key, Const) else key.dim.value if isinstance(key, IntV) else None
                if k in recv.items:
                    return recv.items[k]
                return call.pos(1) if len(call.args) > 1 else Const(None) if k is not None else TOP
            return TOP
        if isinstance(recv, ParserV):
            return self.parser_method(recv, name, call)
        return TOP

    def parser_method(self, parser: ParserV, name: str, call: CallArgs) -> Value:
        if name in ("add_argument",):
            flags = [v.value for v, _ in call.args if isinstance(v, Const) and isinstance(v.value, str)]
            dest = call.get("dest")
            long = next((f for f in flags if f.startswith("--")), flags[0] if flags else None)
            key = dest.value if isinstance(dest, Const) and isinstance(dest.value, str) else \
                long.lstrip("-").replace("-", "_") if long else None
            if key is None:
                return TOP
            default = call.kwargs.get("default", (Const(None), None))[0]
            action = call.get("action")
            if isinstance(action, Const) and action.value == "store_true" and "default" not in call.kwargs:
                default = Const(False)
            # a value set on the command line can be anything: only the default is known, and
            # only while nothing else could change it (no `required=True`, no `choices`)
            if "required" in call.kwargs:
                default = TOP
            parser.attrs[key] = default
            return TOP
        if name in ("parse_args", "parse_known_args"):
            ns = NamespaceV(dict(parser.attrs))
            return ns if name == "parse_args" else SeqV((ns, TOP))
        if name in ("add_argument_group", "add_mutually_exclusive_group"):
            return parser
        return TOP

    def call_ref(self, qualname: str, call: CallArgs) -> Value:
        name = canonical(qualname)
        kind = rnn_kind(name)
        if kind is not None:
            return self.build_rnn(kind, call, "")
        handler = CALLS.get(name)
        if handler is not None:
            return handler(self, call)
        if name in ("argparse.ArgumentParser",):
            return ParserV({})
        if name == "builtins.super":
            return self.super_value()
        if name == "builtins.len":
            arg = call.pos(0)
            if isinstance(arg, SeqV):
                return IntV(Dim(len(arg.items)))
            if isinstance(arg, TensorV) and arg.shape is not None and arg.shape.rank_known and arg.shape.dims:
                return IntV(arg.shape.dims[0])
            return IntV(UNKNOWN)
        if name == "builtins.int":
            arg = call.pos(0)
            if isinstance(arg, IntV):
                return arg
            if isinstance(arg, Const) and isinstance(arg.value, (float, bool)):
                return IntV(Dim(int(arg.value)))
            return IntV(UNKNOWN)
        if name in ("builtins.tuple", "builtins.list"):
            arg = call.pos(0)
            return arg if isinstance(arg, SeqV) else TOP
        if name == "builtins.next":
            arg = call.pos(0)
            return arg.element if isinstance(arg, LoaderV) else TOP
        if name in ("builtins.enumerate",):
            return BoundV(call.pos(0), "enumerate")
        if name in ("builtins.dict",):
            return DictV({k: v for k, (v, _) in call.kwargs.items()}) if not call.args and not call.star else TOP
        if name in ("builtins.isinstance", "builtins.hasattr", "builtins.getattr", "builtins.print"):
            return TOP
        if name in ("types.SimpleNamespace", "argparse.Namespace"):
            return NamespaceV({k: v for k, (v, _) in call.kwargs.items()}) if not call.star else TOP
        return TOP

    def super_value(self) -> Value:
        """`super()` inside a method: attribute lookups continue after the method's class."""
        func = self.stack[-1] if self.stack else None
        receiver = self.selves[-1] if self.selves else None
        if func is None or func.owner is None or receiver is None:
            return TOP
        return SuperV(receiver, func.owner)


_MISSING = object()
_NOWHERE = CodeRange((0, 0), (0, 0))  # type: ignore[arg-type]


def _size_of_axis(expr: cst.BaseExpression, axis: int) -> bool:
    """`x.size(axis)` or `x.shape[axis]`."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "size":
        return len(expr.args) == 1 and isinstance(expr.args[0].value, cst.Integer) and \
            int(expr.args[0].value.value) == axis
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "shape":
        el = expr.slice[0].slice if len(expr.slice) == 1 else None
        return isinstance(el, cst.Index) and isinstance(el.value, cst.Integer) and int(el.value.value) == axis
    return False


def _size_base(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.func.value if isinstance(expr, cst.Call) else expr.value.value  # type: ignore[union-attr]


def _decorator_name(d: cst.Decorator) -> str:
    expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
    return code_of(expr)


def _is_int_annotation(p: cst.Param) -> bool:
    return p.annotation is not None and code_of(p.annotation.annotation) == "int"


def _sounds_like_size(name: str) -> bool:
    n = name.lower()
    return any(w in n for w in ("size", "dim", "hidden", "layers", "hid", "emb", "vocab", "classes", "features",
                                "units", "len", "num_"))


# ---------------------------------------------------------------------- the entry point


def analyze_module(module: cst.Module, path: str, source: str = "",
                   loader: Optional[Callable[[str, str, int], Optional[ModuleInfo]]] = None,
                   relevant_defs: Optional[frozenset[int]] = None, tree: Optional[ast.Module] = None
                   ) -> list[Diagnostic]:
    """All findings of one parsed module, after `# noqa`. `relevant_defs` (indices among the
    module's top-level defs) limits which uncalled definitions are read on their own."""
    interp = Interpreter(ModuleInfo(path, source, module, tree), loader)
    if relevant_defs is not None:
        top = [s for s in module.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))]
        interp.standalone = {id(top[i]) for i in relevant_defs if i < len(top)}
    return interp.run()
