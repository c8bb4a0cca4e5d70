"""Tensor factories: what builds a tensor from sizes or data (`torch.randn`, `torch.tensor`,
the legacy `torch.FloatTensor`, `x.new_zeros`, `F.one_hot`, `torch.eye`), with its shape."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import libcst as cst

from ...contract import Dim, Shape, UNKNOWN
from ..values import TOP, Const, IntV, SeqV, TensorV, Value, dim_of
from .context import CallArgs, Context, Handler, _dims_from, _tensor, _tensor_arg

# --------------------------------------------------------------------------- factories


def factory(it: Context, call: CallArgs) -> Value:
    sizes = [v for v, a in call.args]
    if "size" in call.kwargs:
        sizes = [call.kwargs["size"][0]]
    return _tensor(it, call, _dims_from(sizes) if sizes else None)


def full(it: Context, call: CallArgs) -> Value:
    return _tensor(it, call, _dims_from([call.get("size", 0)]))


def randint(it: Context, call: CallArgs) -> Value:
    size = call.kwargs["size"][0] if "size" in call.kwargs else (call.pos(len(call.args) - 1) if call.args else TOP)
    t = _tensor(it, call, _dims_from([size]) if isinstance(size, SeqV) else None)
    return replace(t, dtype=t.dtype or "torch.int64")


def like(it: Context, call: CallArgs) -> Value:
    src = _tensor_arg(call)
    return _tensor(it, call, src.shape.dims if src and src.shape and src.shape.rank_known else None) if src else TOP


def tensor_literal(it: Context, call: CallArgs) -> Value:
    def shape_of(v: Value) -> Optional[tuple[Dim, ...]]:
        if isinstance(v, SeqV):
            inner = [shape_of(x) for x in v.items]
            if inner and all(s == inner[0] and s is not None for s in inner):
                return (Dim(len(v.items)),) + inner[0]  # type: ignore[operator]
            return (Dim(len(v.items)),) if not v.items else None
        if isinstance(v, (IntV, Const)):
            return ()
        return None

    return _tensor(it, call, shape_of(call.pos(0)))


def arange(it: Context, call: CallArgs) -> Value:
    ints = [v.dim.value if isinstance(v, IntV) else None for v in call.values()]
    n: Optional[int] = None
    if len(ints) == 1 and ints[0] is not None:
        n = ints[0]
    elif len(ints) == 2 and None not in ints:
        n = ints[1] - ints[0]  # type: ignore[operator]
    return _tensor(it, call, (Dim(max(n, 0)) if n is not None else UNKNOWN,))


def new_factory(it: Context, call: CallArgs) -> Value:
    """`weight.new_zeros(layers, batch, hidden)`: a new tensor of those sizes, the receiver's dtype."""
    sizes = call.kwargs["size"][0] if "size" in call.kwargs else call.values()
    t = _tensor(it, call, _dims_from(sizes if isinstance(sizes, list) else [sizes]) if call.args or
                "size" in call.kwargs else None)
    return _inherit_dtype(t, call)


def new_full(it: Context, call: CallArgs) -> Value:
    """`x.new_full(size, fill_value)`: only the first argument is sizes."""
    t = _tensor(it, call, _dims_from([call.get("size", 0)]))
    return _inherit_dtype(t, call)


def _inherit_dtype(t: TensorV, call: CallArgs) -> TensorV:
    recv = call.receiver
    if t.dtype is None and isinstance(recv, TensorV):
        return replace(t, dtype=recv.dtype)
    return t


def _sizes_or_data(it: Context, call: CallArgs, dtype: Optional[str]) -> Value:
    """The legacy constructors `torch.FloatTensor(...)`, `torch.Tensor(...)` and `x.new(...)`:
    ints are sizes (`FloatTensor(1, 4, 16)`), a list or tuple written out is data
    (`FloatTensor([[1, 2], [3, 4]])` has shape (2, 2)), a tensor is copied; a sequence held in a
    name may be a torch.Size (sizes) or a tuple of data: unknown."""
    if call.star or call.kwargs.keys() - {"device", "requires_grad"}:
        return TensorV(None, it.describe_call(call.node), dtype=dtype)
    values = call.values()
    if not values:
        t = _tensor(it, call, (Dim(0),))
    elif all(isinstance(v, IntV) for v in values):
        t = _tensor(it, call, _dims_from(values))
    elif len(values) == 1 and isinstance(call.args[0][1].value, (cst.List, cst.Tuple)):
        t = tensor_literal(it, call)  # type: ignore[assignment]
    elif len(values) == 1 and isinstance(values[0], TensorV):
        t = values[0].untagged()
    elif len(values) == 1 and isinstance(values[0], SeqV) and values[0].kind == "list":
        t = tensor_literal(it, call)  # type: ignore[assignment]
    else:
        t = TensorV(None, it.describe_call(call.node))
    return replace(t, dtype=dtype or t.dtype)


def legacy_tensor(dtype: Optional[str]) -> Handler:
    def build(it: Context, call: CallArgs) -> Value:
        return _sizes_or_data(it, call, dtype)
    return build


def new_legacy(it: Context, call: CallArgs) -> Value:
    """`x.new(sizes...)` / `x.new(data)`: like the legacy constructors, with the receiver's dtype."""
    recv = call.receiver
    return _sizes_or_data(it, call, recv.dtype if isinstance(recv, TensorV) else None)


def variable(it: Context, call: CallArgs) -> Value:
    """`torch.autograd.Variable(x)`: the tensor itself."""
    x = call.get("data", 0)
    return x if isinstance(x, TensorV) else TOP


def from_numpy(it: Context, call: CallArgs) -> Value:
    """A tensor whose shape is the array's: unknown here."""
    return TensorV(None, it.describe_call(call.node))


def one_hot(it: Context, call: CallArgs) -> Value:
    """`F.one_hot(i, n)`: i's shape with n appended (n=-1: the largest index + 1, unknown)."""
    t = _tensor_arg(call, 0, "tensor")
    n = call.get("num_classes", 1, IntV(Dim(-1)))
    if t is None:
        return TOP
    origin = it.describe_call(call.node)
    if t.shape is None or not t.shape.rank_known:
        return TensorV(None, origin, dtype="torch.int64")
    classes = n.dim if isinstance(n, IntV) and n.dim.value != -1 else UNKNOWN
    return TensorV(Shape(t.shape.dims + (classes.with_role("feature"),), True, origin), origin, dtype="torch.int64")


def eye(it: Context, call: CallArgs) -> Value:
    n = call.get("n", 0)
    m = call.get("m", 1, n)
    if not isinstance(m, IntV):
        m = n  # a dtype or device given by position is not a size
    return _tensor(it, call, (dim_of(n), dim_of(m)) if isinstance(n, IntV) else None)
