"""Tensors: views and shape transfers (`view`, `permute`, `cat`, indexing, `max`, `unbind`),
and the table of tensor methods (factories are in `factories.py`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import libcst as cst

from ...contract import Dim, Shape, UNKNOWN
from ..values import TOP, Const, IntV, LoaderV, SeqV, TensorV, Value
from .context import CallArgs, Context, Handler, _dims_from, _int_arg, _norm_axis, _subject
from .factories import new_factory, new_full, new_legacy, tensor_literal


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
    if t.role in ("h_n", "c_n"):
        it.check_state_view(call.node, t, dims)
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
    return _reordered(t, order)  # type: ignore[arg-type]


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
    return _reordered(t, order)


def _reordered(t: TensorV, order: list[int]) -> TensorV:
    """`t` with its axes in `order` (a permutation of a known rank); the layout tag follows the
    axes when it still means something."""
    assert t.shape is not None
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


def output_step(t: TensorV, index: list[object]) -> Optional[int]:
    """The time step `out[-1]` / `out[:, 0]` takes from an RNN output of known layout, if any."""
    batch_first = t.layout == "batch" if t.layout else t.rnn.spec.batch_first if t.rnn else None
    if batch_first is None:
        return None
    axis = 1 if batch_first else 0
    step = index[axis] if axis < len(index) else None
    rest = [i for i in index if i != "full"]
    return step if isinstance(step, int) and rest == [step] else None


def slice_length(size: Dim, lower: Value, upper: Value, step: Value) -> Dim:
    """How many items `x[lower:upper]` keeps of an axis of `size`: known for constant bounds
    of a known size, and for `x[-k:]` / `x[:k]` when the axis has at least k items."""
    if not (isinstance(step, Const) and step.value is None):
        return UNKNOWN.with_role(size.role)
    bounds = [b.dim.value if isinstance(b, IntV) else None if isinstance(b, Const) and b.value is None else "?"
              for b in (lower, upper)]
    if "?" in bounds:
        return UNKNOWN.with_role(size.role)
    lo, hi = bounds
    if size.value is not None:
        return Dim(len(range(size.value)[lo:hi])).with_role(size.role)  # type: ignore[misc]
    k = -lo if isinstance(lo, int) and lo < 0 and hi is None else hi if lo in (None, 0) and isinstance(hi, int) and \
        hi > 0 else None
    if k is not None and at_least(size, k):
        return Dim(k).with_role(size.role)
    return UNKNOWN.with_role(size.role)


def at_least(d: Dim, n: int) -> bool:
    """True when `d >= n` is proved for every value of its symbols."""
    form = d.form
    if form is None or any(c < 0 for _, c, _ in form[1]):
        return False
    return form[0] + sum(c * least for _, c, least in form[1]) >= n


_INDEX_DTYPES = frozenset({"torch.int64", "torch.int32", "torch.long", "torch.int"})


def take_rows(t: TensorV, index: Value) -> Optional[Shape]:
    """`table[i]` with a tensor of integer indices (`torch.eye(n)[labels]`): the index's shape,
    then the table's other axes. A bool mask or an index of unknown dtype: unknown."""
    if not isinstance(index, TensorV) or index.dtype not in _INDEX_DTYPES or index.shape is None or \
            not index.shape.rank_known or t.shape is None or not t.shape.rank_known or not t.shape.dims:
        return None
    return Shape(index.shape.dims + t.shape.dims[1:], True, t.origin)


def extreme(it: Context, call: CallArgs) -> Value:
    """`x.max(dim)` / `torch.min(x, dim=1)` / `x.sort(dim)`: a (values, indices) pair; without a
    dim, max and min give the 0-D overall value; `torch.max(a, b)` is elementwise."""
    t, off = _subject(call)
    if t is None:
        return TOP
    sorting = _callee_name(call.node) == "sort"
    axis = call.get("dim", off, IntV(Dim(-1)) if sorting else Const(None))
    if isinstance(axis, Const) and axis.value is None and not call.star:
        return TensorV(Shape(()), t.origin, dtype=t.dtype)
    if not isinstance(axis, IntV):
        return TOP
    values = t.untagged() if sorting else reduce_dim(it, call)
    if not isinstance(values, TensorV):
        return TOP
    return SeqV((values, replace(values.untagged(), dtype="torch.int64")), fields=("values", "indices"))


def unbind(it: Context, call: CallArgs) -> Value:
    """`x.unbind(1)`: the slices along that axis, each without it (a loop gives one step)."""
    t, off = _subject(call)
    axis = _int_arg(call, "dim", off, 0)
    if t is None:
        return TOP
    if t.shape is None or not t.shape.rank_known or axis is None:
        return LoaderV(t.untagged().with_shape(None))
    rank = len(t.shape.dims)
    a = _norm_axis(axis, rank)
    if a is None or a >= rank:
        return TOP
    part = t.untagged().with_shape(Shape(t.shape.dims[:a] + t.shape.dims[a + 1:], True, t.origin))
    count = t.shape.dims[a].value
    return SeqV((part,) * count) if count is not None and count <= _MAX_UNBIND else LoaderV(part)


_MAX_UNBIND = 64  # past this many slices, a loop's element stands for them all


TENSOR_METHODS: dict[str, Handler] = {
    **{n: new_factory for n in ("new_zeros", "new_ones", "new_empty")},
    "new": new_legacy,
    "new_full": new_full,
    "new_tensor": tensor_literal,
    **{n: extreme for n in ("max", "min", "sort")},
    "unbind": unbind,
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
