"""Classes, instances and functions: defining a class, its MRO and attributes, building an
instance, binding arguments and running a function body in a new frame (depth-bounded)."""

from __future__ import annotations

from functools import reduce
from typing import Iterator, Optional, Union

import libcst as cst

from ..semantics.context import CallArgs
from ..semantics.names import MODULE_BASE, canonical, rnn_kind
from ..values import (
    TOP, ClassV, Const, Env, FunctionV, InstanceV, IntV, Lazy, LoaderV, RefV, RNNModuleV, SuperV, Value, join,
)
from .frame import Frame
from .source import code_of


MAX_DEPTH = 12
_SELF = cst.Arg(value=cst.Name("self"))  # the receiver's argument node (made once: nothing reads it)


class ObjectsMixin:
    """How the `Interpreter` follows classes, instantiations and function calls."""

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

    def call_function(self, func: FunctionV, call: CallArgs, receiver: Optional[Value] = None) -> Value:
        if len(self.stack) >= MAX_DEPTH or func in self.stack:
            return TOP
        previous = self.here()
        self.call_sites.append((call.node, previous))
        self.passed.append(call)
        self.current = next((m for m in self.modules if m.path == func.path), self.current)
        self.top, self.line = func.top, None
        try:
            return self.run_function(func, call, receiver)
        finally:
            self.call_sites.pop()
            self.passed.pop()
            self.current, self.top, self.line = previous

    def run_function(self, func: FunctionV, call: CallArgs, receiver: Optional[Value]) -> Value:
        env = Env(func.env if func.env.parent is None else func.env)
        params = func.node.params
        positional = list(params.posonly_params) + list(params.params)
        values = list(call.args)
        if receiver is not None:
            values.insert(0, (receiver, _SELF))
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
        if frame.yields:
            return LoaderV(reduce(join, frame.yields))
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
            return IntV(value.dim.with_origin(Lazy(lambda: f"from {callee}({name}={number}) on line {line}", at=line)))
        return value

    def super_value(self) -> Value:
        """`super()` inside a method: attribute lookups continue after the method's class."""
        func = self.stack[-1] if self.stack else None
        receiver = self.selves[-1] if self.selves else None
        if func is None or func.owner is None or receiver is None:
            return TOP
        return SuperV(receiver, func.owner)


def _decorator_name(d: cst.Decorator) -> str:
    expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
    return code_of(expr)
