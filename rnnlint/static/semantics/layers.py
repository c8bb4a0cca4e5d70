"""Layers torch.nn builds (Embedding, Linear, Conv1d, LayerNorm, Sequential, activations):
their constructors keep the sizes, their calls check and transform the input's shape."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional

from ...contract import Dim, Shape, UNKNOWN
from ..values import TOP, Const, IntV, LayerV, Lazy, SeqV, TensorV, Value, dim_of
from .context import CallArgs, Context, Handler


# --------------------------------------------------------------------------- layers


def _layer(kind: str, names: tuple[str, ...]) -> Handler:
    def build(it: Context, call: CallArgs) -> Value:
        params = tuple((n, call.get(n, i)) for i, n in enumerate(names))
        return LayerV(kind, params, "", it.line_of(call.node))
    return build


def embedding_call(it: Context, layer: LayerV, call: CallArgs) -> Value:
    x = call.pos(0)
    dim = dim_of(layer.param("embedding_dim"))
    feat = dim.with_origin(dim.origin or Lazy(lambda: f"nn.Embedding on line {layer.line}", at=layer.line)).with_role("feature")
    at = it.line_of(call.node)
    origin = Lazy(lambda: f"{layer.label or 'nn.Embedding'} on line {at}", at=at)
    if isinstance(x, TensorV) and x.shape is not None:
        return TensorV(Shape(x.shape.dims + (feat,), x.shape.rank_known, origin), origin)
    return TensorV(Shape((feat,), False, origin), origin)


def linear_call(it: Context, layer: LayerV, call: CallArgs) -> Value:
    x = call.pos(0)
    in_f = dim_of(layer.param("in_features"))
    out_f = dim_of(layer.param("out_features"))
    out_f = out_f.with_origin(out_f.origin or Lazy(lambda: f"nn.Linear on line {layer.line}", at=layer.line)).with_role("feature")
    at = it.line_of(call.node)
    origin = Lazy(lambda: f"{layer.label or 'nn.Linear'} on line {at}", at=at)
    if not isinstance(x, TensorV) or x.shape is None:
        return TensorV(Shape((out_f,), False, origin), origin)
    it.check_feature_consumer(layer, call, in_f, "in_features")
    dims = x.shape.dims[:-1] + (out_f,) if x.shape.dims else (out_f,)
    return TensorV(Shape(dims, x.shape.rank_known, origin), origin)


def layer_norm_call(it: Context, layer: LayerV, call: CallArgs) -> Value:
    normalized = layer.param("normalized_shape")
    if isinstance(normalized, IntV):
        it.check_feature_consumer(layer, call, normalized.dim, "normalized_shape")
    x = call.pos(0)
    return x if isinstance(x, TensorV) else TOP


def conv1d_call(it: Context, layer: LayerV, call: CallArgs) -> Value:
    x = call.pos(0)
    out_c = dim_of(layer.param("out_channels")).with_role("feature")
    at = it.line_of(call.node)
    origin = Lazy(lambda: f"{layer.label or 'nn.Conv1d'} on line {at}", at=at)
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


def _pair(value: Value, default: int) -> tuple[Dim, Dim]:
    """A 2-D layer's size argument: one int for both axes, or a pair; unset is `default`."""
    if value is TOP:
        return Dim(default), Dim(default)
    if isinstance(value, SeqV) and len(value.items) == 2:
        return dim_of(value.items[0]), dim_of(value.items[1])
    return dim_of(value), dim_of(value)


def _spatial(size: Dim, k: Dim, s: Dim, p: Dim, d: Dim) -> Dim:
    if None in (k.value, s.value, p.value, d.value) or not s.value:
        return UNKNOWN
    return (size + p * 2 - d * (k - 1) - 1) // s + 1


def conv2d_call(it: Context, layer: LayerV, call: CallArgs) -> Value:
    """(batch, channels, height, width) -> (batch, out_channels, height', width')."""
    out_c = dim_of(layer.param("out_channels")).with_role("feature")
    return _planes(it, layer, call, out_c, layer.param("kernel_size"), layer.param("stride"), 1, "nn.Conv2d")


def pool2d_call(it: Context, layer: LayerV, call: CallArgs) -> Value:
    """Max/average pooling keeps the channels; stride defaults to the kernel size."""
    stride = layer.param("stride")
    kernel = layer.param("kernel_size")
    flags = (layer.param("return_indices"), layer.param("ceil_mode"))
    if any(flag is not TOP and flag != Const(False) for flag in flags):
        return TOP  # rounded up, or a pair (output, indices): not computed here
    return _planes(it, layer, call, None, kernel, kernel if isinstance(stride, Const) and stride.value is None or
                   stride is TOP else stride, 0, "pooling")


def _planes(it: Context, layer: LayerV, call: CallArgs, out_c: Optional[Dim], kernel: Value, stride: Value,
            dilation_default: int, name: str) -> Value:
    x = call.pos(0)
    at = it.line_of(call.node)
    origin = Lazy(lambda: f"{layer.label or name} on line {at}")
    if not isinstance(x, TensorV) or x.shape is None or not x.shape.rank_known or len(x.shape.dims) not in (3, 4):
        return TensorV(None, origin)
    padding, dilation = layer.param("padding"), layer.param("dilation")
    if isinstance(padding, Const) or any(not isinstance(v, (IntV, SeqV)) and v is not TOP
                                         for v in (kernel, stride, dilation)):
        return TensorV(None, origin)  # padding="same" and the like: not computed here
    ks, ss, ps, ds = _pair(kernel, 0), _pair(stride, 1), _pair(padding, 0), _pair(dilation, 1)
    h, w = x.shape.dims[-2:]
    new = tuple(_spatial(size, ks[i], ss[i], ps[i], ds[i]) if ks[i].value else UNKNOWN for i, size in enumerate((h, w)))
    channels = out_c if out_c is not None else x.shape.dims[-3]
    return TensorV(Shape(x.shape.dims[:-3] + (channels,) + new, True, origin), origin)


def preserving_call(it: Context, layer: LayerV, call: CallArgs) -> Value:
    x = call.pos(0)
    return x if isinstance(x, TensorV) else TOP


def parallel(it: Context, call: CallArgs) -> Value:
    """`nn.DataParallel(model)`: each device runs `model` on its share of the batch, so the
    wrapper is called as the model is."""
    return call.get("module", 0)


def sequential(it: Context, call: CallArgs) -> Value:
    layers = call.values()
    if call.star or call.kwargs or not all(isinstance(v, LayerV) for v in layers):
        return TOP
    return LayerV("Sequential", (("layers", SeqV(tuple(layers))),), "", it.line_of(call.node))


def sequential_call(it: Context, layer: LayerV, call: CallArgs) -> Value:
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


LAYER_CALLS: dict[str, Callable[[Context, LayerV, CallArgs], Value]] = {
    "Sequential": sequential_call,
    "Embedding": embedding_call,
    "LayerNorm": layer_norm_call,
    "Linear": linear_call,
    "Conv1d": conv1d_call,
    "Conv2d": conv2d_call,
    "Pool2d": pool2d_call,
    "preserving": preserving_call,
}

_PRESERVING_LAYERS = (
    "Dropout", "ReLU", "Tanh", "Sigmoid", "GELU", "LeakyReLU", "ELU", "SELU", "SiLU", "Identity",
    "Softmax", "LogSoftmax", "Hardtanh", "PReLU", "Mish", "Softplus", "BatchNorm2d", "Dropout2d",
)

