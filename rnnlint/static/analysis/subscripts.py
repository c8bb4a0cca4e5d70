"""How the `Interpreter` reads a subscript: an item of a sequence, dict or registry, and an index
into a tensor (which axis it takes, and whether it is the last step of an RNN's output)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ...contract import Dim, Shape
from ..semantics.tensors import getitem_shape, output_step, slice_length, take_rows
from ..values import TOP, Const, DictV, Env, IntV, RefV, OneOfV, SeqV, TensorV, Value, one_of


class SubscriptsMixin:
    """How the `Interpreter` evaluates `x[...]`."""

    def eval_Subscript(self, node: cst.Subscript, env: Env) -> Value:
        base = self.eval(node.value, env)
        elements = node.slice
        if isinstance(base, (SeqV, DictV)) and len(elements) == 1 and isinstance(elements[0].slice, cst.Index):
            key = self.eval(elements[0].slice.value, env)
            if isinstance(base, SeqV):
                if isinstance(key, IntV) and key.dim.value is not None and -len(base.items) <= key.dim.value < len(
                        base.items):
                    return base.items[key.dim.value]
                # a key not known here, if the lookup succeeds, picks one of the items
                return self.pick(list(base.items)) if not isinstance(key, IntV) or key.dim.value is None else TOP
            if isinstance(key, OneOfV):  # `{"lstm": nn.LSTM, "gru": nn.GRU}[args.cell]`
                found = [base.items[o.value] for o in key.options if isinstance(o, Const) and o.value in base.items]
                return self.pick(found) if len(found) == len(key.options) and not base.partial else TOP
            k = key.value if isinstance(key, Const) else key.dim.value if isinstance(key, IntV) else None
            if k is not None:
                return base.items.get(k, TOP)
            return self.pick(list(base.items.values())) if not base.partial else TOP
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

    def pick(self, candidates: list[Value]) -> Value:
        """An item of a registry looked up with a key not known here: one of its classes, when all
        its items are references (`RNNS[name](...)`); anything else is unknown."""
        if not candidates or not all(isinstance(c, RefV) for c in candidates):
            return TOP
        return one_of(tuple(candidates))

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
            if shape is None and t.shape is not None and not t.shape.rank_known and len(items) <= 2:
                shape = t.shape  # a state is 2-D or 3-D: one row keeps its trailing feature size
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
