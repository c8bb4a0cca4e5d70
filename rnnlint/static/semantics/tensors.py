"""Tensors: factories (`torch.randn`, `x.new_zeros`), views and shape transfers (`view`,
`permute`, `cat`, indexing), and the table of tensor methods."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import libcst as cst

from ...contract import Dim, Shape, UNKNOWN
from ..values import TOP, Const, IntV, SeqV, TensorV, Value
from .context import (
    CallArgs, Context, Handler, _dims_from, _int_arg, _norm_axis, _subject, _tensor, _tensor_arg,
)


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


# --------------------------------------------------------------------------- shape transfers


def same(it: Context, call: CallArgs) -> Value:
    """Shape-preserving: .contiguous(), .to(...), .detach(), activations, dropout, ..."""
    t, _ = _subject(call)
    return t if t is not None else TOP


def untagged_same(it: Context, call: CallArgs) -> Value:
    t, _ = _subject(call)
    return t.untagged() if t is not None else TOP


def _with_dtype(dtype: str) -> Handler:
    def cast(it: Context, call: CallArgs) -> Value:
        t = call.receiver if isinstance(call.receiver, TensorV) else None
        return replace(t, dtype=dtype) if t is not None else TOP
    return cast


def view(it: Context, call: CallArgs) -> Value:
    t = call.receiver
    if not isinstance(t, TensorV):
        return TOP
    values = call.values()
    if len(values) == 1 and isinstance(values[0], SeqV):
        values = list(values[0].items)
    dims = [v.dim if isinstance(v, IntV) else UNKNOWN for v in values]
    if -1 in [d.value for d in dims]:
        i = [d.value for d in dims].index(-1)
        total = _numel(t.shape)
        rest = 1
        for j, d in enumerate(dims):
            if j != i:
                rest = rest * d.value if d.value is not None and rest is not None else None  # type: ignore[assignment]
        dims[i] = Dim(total // rest) if total is not None and rest else UNKNOWN
    keep = t.shape is not None and t.shape.rank_known and tuple(dims) == t.shape.dims
    result = TensorV(Shape(tuple(dims), True, t.origin), t.origin, dtype=t.dtype)
    if keep:
        return replace(t, shape=Shape(tuple(_keep_role(d, o) for d, o in zip(dims, t.shape.dims)), True, t.origin))  # type: ignore[union-attr]
    # a reshape that keeps the leading axes keeps their roles
    if t.shape is not None and t.shape.rank_known:
        kept = []
        for j, d in enumerate(dims):
            old = t.shape.dims[j] if j < len(t.shape.dims) else None
            kept.append(_keep_role(d, old) if old is not None and d.same(old) and j < len(t.shape.dims) - 1 else d)
        result = replace(result, shape=Shape(tuple(kept), True, t.origin))
    return result


def _keep_role(d: Dim, old: Dim) -> Dim:
    return d.with_role(old.role) if old.role and d.same(old) else d


def _numel(shape: Optional[Shape]) -> Optional[int]:
    if shape is None or not shape.rank_known:
        return None
    n = 1
    for d in shape.dims:
        if d.value is None:
            return None
        n *= d.value
    return n


def unsqueeze(it: Context, call: CallArgs) -> Value:
    t, off = _subject(call)
    axis = _int_arg(call, "dim", off)
    if t is None:
        return TOP
    if t.shape is None or not t.shape.rank_known or axis is None:
        return t.untagged().with_shape(None)
    dims = list(t.shape.dims)
    rank = len(dims) + 1
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < rank:
        return TOP
    dims.insert(a, Dim(1))
    return t.untagged().with_shape(Shape(tuple(dims), True, t.origin))


def squeeze(it: Context, call: CallArgs) -> Value:
    t, off = _subject(call)
    if t is None:
        return TOP
    if t.shape is None or not t.shape.rank_known:
        return t.untagged().with_shape(None)
    dims = list(t.shape.dims)
    has_axis = len(call.args) > off or "dim" in call.kwargs
    if not has_axis:
        if any(d.value is None for d in dims):
            return t.untagged().with_shape(None)
        return t.untagged().with_shape(Shape(tuple(d for d in dims if d.value != 1), True, t.origin))
    axis = _norm_axis(_int_arg(call, "dim", off), len(dims))
    if axis is None or axis >= len(dims):
        return t.untagged().with_shape(None)
    if dims[axis].value == 1:
        del dims[axis]
    elif dims[axis].value is None:
        return t.untagged().with_shape(None)
    return t.untagged().with_shape(Shape(tuple(dims), True, t.origin))


def _layout_after(t: TensorV, order: list[int]) -> Optional[str]:
    if t.role == "out" and t.layout and len(order) >= 2 and order[:2] == [1, 0]:
        return "batch" if t.layout == "time" else "time"
    if t.role == "out" and order[:2] == [0, 1]:
        return t.layout
    return None


def permute(it: Context, call: CallArgs) -> Value:
    t, off = _subject(call)
    if t is None:
        return TOP
    values = call.values()[off:]
    if len(values) == 1 and isinstance(values[0], SeqV):
        values = list(values[0].items)
    order = [v.dim.value if isinstance(v, IntV) else None for v in values]
    if t.shape is None or not t.shape.rank_known or None in order or len(order) != len(t.shape.dims):
        return t.untagged().with_shape(None)
    rank = len(order)
    order = [o + rank if o < 0 else o for o in order]  # type: ignore[operator]
    shape = Shape(tuple(t.shape.dims[o] for o in order), True, t.origin)  # type: ignore[index]
    layout = _layout_after(t, order)  # type: ignore[arg-type]
    if layout:
        return replace(t, shape=shape, layout=layout)
    return t.untagged().with_shape(shape)


def transpose(it: Context, call: CallArgs) -> Value:
    t, off = _subject(call)
    if t is None:
        return TOP
    a, b = _int_arg(call, "dim0", off), _int_arg(call, "dim1", off + 1)
    if t.shape is None or not t.shape.rank_known or a is None or b is None:
        return t.untagged().with_shape(None)
    rank = len(t.shape.dims)
    a, b = _norm_axis(a, rank), _norm_axis(b, rank)
    if a is None or b is None or a >= rank or b >= rank:
        return TOP
    order = list(range(rank))
    order[a], order[b] = order[b], order[a]
    shape = Shape(tuple(t.shape.dims[o] for o in order), True, t.origin)
    layout = _layout_after(t, order)
    if layout:
        return replace(t, shape=shape, layout=layout)
    return t.untagged().with_shape(shape)


def matrix_t(it: Context, call: CallArgs) -> Value:
    t, _ = _subject(call)
    if t is None:
        return TOP
    if t.shape is None or not t.shape.rank_known or len(t.shape.dims) > 2:
        return t.untagged().with_shape(None)
    return t.untagged().with_shape(Shape(tuple(reversed(t.shape.dims)), True, t.origin))


def flatten(it: Context, call: CallArgs) -> Value:
    t, off = _subject(call)
    if t is None:
        return TOP
    if t.shape is None or not t.shape.rank_known:
        return t.untagged().with_shape(None)
    rank = len(t.shape.dims)
    start = _norm_axis(_int_arg(call, "start_dim", off, 0), rank)
    end = _norm_axis(_int_arg(call, "end_dim", off + 1, -1), rank)
    if start is None or end is None or rank == 0:
        return t.untagged().with_shape(None)
    merged = Dim(1)
    for d in t.shape.dims[start:end + 1]:
        merged = merged * d
    dims = t.shape.dims[:start] + (merged,) + t.shape.dims[end + 1:]
    return t.untagged().with_shape(Shape(dims, True, t.origin))


def expand(it: Context, call: CallArgs) -> Value:
    t = call.receiver
    if not isinstance(t, TensorV):
        return TOP
    dims = _dims_from(call.values())
    if dims is None:
        return t.untagged().with_shape(None)
    if t.shape is not None and t.shape.rank_known and len(dims) >= len(t.shape.dims):
        lead = len(dims) - len(t.shape.dims)
        dims = tuple(t.shape.dims[i - lead] if d.value == -1 and i >= lead else d for i, d in enumerate(dims))
    return t.untagged().with_shape(Shape(dims, True, t.origin))


def repeat(it: Context, call: CallArgs) -> Value:
    t = call.receiver
    if not isinstance(t, TensorV):
        return TOP
    reps = _dims_from(call.values())
    if reps is None or t.shape is None or not t.shape.rank_known or len(reps) < len(t.shape.dims):
        return t.untagged().with_shape(None)
    lead = len(reps) - len(t.shape.dims)
    dims = tuple(r if i < lead else r * t.shape.dims[i - lead] for i, r in enumerate(reps))
    return t.untagged().with_shape(Shape(dims, True, t.origin))


def size(it: Context, call: CallArgs) -> Value:
    t = call.receiver
    if not isinstance(t, TensorV):
        return TOP
    if call.args or "dim" in call.kwargs:
        axis = _int_arg(call, "dim", 0)
        if axis is None or t.shape is None:
            return IntV(UNKNOWN)
        return IntV(t.shape.dim(axis))
    return shape_tuple(t)


def shape_tuple(t: TensorV) -> Value:
    if t.shape is None or not t.shape.rank_known:
        return TOP
    return SeqV(tuple(IntV(d) for d in t.shape.dims))


def dim_count(it: Context, call: CallArgs) -> Value:
    t = call.receiver
    if isinstance(t, TensorV) and t.shape is not None and t.shape.rank_known:
        return IntV(Dim(len(t.shape.dims)))
    return IntV(UNKNOWN)


def reduce_dim(it: Context, call: CallArgs) -> Value:
    """sum/mean/... over `dim`: removes it (keepdim=False); without dim the result is 0-D."""
    t, off = _subject(call)
    if t is None:
        return TOP
    if not call.args[off:] and "dim" not in call.kwargs:
        return TensorV(Shape(()), t.origin)
    axis = _int_arg(call, "dim", off)
    keep = call.get("keepdim", off + 1, Const(False))
    if t.shape is None or not t.shape.rank_known or axis is None or not isinstance(keep, Const):
        return t.untagged().with_shape(None)
    a = _norm_axis(axis, len(t.shape.dims))
    if a is None or a >= len(t.shape.dims):
        return TOP
    kept = (Dim(1),) if keep.value else ()
    shape = Shape(t.shape.dims[:a] + kept + t.shape.dims[a + 1:], True, t.origin)
    if t.rnn is not None and a < len(t.shape.dims) - 1:
        return TensorV(shape, t.origin, rnn=t.rnn, role="summary")  # pooled over time: still the RNN's features
    return t.untagged().with_shape(shape)


def concat(it: Context, call: CallArgs) -> Value:
    """torch.cat / torch.stack; resolves pending direction findings on h_n rows (RNN008)."""
    seq = call.get("tensors", 0)
    stacking = call.node.func is not None and _callee_name(call.node) in ("stack", "hstack", "vstack")
    if not isinstance(seq, SeqV):
        return TOP
    parts = list(seq.items)
    it.resolve_direction_pairs(parts)
    if not parts or not all(isinstance(p, TensorV) and p.shape is not None and p.shape.rank_known for p in parts):
        return TOP
    first = parts[0]
    assert isinstance(first, TensorV) and first.shape is not None
    rank = len(first.shape.dims)
    axis = _norm_axis(_int_arg(call, "dim", 1, 0), rank + (1 if stacking else 0))
    if axis is None or any(len(p.shape.dims) != rank for p in parts):  # type: ignore[union-attr]
        return TOP
    if stacking:
        dims = list(first.shape.dims)
        dims.insert(axis, Dim(len(parts)))
        return TensorV(Shape(tuple(dims), True, first.origin), first.origin)
    if axis >= rank:
        return TOP
    total = Dim(0)
    for p in parts:
        total = total + p.shape.dims[axis]  # type: ignore[union-attr]
    dims = list(first.shape.dims)
    dims[axis] = total
    rnn_parts = {p.rnn for p in parts if isinstance(p, TensorV)}
    tagged = len(rnn_parts) == 1 and None not in rnn_parts and axis == rank - 1
    result = TensorV(Shape(tuple(dims), True, first.origin), first.origin)
    if tagged:
        result = replace(result, rnn=first.rnn, role="summary")
    return result


def _callee_name(node: cst.Call) -> str:
    f = node.func
    if isinstance(f, cst.Attribute):
        return f.attr.value
    if isinstance(f, cst.Name):
        return f.value
    return ""


def getitem_shape(shape: Shape, index: list[object]) -> Optional[Shape]:
    """Shape after indexing with ints, slices, None and `...` (items: int or None for an
    unknown int, "full", "slice", "none", "ellipsis", "tensor" for advanced indexing)."""
    if "tensor" in index:
        return None
    if "ellipsis" in index:
        i = index.index("ellipsis")
        head, tail = index[:i], index[i + 1:]
        if not shape.rank_known:
            return None
        fill = len(shape.dims) - len([x for x in head + tail if x != "none"])
        if fill < 0:
            return None
        index = head + ["full"] * fill + tail
    dims: list[Dim] = []
    pos = 0
    src = shape.dims
    for item in index:
        if item == "none":
            dims.append(Dim(1))
            continue
        if pos >= len(src) and shape.rank_known:
            return None  # too many indices: torch raises, nothing to infer
        if not shape.rank_known:
            return None
        if item == "full":
            dims.append(src[pos])
        elif item == "slice":
            dims.append(UNKNOWN.with_role(src[pos].role))
        pos += 1
    dims.extend(src[pos:])
    return Shape(tuple(dims), True, shape.origin)



def new_factory(it: Context, call: CallArgs) -> Value:
    """`weight.new_zeros(layers, batch, hidden)` / `weight.new(...)`: a new tensor of those sizes."""
    return _tensor(it, call, _dims_from(call.values()) if call.args else None)


TENSOR_METHODS: dict[str, Handler] = {
    **{n: new_factory for n in ("new_zeros", "new_ones", "new_empty", "new")},
    "view": view,
    "reshape": view,
    "unsqueeze": unsqueeze,
    "squeeze": squeeze,
    "permute": permute,
    "transpose": transpose,
    "swapaxes": transpose,
    "t": matrix_t,
    "flatten": flatten,
    "expand": expand,
    "repeat": repeat,
    "size": size,
    "dim": dim_count,
    "ndimension": dim_count,
    "sum": reduce_dim,
    "mean": reduce_dim,
    **{n: same for n in ("contiguous", "to", "cuda", "cpu", "detach", "clone", "requires_grad_", "type_as",
                         "relu", "tanh", "sigmoid", "exp", "log", "abs", "pin_memory", "detach_", "zero_",
                         "fill_", "masked_fill", "clamp", "softmax", "log_softmax", "neg", "sqrt", "rsqrt",
                         "reciprocal", "sin", "cos", "square", "sign", "round", "floor", "ceil", "trunc",
                         "nan_to_num", "clamp_min", "clamp_max", "share_memory_")},
    # same shape, but the steps are reordered or mixed: no longer an RNN output's layout
    **{n: untagged_same for n in ("cumsum", "cumprod", "flip", "roll")},
    # in-place ops return the tensor itself, whatever they broadcast from
    **{n: same for n in ("normal_", "uniform_", "random_", "bernoulli_", "exponential_", "cauchy_",
                         "log_normal_", "geometric_", "copy_", "clamp_", "masked_fill_", "add_", "sub_",
                         "mul_", "div_", "neg_", "abs_", "relu_", "tanh_", "sigmoid_", "exp_", "log_",
                         "sqrt_", "pow_", "fmod_", "remainder_", "index_fill_", "scatter_")},
    **{n: _with_dtype(d) for n, d in (("float", "torch.float32"), ("double", "torch.float64"),
                                      ("half", "torch.float16"), ("long", "torch.int64"), ("int", "torch.int32"),
                                      ("bfloat16", "torch.bfloat16"))},
}

TENSOR_ATTRS = ("data",)
