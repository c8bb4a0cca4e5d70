"""Expressions: literals, names, attributes, subscripts (a tensor indexed keeps or drops its
axes), containers, operators and comparisons. Calls are in `calls`."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...contract import Dim, Shape, UNKNOWN, bounded
from ..semantics.names import canonical, rnn_kind
from ..semantics.tensors import TENSOR_ATTRS, getitem_shape, output_step, shape_tuple, slice_length, take_rows
from ..values import (
    TOP, BoundV, ClassV, Const, DictV, Env, FunctionV, InstanceV, IntV, LayerV, LoaderV, NamespaceV, ParserV, RefV,
    RNNModuleV, SeqV, SuperV, TensorV, Value, join, join_origins, truth,
)


# nn.Module methods that return the module itself: `model = Net(...).to(device)` is still Net
_RETURNS_SELF = frozenset({"to", "cuda", "cpu", "train", "eval", "float", "double", "half", "bfloat16",
                           "requires_grad_", "share_memory", "to_empty"})
_BATCH_NAMES = frozenset({"batch_size", "batch", "bs", "bsz", "n_batch", "num_batch", "batchsize", "batch_sz"})
_TIME_NAMES = frozenset({"seq_len", "seq_length", "sequence_length", "timesteps", "time_steps", "n_steps",
                         "num_steps", "max_len", "max_length", "seqlen", "steps", "window", "window_size",
                         "seq_size", "lookback", "bptt"})


class ExpressionsMixin:
    """How the `Interpreter` evaluates expressions to abstract values."""

    def eval(self, node: cst.BaseExpression, env: Env) -> Value:
        self.tick()
        method = getattr(self, "eval_" + type(node).__name__, None)
        if method is None:
            return TOP
        return method(node, env)

    def eval_Integer(self, node: cst.Integer, env: Env) -> Value:
        try:
            return IntV(bounded(int(node.evaluated_value)))
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
        if isinstance(base, SeqV) and name in base.fields:
            return base.items[base.fields.index(name)]
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
        v: Value = TOP
        first_slice: Optional[list[Value]] = None
        for element in node.slice:
            s = element.slice
            if isinstance(s, cst.Slice):
                full = s.lower is None and s.upper is None and s.step is None
                items.append("full" if full else "slice")
                bounds = [self.eval(b, env) if b is not None else Const(None) for b in (s.lower, s.upper, s.step)]
                if len(items) == 1 and not full:
                    first_slice = bounds
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
        if items == ["tensor"]:
            shape = take_rows(t, v)
        if first_slice is not None and shape is not None and t.shape is not None and t.shape.rank_known:
            shape = Shape((slice_length(t.shape.dims[0], *first_slice),) + shape.dims[1:], True, shape.origin)
        if t.role in ("h_n", "c_n") and items and isinstance(items[0], int) and len(
                [i for i in items if i not in ("full",)]) == 1:
            return TensorV(shape, t.origin, rnn=t.rnn, role="state_row", row=items[0], row_node=node)
        keeps_features = shape is not None and t.shape is not None and shape.dims and t.shape.dims and \
            shape.last.same(t.shape.last) and (len(items) < (t.shape.rank or 0) or items[-1] == "full")
        step = output_step(t, items) if t.rnn is not None and t.role == "out" else None
        if t.rnn is not None and (keeps_features or step is not None and shape is None):
            if t.role == "out":  # one time step, of known shape or not: its features are the RNN's
                return TensorV(shape, t.origin, rnn=t.rnn, role="summary", row=step, row_node=node)
            return TensorV(shape, t.origin, rnn=t.rnn, role=t.role)
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
        self.resolve_step_pairs(items)  # (out[0], out[-1]) written together: both ends are kept
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


_MISSING = object()


def _size_of_axis(expr: cst.BaseExpression, axis: int) -> bool:
    """`x.size(axis)` or `x.shape[axis]`."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "size":
        return len(expr.args) == 1 and isinstance(expr.args[0].value, cst.Integer) and \
            expr.args[0].value.evaluated_value == axis
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "shape":
        el = expr.slice[0].slice if len(expr.slice) == 1 else None
        return isinstance(el, cst.Index) and isinstance(el.value, cst.Integer) and el.value.evaluated_value == axis
    return False


def _size_base(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.func.value if isinstance(expr, cst.Call) else expr.value.value  # type: ignore[union-attr]
