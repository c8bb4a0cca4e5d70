"""Torch semantics as data: qualified names and tensor methods mapped to shape transfer functions.

The interpreter looks a call up here and stays generic. A transfer function takes the
interpreter (to report a finding or describe a position) and the evaluated call, and returns
the abstract result; whatever it cannot compute is TOP or a partly unknown shape.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Optional

import libcst as cst

from ..contract import Dim, Shape, UNKNOWN, Violation
from .values import (
    TOP, Const, IntV, LayerV, Lazy, LoaderV, SeqV, TensorV, Value, dim_of,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


@dataclass
class CallArgs:
    """An evaluated call: values with their nodes, the receiver for methods."""

    node: cst.Call
    args: list[tuple[Value, cst.Arg]]
    kwargs: dict[str, tuple[Value, cst.Arg]]
    star: bool = False  # *args or **kwargs were passed: positions/keywords are not all known
    receiver: Optional[Value] = None

    def pos(self, i: int) -> Value:
        return self.args[i][0] if i < len(self.args) else TOP

    def get(self, name: str, i: Optional[int] = None, default: Value = TOP) -> Value:
        if name in self.kwargs:
            return self.kwargs[name][0]
        if i is not None and i < len(self.args):
            return self.args[i][0]
        return default if not self.star else TOP

    def values(self) -> list[Value]:
        return [v for v, _ in self.args]


Handler = Callable[["Interpreter", CallArgs], Value]


# --------------------------------------------------------------------------- helpers


def _dims_from(values: list[Value]) -> Optional[tuple[Dim, ...]]:
    """Size arguments given as varargs (2, 3) or as one tuple/list ((2, 3)) or torch.Size."""
    if len(values) == 1 and isinstance(values[0], SeqV):
        values = list(values[0].items)
    if any(not isinstance(v, IntV) for v in values):
        return None
    return tuple(v.dim for v in values)  # type: ignore[union-attr]


def _shape(dims: Optional[tuple[Dim, ...]], origin: str) -> Optional[Shape]:
    return Shape(dims, True, origin) if dims is not None else None


def _tensor(it: "Interpreter", call: CallArgs, dims: Optional[tuple[Dim, ...]]) -> TensorV:
    origin = it.describe_call(call.node)
    dtype = call.kwargs.get("dtype", (TOP, None))[0]
    return TensorV(_shape(dims, origin), origin, dtype=_dtype_name(dtype))


def _dtype_name(value: Value) -> Optional[str]:
    from .values import RefV

    return value.qualname if isinstance(value, RefV) else None


def _tensor_arg(call: CallArgs, i: int = 0, name: str = "input") -> Optional[TensorV]:
    v = call.get(name, i)
    return v if isinstance(v, TensorV) else None


def _subject(call: CallArgs) -> tuple[Optional[TensorV], int]:
    """The tensor an op applies to, and where its other arguments start: `x.op(a)` or `torch.op(x, a)`."""
    if isinstance(call.receiver, TensorV):
        return call.receiver, 0
    return _tensor_arg(call), 1


def _int_arg(call: CallArgs, name: str, i: Optional[int], default: Optional[int] = None) -> Optional[int]:
    v = call.get(name, i, IntV(Dim(default)) if default is not None else TOP)
    return v.dim.value if isinstance(v, IntV) else None


def _norm_axis(axis: Optional[int], rank: Optional[int]) -> Optional[int]:
    if axis is None:
        return None
    if axis < 0:
        return axis + rank if rank is not None and axis + rank >= 0 else None
    return axis


# --------------------------------------------------------------------------- factories


def factory(it: "Interpreter", call: CallArgs) -> Value:
    sizes = [v for v, a in call.args]
    if "size" in call.kwargs:
        sizes = [call.kwargs["size"][0]]
    return _tensor(it, call, _dims_from(sizes) if sizes else None)


def full(it: "Interpreter", call: CallArgs) -> Value:
    return _tensor(it, call, _dims_from([call.get("size", 0)]))


def randint(it: "Interpreter", call: CallArgs) -> Value:
    size = call.kwargs["size"][0] if "size" in call.kwargs else (call.pos(len(call.args) - 1) if call.args else TOP)
    t = _tensor(it, call, _dims_from([size]) if isinstance(size, SeqV) else None)
    return replace(t, dtype=t.dtype or "torch.int64")


def like(it: "Interpreter", call: CallArgs) -> Value:
    src = _tensor_arg(call)
    return _tensor(it, call, src.shape.dims if src and src.shape and src.shape.rank_known else None) if src else TOP


def tensor_literal(it: "Interpreter", call: CallArgs) -> Value:
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


def arange(it: "Interpreter", call: CallArgs) -> Value:
    ints = [v.dim.value if isinstance(v, IntV) else None for v in call.values()]
    n: Optional[int] = None
    if len(ints) == 1 and ints[0] is not None:
        n = ints[0]
    elif len(ints) == 2 and None not in ints:
        n = ints[1] - ints[0]  # type: ignore[operator]
    return _tensor(it, call, (Dim(max(n, 0)) if n is not None else UNKNOWN,))


# --------------------------------------------------------------------------- shape transfers


def same(it: "Interpreter", call: CallArgs) -> Value:
    """Shape-preserving: .contiguous(), .to(...), .detach(), activations, dropout, ..."""
    t, _ = _subject(call)
    return t if t is not None else TOP


def untagged_same(it: "Interpreter", call: CallArgs) -> Value:
    t, _ = _subject(call)
    return t.untagged() if t is not None else TOP


def _with_dtype(dtype: str) -> Handler:
    def cast(it: "Interpreter", call: CallArgs) -> Value:
        t = call.receiver if isinstance(call.receiver, TensorV) else None
        return replace(t, dtype=dtype) if t is not None else TOP
    return cast


def view(it: "Interpreter", call: CallArgs) -> Value:
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


def unsqueeze(it: "Interpreter", call: CallArgs) -> Value:
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


def squeeze(it: "Interpreter", call: CallArgs) -> Value:
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


def permute(it: "Interpreter", call: CallArgs) -> Value:
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


def transpose(it: "Interpreter", call: CallArgs) -> Value:
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


def matrix_t(it: "Interpreter", call: CallArgs) -> Value:
    t, _ = _subject(call)
    if t is None:
        return TOP
    if t.shape is None or not t.shape.rank_known or len(t.shape.dims) > 2:
        return t.untagged().with_shape(None)
    return t.untagged().with_shape(Shape(tuple(reversed(t.shape.dims)), True, t.origin))


def flatten(it: "Interpreter", call: CallArgs) -> Value:
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


def expand(it: "Interpreter", call: CallArgs) -> Value:
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


def repeat(it: "Interpreter", call: CallArgs) -> Value:
    t = call.receiver
    if not isinstance(t, TensorV):
        return TOP
    reps = _dims_from(call.values())
    if reps is None or t.shape is None or not t.shape.rank_known or len(reps) < len(t.shape.dims):
        return t.untagged().with_shape(None)
    lead = len(reps) - len(t.shape.dims)
    dims = tuple(r if i < lead else r * t.shape.dims[i - lead] for i, r in enumerate(reps))
    return t.untagged().with_shape(Shape(dims, True, t.origin))


def size(it: "Interpreter", call: CallArgs) -> Value:
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


def dim_count(it: "Interpreter", call: CallArgs) -> Value:
    t = call.receiver
    if isinstance(t, TensorV) and t.shape is not None and t.shape.rank_known:
        return IntV(Dim(len(t.shape.dims)))
    return IntV(UNKNOWN)


def reduce_dim(it: "Interpreter", call: CallArgs) -> Value:
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


def concat(it: "Interpreter", call: CallArgs) -> Value:
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


# --------------------------------------------------------------------------- layers


def _layer(kind: str, names: tuple[str, ...]) -> Handler:
    def build(it: "Interpreter", call: CallArgs) -> Value:
        params = tuple((n, call.get(n, i)) for i, n in enumerate(names))
        return LayerV(kind, params, "", it.line_of(call.node))
    return build


def embedding_call(it: "Interpreter", layer: LayerV, call: CallArgs) -> Value:
    x = call.pos(0)
    dim = dim_of(layer.param("embedding_dim"))
    feat = dim.with_origin(dim.origin or Lazy(lambda: f"nn.Embedding on line {layer.line}")).with_role("feature")
    at = it.line_of(call.node)
    origin = Lazy(lambda: f"{layer.label or 'nn.Embedding'} on line {at}")
    if isinstance(x, TensorV) and x.shape is not None:
        return TensorV(Shape(x.shape.dims + (feat,), x.shape.rank_known, origin), origin)
    return TensorV(Shape((feat,), False, origin), origin)


def linear_call(it: "Interpreter", layer: LayerV, call: CallArgs) -> Value:
    x = call.pos(0)
    in_f = dim_of(layer.param("in_features"))
    out_f = dim_of(layer.param("out_features"))
    out_f = out_f.with_origin(out_f.origin or Lazy(lambda: f"nn.Linear on line {layer.line}")).with_role("feature")
    at = it.line_of(call.node)
    origin = Lazy(lambda: f"{layer.label or 'nn.Linear'} on line {at}")
    if not isinstance(x, TensorV) or x.shape is None:
        return TensorV(Shape((out_f,), False, origin), origin)
    _feature_consumer(it, layer, call, in_f, "in_features")
    dims = x.shape.dims[:-1] + (out_f,) if x.shape.dims else (out_f,)
    return TensorV(Shape(dims, x.shape.rank_known, origin), origin)


def _feature_consumer(it: "Interpreter", layer: LayerV, call: CallArgs, expected: Dim, what: str) -> None:
    """RNN009 when a layer's expected feature size disagrees with the RNN output it receives."""
    x = call.pos(0)
    if not isinstance(x, TensorV) or x.rnn is None or x.shape is None or not x.shape.last.differs(expected):
        return
    ref, feat = x.rnn, x.shape.last
    if x.role == "state_row":
        received = f"one row of the final state h_n of {ref.label} ({ref.spec.describe()}, line {ref.line}), " \
                   f"with {feat} features"
        hint = (f"join both directions with torch.cat((h_n[-2], h_n[-1]), dim=1), or size the layer {feat}"
                if ref.spec.bidirectional else f"size the layer {feat}")
    else:
        both = " (2 directions x hidden_size)" if ref.spec.bidirectional else ""
        received = f"the output of {ref.label} ({ref.spec.describe()}, line {ref.line}), whose feature size is {feat}{both}"
        hint = f"size the layer with the RNN's output size {feat}" + (
            " (num_directions * hidden_size)" if ref.spec.bidirectional else "")
    it.report_violation(call.node, Violation("RNN009", "input", f"{what}={expected.described()}",
                                             f"it receives {received}", hint), layer.label or "the layer")


def layer_norm_call(it: "Interpreter", layer: LayerV, call: CallArgs) -> Value:
    normalized = layer.param("normalized_shape")
    if isinstance(normalized, IntV):
        _feature_consumer(it, layer, call, normalized.dim, "normalized_shape")
    x = call.pos(0)
    return x if isinstance(x, TensorV) else TOP


def conv1d_call(it: "Interpreter", layer: LayerV, call: CallArgs) -> Value:
    x = call.pos(0)
    out_c = dim_of(layer.param("out_channels")).with_role("feature")
    at = it.line_of(call.node)
    origin = Lazy(lambda: f"{layer.label or 'nn.Conv1d'} on line {at}")
    if not isinstance(x, TensorV) or x.shape is None or not x.shape.rank_known or len(x.shape.dims) not in (2, 3):
        return TensorV(None, origin)
    length = x.shape.dims[-1]
    k, s = dim_of(layer.param("kernel_size")), dim_of(layer.param("stride"))
    p, d = dim_of(layer.param("padding")), dim_of(layer.param("dilation"))
    s = s if layer.param("stride") is not TOP else Dim(1)
    p = p if layer.param("padding") is not TOP else Dim(0)
    d = d if layer.param("dilation") is not TOP else Dim(1)
    new_len = (length + p * 2 - d * (k - 1) - 1) // s + 1 if None not in (k.value, s.value, p.value, d.value) else UNKNOWN
    return TensorV(Shape(x.shape.dims[:-2] + (out_c, new_len.with_role(length.role)), True, origin), origin)


def preserving_call(it: "Interpreter", layer: LayerV, call: CallArgs) -> Value:
    x = call.pos(0)
    return x if isinstance(x, TensorV) else TOP


def sequential(it: "Interpreter", call: CallArgs) -> Value:
    layers = call.values()
    if call.star or call.kwargs or not all(isinstance(v, LayerV) for v in layers):
        return TOP
    return LayerV("Sequential", (("layers", SeqV(tuple(layers))),), "", it.line_of(call.node))


def sequential_call(it: "Interpreter", layer: LayerV, call: CallArgs) -> Value:
    """Each layer in turn; a consumer inside the container is named by its index."""
    value = call.pos(0)
    layers = layer.param("layers")
    assert isinstance(layers, SeqV)
    for i, sub in enumerate(layers.items):
        assert isinstance(sub, LayerV)
        handler = LAYER_CALLS.get(sub.kind)
        if handler is None:
            return TOP
        named = replace(sub, label=f"{layer.label or 'nn.Sequential'}[{i}]")
        value = handler(it, named, replace(call, args=[(value, call.args[0][1])] if call.args else []))
    return value


LAYER_CALLS: dict[str, Callable[["Interpreter", LayerV, CallArgs], Value]] = {
    "Sequential": sequential_call,
    "Embedding": embedding_call,
    "LayerNorm": layer_norm_call,
    "Linear": linear_call,
    "Conv1d": conv1d_call,
    "preserving": preserving_call,
}

_PRESERVING_LAYERS = (
    "Dropout", "ReLU", "Tanh", "Sigmoid", "GELU", "LeakyReLU", "ELU", "SELU", "SiLU", "Identity",
    "Softmax", "LogSoftmax", "Hardtanh", "PReLU", "Mish", "Softplus",
)


# --------------------------------------------------------------------------- packing and data


def pack_padded(it: "Interpreter", call: CallArgs) -> Value:
    x = call.get("input", 0)
    bf = call.get("batch_first", 2, Const(False))
    if not isinstance(x, TensorV):
        return TensorV(None, packed=True)
    flag = bf.value if isinstance(bf, Const) and isinstance(bf.value, bool) else None
    if x.shape is None or not x.shape.rank_known or flag is None:
        return TensorV(None, x.origin, packed=True)
    dims = x.shape.dims
    if len(dims) >= 2:
        it.check_packing_layout(call.node, x, flag, "pack_padded_sequence")
        if not flag:
            dims = (dims[1], dims[0]) + dims[2:]
    return TensorV(Shape(dims, True, x.origin), x.origin, packed=True, dtype=x.dtype)


def pad_packed(it: "Interpreter", call: CallArgs) -> Value:
    p = call.get("sequence", 0)
    bf = call.get("batch_first", 1, Const(False))
    flag = bf.value if isinstance(bf, Const) and isinstance(bf.value, bool) else None
    if not isinstance(p, TensorV) or flag is None:
        return SeqV((TOP, TOP))
    shape = p.shape
    if shape is not None and shape.rank_known and len(shape.dims) >= 2:
        dims = shape.dims
        dims = (dims[0].with_role("batch"), dims[1].with_role("time")) + dims[2:]
        if not flag:
            dims = (dims[1], dims[0]) + dims[2:]
        shape = Shape(dims, True, shape.origin)
    padded = replace(p, shape=shape, packed=False, layout="batch" if flag else "time")
    lengths = TensorV(Shape((shape.dims[0 if flag else 1],)) if shape is not None and shape.rank_known else None)
    return SeqV((padded, lengths))


def pad_sequence(it: "Interpreter", call: CallArgs) -> Value:
    seqs = call.get("sequences", 0)
    bf = call.get("batch_first", 1, Const(False))
    flag = bf.value if isinstance(bf, Const) and isinstance(bf.value, bool) else None
    if flag is None:
        return TOP
    feat = UNKNOWN
    batch = UNKNOWN
    if isinstance(seqs, SeqV):
        batch = Dim(len(seqs.items))
        lasts = [s.shape.last for s in seqs.items if isinstance(s, TensorV) and s.shape is not None]
        if len(lasts) == len(seqs.items) and lasts and all(d.same(lasts[0]) for d in lasts):
            feat = lasts[0]
    b, t = batch.with_role("batch"), UNKNOWN.with_role("time")
    origin = it.describe_call(call.node)
    dims = (b, t, feat) if flag else (t, b, feat)
    if feat is UNKNOWN and not isinstance(seqs, SeqV):
        return TensorV(None, origin)
    return TensorV(Shape(dims, True, origin), origin)


def pack_sequence(it: "Interpreter", call: CallArgs) -> Value:
    seqs = call.get("sequences", 0)
    feat = UNKNOWN
    batch = UNKNOWN
    if isinstance(seqs, SeqV):
        batch = Dim(len(seqs.items))
        lasts = [s.shape.last for s in seqs.items if isinstance(s, TensorV) and s.shape is not None]
        if len(lasts) == len(seqs.items) and lasts and all(d.same(lasts[0]) for d in lasts):
            feat = lasts[0]
    return TensorV(Shape((batch, UNKNOWN, feat)), it.describe_call(call.node), packed=True)


def tensor_dataset(it: "Interpreter", call: CallArgs) -> Value:
    samples: list[Value] = []
    for v in call.values():
        if isinstance(v, TensorV) and v.shape is not None and v.shape.rank_known and v.shape.dims:
            samples.append(TensorV(Shape(v.shape.dims[1:], True, v.origin), v.origin, dtype=v.dtype))
        else:
            samples.append(TOP)
    return LoaderV(SeqV(tuple(samples)))


def data_loader(it: "Interpreter", call: CallArgs) -> Value:
    dataset = call.get("dataset", 0)
    bs = call.get("batch_size", 1, IntV(Dim(1)))
    collate = call.get("collate_fn", 6, Const(None))
    if isinstance(bs, Const) and bs.value is None or call.star or not (isinstance(collate, Const) and
                                                                        collate.value is None):
        return LoaderV(TOP)  # a collate_fn (or what cannot be read) makes its own batches
    sampler = call.get("batch_sampler", 4, Const(None))
    batch = (dim_of(bs) if isinstance(sampler, Const) and sampler.value is None else UNKNOWN).with_role("batch")

    def batched(v: Value) -> Value:
        if isinstance(v, TensorV) and v.shape is not None and v.shape.rank_known:
            return TensorV(Shape((batch,) + v.shape.dims, True, "a DataLoader batch"), "a DataLoader batch",
                           dtype=v.dtype)
        if isinstance(v, SeqV):
            return SeqV(tuple(batched(x) for x in v.items))
        return TOP

    if isinstance(dataset, LoaderV):
        return LoaderV(batched(dataset.element))
    return LoaderV(TOP)


# --------------------------------------------------------------------------- the tables

CALLS: dict[str, Handler] = {
    **{f"torch.{n}": factory for n in ("randn", "rand", "zeros", "ones", "empty")},
    "torch.full": full,
    "torch.randint": randint,
    "torch.tensor": tensor_literal,
    "torch.as_tensor": tensor_literal,
    "torch.arange": arange,
    **{f"torch.{n}_like": like for n in ("randn", "rand", "zeros", "ones", "empty", "full", "randint")},
    "torch.cat": concat,
    "torch.concat": concat,
    "torch.concatenate": concat,
    "torch.stack": concat,
    "torch.flatten": flatten,
    "torch.transpose": transpose,
    "torch.swapaxes": transpose,
    "torch.permute": permute,
    "torch.squeeze": squeeze,
    "torch.unsqueeze": unsqueeze,
    "torch.t": matrix_t,
    "torch.sum": reduce_dim,
    "torch.mean": reduce_dim,
    **{f"torch.{n}": same for n in ("tanh", "sigmoid", "relu", "dropout", "clone", "exp", "log", "abs")},
    **{f"torch.nn.functional.{n}": same for n in (
        "relu", "dropout", "tanh", "sigmoid", "gelu", "leaky_relu", "elu", "softmax", "log_softmax", "layer_norm",
        "normalize", "silu", "hardtanh")},
    "torch.nn.utils.rnn.pack_padded_sequence": pack_padded,
    "torch.nn.utils.rnn.pad_packed_sequence": pad_packed,
    "torch.nn.utils.rnn.pad_sequence": pad_sequence,
    "torch.nn.utils.rnn.pack_sequence": pack_sequence,
    "torch.utils.data.TensorDataset": tensor_dataset,
    "torch.utils.data.DataLoader": data_loader,
    "torch.utils.data.dataset.TensorDataset": tensor_dataset,
    "torch.utils.data.dataloader.DataLoader": data_loader,
    "torch.nn.Embedding": _layer("Embedding", ("num_embeddings", "embedding_dim")),
    "torch.nn.Linear": _layer("Linear", ("in_features", "out_features")),
    "torch.nn.Conv1d": _layer("Conv1d", ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                                         "dilation")),
    **{f"torch.nn.{n}": _layer("preserving", ()) for n in _PRESERVING_LAYERS},
    "torch.nn.Sequential": sequential,
    "torch.nn.LayerNorm": _layer("LayerNorm", ("normalized_shape",)),
}

def new_factory(it: "Interpreter", call: CallArgs) -> Value:
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
