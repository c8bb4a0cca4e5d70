"""What a transfer function sees: the evaluated call (`CallArgs`) and a narrow `Context` (place
or describe a node, hand an RNN event to the RNN checks); never the interpreter itself. Also
the helpers that read sizes, tensors and axes out of a call's arguments."""

from __future__ import annotations

from typing import Callable, Optional, Protocol

import libcst as cst

from ...contract import Dim, Shape
from ...records import record
from ..values import TOP, IntV, LayerV, Lazy, SeqV, TensorV, Value


class Context(Protocol):
    """The part of the analysis a transfer function may use: placing and describing a node, and
    handing an RNN event (a packed layout, an RNN output reaching a layer, h_n rows joined) to
    the RNN checks, which alone speak in rule codes."""

    def line_of(self, node: cst.CSTNode) -> Lazy: ...

    def describe_call(self, node: cst.Call) -> Lazy: ...

    def resolve_direction_pairs(self, parts: list[Value]) -> None: ...

    def check_packing_layout(self, node: cst.Call, x: TensorV, batch_first: bool, func: str) -> None: ...

    def check_feature_consumer(self, layer: LayerV, call: CallArgs, expected: Dim, what: str) -> None: ...

    def check_state_view(self, node: cst.Call, t: TensorV, dims: list[Dim]) -> None: ...


@record
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


Handler = Callable[[Context, CallArgs], Value]


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


def _tensor(it: Context, call: CallArgs, dims: Optional[tuple[Dim, ...]]) -> TensorV:
    origin = it.describe_call(call.node)
    dtype = call.kwargs.get("dtype", (TOP, None))[0]
    return TensorV(_shape(dims, origin), origin, dtype=_dtype_name(dtype))


def _dtype_name(value: Value) -> Optional[str]:
    from ..values import RefV

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

