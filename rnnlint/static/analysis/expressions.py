"""Expressions: literals, names, attributes, subscripts (a tensor indexed keeps or drops its
axes), containers, operators and comparisons. Calls are in `calls`."""

from __future__ import annotations

import operator
from functools import lru_cache
from typing import Any, Callable, Optional

import libcst as cst

from ...contract import Dim, Shape, UNKNOWN, bounded
from ..semantics.names import canonical, rnn_kind
from ..semantics.tensors import TENSOR_ATTRS, shape_tuple
from ..values import (
    TOP, BoundV, ClassV, Const, DictV, Env, FunctionV, InstanceV, IntV, LayerV, LoaderV, NamespaceV, ParserV, RefV,
    RNNModuleV, OneOfV, SeqV, SuperV, TensorV, Value, join, join_origins, options_of, truth,
)
from .statements import MAX_STEPS


# nn.Module methods that return the module itself: `model = Net(...).to(device)` is still Net
_RETURNS_SELF = frozenset({"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "bfloat16",
                           "requires_grad_", "share_memory", "to_empty"})
_BATCH_NAMES = frozenset({"batch_size", "batch", "bs", "bsz", "n_batch", "num_batch", "batchsize", "batch_sz"})
_TIME_NAMES = frozenset({"seq_len", "seq_length", "sequence_length", "timesteps", "time_steps", "n_steps",
                         "num_steps", "max_len", "max_length", "seqlen", "steps", "window", "window_size",
                         "seq_size", "lookback", "bptt"})


class ExpressionsMixin:
    """How the `Interpreter` evaluates expressions to abstract values."""

    _evaluators: dict[type, Callable[..., Value]]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls._evaluators = {}  # each node class's `eval_<name>` method, looked up once per class

    def eval(self, node: cst.BaseExpression, env: Env) -> Value:
        # the hottest method of a run: the step budget's count (`tick`) and the dispatch inline
        self.steps += 1
        if self.steps > MAX_STEPS:
            self.tick()
        method = self._evaluators.get(type(node))
        if method is None:
            method = self._evaluators[type(node)] = getattr(type(self), "eval_" + type(node).__name__, _unknown)
        return method(self, node, env)

    def eval_Integer(self, node: cst.Integer, env: Env) -> Value:
        try:  # the literal's own syntax (`0x1F`, `1_000`): what `int(x, 0)` reads, without a compile
            return IntV(bounded(int(node.value, 0)))
        except ValueError:
            return TOP

    def eval_Float(self, node: cst.Float, env: Env) -> Value:
        return Const(float(node.value))

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
        constant = _NAMED_CONSTANTS.get(name)
        if constant is not None:
            return constant
        scope: Optional[Env] = env  # `env.lookup(name)`, inline on this hot path
        value = None
        while scope is not None:
            if name in scope.vars:
                value = scope.vars[name]
                break
            scope = scope.parent
        if value is None and name == "__name__":
            # the linted file is read as the script being run, so its `if __name__ ==
            # "__main__":` block runs (and the globals it binds are the ones its functions see)
            return Const("__main__") if self.current is self.main else TOP
        if value is None:
            return _builtin(name)
        if isinstance(value, IntV):
            role = _role(name)
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
            return _member(base.qualname, name)
        if isinstance(base, InstanceV):
            if name in base.attrs:
                value = base.attrs[name]
                if isinstance(value, IntV) and node is not None:
                    role = _role(name)
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
        if isinstance(base, SeqV) and name in base.fields:
            return base.items[base.fields.index(name)]
        if isinstance(base, (DictV, SeqV, LoaderV)):
            return BoundV(base, name)
        if isinstance(base, (Const, OneOfV)) and options_of(base) is not None:
            return BoundV(base, name)  # a str method: `args.cell.upper()`
        return TOP

    def eval_Tuple(self, node: cst.Tuple, env: Env) -> Value:
        return self.sequence(node.elements, env, "tuple")

    def eval_List(self, node: cst.List, env: Env) -> Value:
        return self.sequence(node.elements, env, "list")

    def sequence(self, elements: list, env: Env, kind: str) -> Value:
        items = []
        for e in elements:
            if type(e) is cst.StarredElement:
                inner = self.eval(e.value, env)
                if not isinstance(inner, SeqV):
                    return TOP
                items.extend(inner.items)
            else:
                items.append(self.eval(e.value, env))
        self.resolve_step_pairs(items)  # (out[0], out[-1]) written together: both ends are kept
        return SeqV(tuple(items), kind)

    def eval_Dict(self, node: cst.Dict, env: Env) -> Value:
        items: dict[object, Value] = {}
        partial = False
        for e in node.elements:
            if type(e) is not cst.DictElement:
                return TOP
            key = self.eval(e.key, env)
            k = key.value if isinstance(key, Const) else key.dim.value if isinstance(key, IntV) else None
            value = self.eval(e.value, env)
            if k is not None:
                items[k] = value
            else:
                partial = True
        return DictV(items, partial)

    def eval_IfExp(self, node: cst.IfExp, env: Env) -> Value:
        narrowed = self.narrow(node.test, env)
        if narrowed is not None:
            name, when_true, when_false = narrowed
            return join(self.eval(node.body, Env(env, {name: when_true})),
                        self.eval(node.orelse, Env(env, {name: when_false})))
        cond = truth(self.eval(node.test, env))
        if cond is True:
            return self.eval(node.body, env)
        if cond is False:
            return self.eval(node.orelse, env)
        return join(self.eval(node.body, env), self.eval(node.orelse, env))

    def eval_BooleanOperation(self, node: cst.BooleanOperation, env: Env) -> Value:
        left = self.eval(node.left, env)
        t = truth(left)
        if type(node.operator) is cst.And:
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
        op = type(node.operator)
        if op is cst.Minus and isinstance(value, IntV):
            return IntV(Dim(0) - value.dim) if value.dim.value is not None else TOP
        if op is cst.Minus and isinstance(value, Const) and isinstance(value.value, float):
            return Const(-value.value)
        if op is cst.Not:
            t = truth(value)
            return Const(not t) if t is not None else TOP
        return value if isinstance(value, TensorV) else TOP

    def eval_BinaryOperation(self, node: cst.BinaryOperation, env: Env) -> Value:
        return self.binop(self.eval(node.left, env), node.operator, self.eval(node.right, env))

    def binop(self, left: Value, op: cst.CSTNode, right: Value) -> Value:
        if isinstance(left, IntV) and isinstance(right, IntV):
            symbol = _ARITHMETIC.get(type(op))
            if symbol is None:
                if type(op) in (cst.Divide, cst.DivideAssign) and left.dim.value is not None and right.dim.value:
                    return Const(left.dim.value / right.dim.value)
                return TOP
            result = left.dim._combine(right.dim, symbol)
            origin = join_origins(left.dim.origin, right.dim.origin)
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
        if isinstance(left, SeqV) and isinstance(right, SeqV) and type(op) is cst.Add:
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
        if isinstance(left, OneOfV) or isinstance(right, OneOfV):
            # a choice made at run time: known when every option gives the same answer
            outcomes = {self.compare(a, comp.operator, b) for a in options_of(left) or (left,)
                        for b in options_of(right) or (right,)}
            return outcomes.pop() if len(outcomes) == 1 else TOP
        return self.compare(left, comp.operator, right)

    def compare(self, left: Value, op: cst.BaseCompOp, right: Value) -> Value:
        a = left.value if isinstance(left, Const) else left.dim.value if isinstance(left, IntV) else _MISSING
        b = right.value if isinstance(right, Const) else right.dim.value if isinstance(right, IntV) else _MISSING
        kind = type(op)
        if (kind is cst.In or kind is cst.NotIn) and isinstance(left, Const) and isinstance(right, SeqV) and all(
                isinstance(v, Const) for v in right.items):
            found = left.value in [v.value for v in right.items]  # type: ignore[union-attr]
            return Const(found if kind is cst.In else not found)
        if (kind is cst.Is or kind is cst.IsNot) and isinstance(right, Const) and right.value is None:
            if isinstance(left, Const):
                return Const((left.value is None) == (kind is cst.Is))
            if isinstance(left, (TensorV, RNNModuleV, LayerV, InstanceV, SeqV)):
                return Const(kind is not cst.Is)
            return TOP
        if a is _MISSING or b is _MISSING or a is None and not isinstance(left, Const) or b is None and not isinstance(
                right, Const):
            return TOP
        relation = _ORDER.get(kind)
        if relation is None:
            return TOP
        try:
            return Const(relation(a, b))
        except TypeError:
            return TOP

    def eval_FormattedString(self, node: cst.FormattedString, env: Env) -> Value:
        for part in node.parts:  # the expressions of an f-string are run: `f"{rnn(x)}"`
            if type(part) is cst.FormattedStringExpression:
                self.eval(part.expression, env)
        return TOP

    def eval_Lambda(self, node: cst.Lambda, env: Env) -> Value:
        """A lambda is a function of one `return` statement (made once per lambda node)."""
        if id(node) not in self.lambdas:
            body = cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Return(value=node.body)])])
            self.lambdas[id(node)] = (node, cst.FunctionDef(name=cst.Name("lambda"), params=node.params, body=body))
        return FunctionV(self.lambdas[id(node)][1], env, self.current.path, top=self.top)

    def eval_ListComp(self, node: cst.ListComp, env: Env) -> Value:
        return self.comprehension(node, (node.elt,), env)

    def eval_SetComp(self, node: cst.SetComp, env: Env) -> Value:
        return self.comprehension(node, (node.elt,), env)

    def eval_GeneratorExp(self, node: cst.GeneratorExp, env: Env) -> Value:
        return self.comprehension(node, (node.elt,), env)

    def eval_DictComp(self, node: cst.DictComp, env: Env) -> Value:
        return self.comprehension(node, (node.key, node.value), env)

    def comprehension(self, node: cst.BaseComp, parts: tuple[cst.BaseExpression, ...], env: Env) -> Value:
        """The element of a comprehension is read once, in a scope of its own, with each loop
        variable bound to an element of its iterable (its calls are checked); its result,
        a collection of unknown length, is unknown."""
        scope = Env(env)
        clause: Optional[cst.BaseCompFor] = node.for_in
        while clause is not None:
            iterable = self.eval(clause.iter, scope)
            element = IntV(UNKNOWN) if self.counts(clause.iter, scope) else self.iter_element(iterable)
            self.assign(clause.target, element, scope)
            for condition in clause.ifs:
                self.eval(condition.test, scope)
            clause = clause.inner_for_in
        for part in parts:
            self.eval(part, scope)
        return TOP


_MISSING = object()
_ARITHMETIC = {cst.Add: "+", cst.AddAssign: "+", cst.Subtract: "-", cst.SubtractAssign: "-", cst.Multiply: "*",
               cst.MultiplyAssign: "*", cst.FloorDivide: "//", cst.FloorDivideAssign: "//"}
_ORDER: dict[type, Callable[[Any, Any], bool]] = {
    cst.Equal: operator.eq, cst.NotEqual: operator.ne, cst.GreaterThan: operator.gt, cst.LessThan: operator.lt,
    cst.GreaterThanEqual: operator.ge, cst.LessThanEqual: operator.le,
}
_NAMED_CONSTANTS = {"True": Const(True), "False": Const(False), "None": Const(None)}


# references are immutable: one per name serves every read of it (`nn.LSTM`, `range`)
@lru_cache(maxsize=4096)
def _member(qualname: str, name: str) -> RefV:
    return RefV(canonical(f"{qualname}.{name}"))


@lru_cache(maxsize=1024)
def _builtin(name: str) -> RefV:
    return RefV(f"builtins.{name}")


@lru_cache(maxsize=1024)
def _role(name: str) -> Optional[str]:
    """What an int's name says its axis is: a batch or a time size."""
    lower = name.lower()
    return "batch" if lower in _BATCH_NAMES else "time" if lower in _TIME_NAMES else None


def _unknown(it: object, node: cst.BaseExpression, env: Env) -> Value:
    return TOP
