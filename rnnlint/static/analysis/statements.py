"""Statements: blocks, `if` with both branches joined, loops run until their values settle or
the budget ends, assignment to names, items and attributes, with/try, and the step budget."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Optional, Union

import libcst as cst

from ...contract import Shape, UNKNOWN
from ..values import (
    TOP, BoundV, ClassV, Const, DictV, Env, FunctionV, InstanceV, IntV, LayerV, LoaderV, NamespaceV, RNNModuleV,
    SeqV, TensorV, Value, join, truth,
)
from .frame import Budget, Frame
from .source import code_of


MAX_STEPS = 400_000


class _LoopBody:
    """What a loop body holds: a break or continue (a nested loop's counts too), and the names
    it reads (assignment targets left out)."""

    def __init__(self, body: cst.CSTNode) -> None:
        self.body = body
        self.leaves_early = _leaves_early(body)
        self._reads: Optional[set[str]] = None

    @property
    def reads(self) -> set[str]:
        """Walked on first use: only a loop that ends holding a row of h_n asks."""
        if self._reads is None:
            self._reads = _names_read(self.body)
        return self._reads


def _leaves_early(body: cst.CSTNode) -> bool:
    """A break or continue anywhere in `body`: a walk of the statements alone (an expression
    holds none), nested blocks, handlers and definitions included."""
    todo: list[object] = [body]
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is cst.Break or kind is cst.Continue:
            return True
        for name in _BLOCKS:
            child = getattr(node, name, None)
            if type(child) is tuple or type(child) is list:
                todo.extend(child)
            elif child is not None:
                todo.append(child)
    return False


# the fields that hold statements, blocks or the clauses that hold blocks
_BLOCKS = ("body", "orelse", "handlers", "finalbody", "cases")


def _names_read(body: cst.CSTNode) -> set[str]:
    """The names `body` reads, assignment targets left out."""
    reads: set[str] = set()
    # a walk of the node fields: LibCST's generic visitor dispatch costs several times more
    todo: list[object] = [body]
    while todo:
        node = todo.pop()
        kind = type(node)
        if kind is cst.Name:
            reads.add(node.value)  # type: ignore[attr-defined]
        elif kind is not cst.AssignTarget:
            names = _FIELDS.get(kind)
            if names is None:
                names = _FIELDS[kind] = _fields(kind)
            for name in names:
                child = getattr(node, name)
                if type(child) is tuple or type(child) is list:
                    todo.extend(child)
                else:
                    todo.append(child)
    return reads


# fields that hold only layout (whitespace, comments, parentheses, separators): no name is there
_LAYOUT = ("whitespace", "leading_lines", "lines_after_decorators", "lpar", "rpar", "header", "footer", "comma",
           "semicolon")
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    """The fields of a node class that may hold names (none for a value that is not a node)."""
    if not issubclass(kind, cst.CSTNode):
        return ()
    return tuple(f.name for f in fields(kind) if not f.name.startswith(_LAYOUT))


def _builtin_call(node: cst.BaseExpression, env: "Env") -> Optional[str]:
    """The name of the builtin `node` calls (`range(n)`), unless the name is rebound here."""
    if type(node) is cst.Call and type(node.func) is cst.Name and env.lookup(node.func.value) is None:
        return node.func.value
    return None


class StatementsMixin:
    """How the `Interpreter` executes statements."""

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Budget(f"it reached its bound of {MAX_STEPS:,} steps of work", self.main_statement())

    def exec_block(self, body: object, env: Env, frame: Frame) -> bool:
        """Execute statements in order; False once the path has returned or raised."""
        kind = type(body)
        statements = body.body if kind is cst.IndentedBlock or kind is cst.SimpleStatementSuite else body
        for stmt in statements:  # type: ignore[union-attr]
            if not self.exec_stmt(stmt, env, frame):
                return False
        return True

    def exec_stmt(self, stmt: cst.CSTNode, env: Env, frame: Frame) -> bool:
        self.steps += 1  # `tick`, inline on this hot path
        if self.steps > MAX_STEPS:
            self.tick()
        # a small statement of a one-line suite (`if c: f(x)`) is in no statement line of its own
        previous, self.line = self.line, stmt if type(stmt) is cst.SimpleStatementLine else None
        try:
            return self.exec_statement(stmt, env, frame)
        except RecursionError:  # the innermost statement says where
            raise Budget("the code nests deeper than it follows", self.main_statement()) from None
        finally:
            self.line = previous

    def main_statement(self) -> Optional[tuple[cst.CSTNode, Optional[int], Optional[cst.SimpleStatementLine]]]:
        """The statement of the linted file being read: the outermost call that led to this
        one, else this one."""
        outer = next(((node, t, l) for node, (m, t, l) in self.call_sites if m is self.main), None)
        info, top, line = self.here()
        if outer is not None or info is not self.main:
            return outer
        if top is None:
            return None
        return (line if line is not None else info.module.body[top]), top, line

    def exec_statement(self, stmt: cst.CSTNode, env: Env, frame: Frame) -> bool:
        # exact classes (LibCST's are never subclassed), tested cheapest first: an isinstance
        # that fails on a LibCST class goes through the ABC machinery
        kind = type(stmt)
        if kind is cst.SimpleStatementLine:
            for small in stmt.body:
                if not self.exec_small(small, env, frame):
                    return False
            return True
        if kind is cst.If:
            return self.exec_if(stmt, env, frame)
        if kind is cst.For or kind is cst.While:
            return self.exec_loop(stmt, env, frame)
        if kind is cst.With:
            for item in stmt.items:
                value = self.eval(item.item, env)
                if item.asname is not None:
                    self.assign(item.asname.name, TOP if not isinstance(value, (InstanceV,)) else value, env)
            return self.exec_block(stmt.body, env, frame)
        if kind is cst.Try:
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
        if kind is cst.FunctionDef:
            func = FunctionV(stmt, env, self.current.path, top=self.top)
            env.vars[stmt.name.value] = func
            self.functions.append(func)
            return True
        if kind is cst.ClassDef:
            env.vars[stmt.name.value] = self.define_class(stmt, env)
            return True
        return self.exec_small(stmt, env, frame)  # a small statement of a one-line suite, or another kind

    def exec_small(self, small: cst.CSTNode, env: Env, frame: Frame) -> bool:
        kind = type(small)
        if kind is cst.Expr:
            if type(small.value) is cst.Yield:
                self.generator_yield(small.value, env, frame)
            else:
                self.eval(small.value, env)
        elif kind is cst.Assign:
            value = self.eval(small.value, env)
            for target in small.targets:
                self.assign(target.target, value, env, small.value)
        elif kind is cst.AnnAssign:
            if small.value is not None:
                self.assign(small.target, self.eval(small.value, env), env, small.value)
        elif kind is cst.AugAssign:
            current = self.eval(small.target, env)
            value = self.binop(current, small.operator, self.eval(small.value, env))
            self.assign(small.target, value, env)
        elif kind is cst.Assert:
            # the test runs (its calls are checked); what it asserts is not assumed
            self.eval(small.test, env)
            if small.msg is not None:
                self.eval(small.msg, env)
        elif kind is cst.Return:
            frame.returns.append(self.eval(small.value, env) if small.value is not None else Const(None))
            return False
        elif kind is cst.Raise:
            return False
        elif kind is cst.Import or kind is cst.ImportFrom:
            self.exec_import(small, env)
        elif kind is cst.Global or kind is cst.Nonlocal:
            env.outer.update(item.name.value for item in small.names)
        return True

    def exec_if(self, stmt: cst.If, env: Env, frame: Frame) -> bool:
        narrowed = self.narrow(stmt.test, env)
        cond = truth(self.eval(stmt.test, env)) if narrowed is None else None
        orelse = stmt.orelse
        if cond is True:
            return self.exec_block(stmt.body, env, frame)
        if cond is False:
            if orelse is None:
                return True
            return self.exec_if(orelse, env, frame) if isinstance(orelse, cst.If) else self.exec_block(
                orelse.body, env, frame)
        left, right = env.copy(), env.copy()
        if narrowed is not None:  # each branch sees the values of the name it is taken for
            original, local = env.lookup(narrowed[0]), narrowed[0] in env.vars
            left.vars[narrowed[0]], right.vars[narrowed[0]] = narrowed[1], narrowed[2]
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
        if narrowed is not None and went_left and went_right and left.vars.get(narrowed[0]) == narrowed[1] and \
                right.vars.get(narrowed[0]) == narrowed[2]:
            # the tested name was not rebound in either branch: it is again what it was
            if local:
                env.vars[narrowed[0]] = original  # type: ignore[assignment]
            else:
                env.vars.pop(narrowed[0], None)
        return went_left or went_right

    def loop_body(self, stmt: Union[cst.For, cst.While]) -> _LoopBody:
        facts = self.loops.get(id(stmt))
        if facts is None:  # a loop in a function is read at every call: walked once
            facts = self.loops[id(stmt)] = _LoopBody(stmt.body)
        return facts

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
        if isinstance(stmt, cst.For):
            self.last_batch_pass(stmt, iterable, env, frame)
        if stmt.orelse is not None:
            self.exec_block(stmt.orelse.body, env, frame)
        return True

    def generator_yield(self, node: cst.Yield, env: Env, frame: Frame) -> None:
        """`yield batch` / `yield from loader`: what iterating the generator gives."""
        if isinstance(node.value, cst.From):
            value = self.iter_element(self.eval(node.value.item, env))
        else:
            value = self.eval(node.value, env) if node.value is not None else Const(None)
        frame.yields.append(value)

    def last_batch_pass(self, stmt: cst.For, iterable: Value, env: Env, frame: Frame) -> None:
        """A DataLoader whose last batch is shorter: one more pass of the body with that batch,
        from the state the other batches leave (a hidden state sized for the full batch)."""
        last = self.last_element(iterable)
        if last is None or self.loop_body(stmt).leaves_early:
            return  # a break or continue may skip the short batch (`if len(x) < bs: continue`)
        before = env.copy()
        self.assign(stmt.target, last, env)
        self.exec_block(stmt.body, env, frame)
        env.absorb(before, env.copy())

    def last_element(self, value: Value) -> Optional[Value]:
        if isinstance(value, LoaderV):
            return value.last
        if isinstance(value, BoundV) and value.func == "enumerate":
            inner = self.last_element(value.receiver)
            return SeqV((IntV(UNKNOWN), inner)) if inner is not None else None
        return None

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

    def assign(self, target: cst.BaseExpression, value: Value, env: Env,
               value_node: Optional[cst.BaseExpression] = None) -> None:
        kind = type(target)
        if kind is cst.Name and target.value in env.outer:
            # a function that sets a global (or nonlocal) name: from then on it is unknown there
            self.rebind(target, TOP, env.parent or env)
        elif kind is cst.Name:
            env.vars[target.value] = self.labelled(value, target.value)
            if self.observer is not None:
                self.observer.bound(target, value, self.here())
        elif kind is cst.Tuple or kind is cst.List:
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
        elif kind is cst.Attribute:
            obj = self.eval(target.value, env)
            name = target.attr.value
            if isinstance(obj, (InstanceV, NamespaceV)):
                if isinstance(value, (RNNModuleV, LayerV)) and not value.label:  # named only where it is used
                    value = self.labelled(value, f"{code_of(target.value)}.{name}")
                # objects are shared by both paths of an undecided `if`: keep what both agree on
                if self.uncertain and name in obj.attrs:
                    value = join(obj.attrs[name], value)
                obj.attrs[name] = value
        elif kind is cst.Subscript:
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
