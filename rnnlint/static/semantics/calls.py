"""The torch functions and classes the analysis knows, by qualified name: `CALLS` maps each to
its transfer function (tensor methods are in `tensors.TENSOR_METHODS`, layer calls in
`layers.LAYER_CALLS`)."""

from __future__ import annotations

from .context import Handler
from .data import data_loader, pack_padded, pack_sequence, pad_packed, pad_sequence, tensor_dataset
from .layers import _PRESERVING_LAYERS, _layer, sequential
from .factories import (
    arange, eye, factory, from_numpy, full, legacy_tensor, like, one_hot, randint, tensor_literal, variable,
)
from .tensors import (
    concat, extreme, flatten, matrix_t, permute, reduce_dim, same, squeeze, transpose, unbind, unsqueeze,
)

# --------------------------------------------------------------------------- the tables

# the legacy typed constructors and the dtype each makes (torch.Tensor: the default dtype)
_LEGACY = (("Tensor", None), ("FloatTensor", "torch.float32"), ("DoubleTensor", "torch.float64"),
           ("HalfTensor", "torch.float16"), ("BFloat16Tensor", "torch.bfloat16"), ("LongTensor", "torch.int64"),
           ("IntTensor", "torch.int32"), ("ShortTensor", "torch.int16"), ("ByteTensor", "torch.uint8"),
           ("CharTensor", "torch.int8"), ("BoolTensor", "torch.bool"))

CALLS: dict[str, Handler] = {
    **{f"torch.{n}": factory for n in ("randn", "rand", "zeros", "ones", "empty")},
    "torch.full": full,
    "torch.randint": randint,
    "torch.tensor": tensor_literal,
    "torch.as_tensor": tensor_literal,
    "torch.arange": arange,
    **{f"torch.{n}": legacy_tensor(d) for n, d in _LEGACY},
    **{f"torch.cuda.{n}": legacy_tensor(d) for n, d in _LEGACY},
    "torch.autograd.Variable": variable,
    "torch.autograd.variable.Variable": variable,
    "torch.from_numpy": from_numpy,
    "torch.nn.functional.one_hot": one_hot,
    "torch.eye": eye,
    **{f"torch.{n}": extreme for n in ("max", "min", "sort")},
    "torch.unbind": unbind,
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
    "torch.nn.Conv2d": _layer("Conv2d", ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                                         "dilation")),
    "torch.nn.MaxPool2d": _layer("Pool2d", ("kernel_size", "stride", "padding", "dilation", "return_indices",
                                            "ceil_mode")),
    "torch.nn.AvgPool2d": _layer("Pool2d", ("kernel_size", "stride", "padding", "ceil_mode")),
    **{f"torch.nn.{n}": _layer("preserving", ()) for n in _PRESERVING_LAYERS},
    "torch.nn.Sequential": sequential,
    "torch.nn.LayerNorm": _layer("LayerNorm", ("normalized_shape",)),
}
