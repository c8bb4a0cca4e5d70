"""Packing (`pack_padded_sequence` and its kin) and data (`TensorDataset`, `DataLoader`): what
reaches an RNN as a batch."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from ...contract import Dim, Shape, UNKNOWN
from ..values import TOP, Const, IntV, LoaderV, SeqV, TensorV, Value, dim_of
from .context import CallArgs, Context


# --------------------------------------------------------------------------- packing and data


def pack_padded(it: Context, call: CallArgs) -> Value:
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


def pad_packed(it: Context, call: CallArgs) -> Value:
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


def _batch_and_features(seqs: Value) -> tuple[Dim, Dim]:
    """A list of sequences to pad or pack: the batch is its length, the feature size the one
    every sequence agrees on."""
    if not isinstance(seqs, SeqV):
        return UNKNOWN, UNKNOWN
    lasts = [s.shape.last for s in seqs.items if isinstance(s, TensorV) and s.shape is not None]
    if len(lasts) == len(seqs.items) and lasts and all(d.same(lasts[0]) for d in lasts):
        return Dim(len(seqs.items)), lasts[0]
    return Dim(len(seqs.items)), UNKNOWN


def pad_sequence(it: Context, call: CallArgs) -> Value:
    seqs = call.get("sequences", 0)
    bf = call.get("batch_first", 1, Const(False))
    flag = bf.value if isinstance(bf, Const) and isinstance(bf.value, bool) else None
    if flag is None:
        return TOP
    batch, feat = _batch_and_features(seqs)
    b, t = batch.with_role("batch"), UNKNOWN.with_role("time")
    origin = it.describe_call(call.node)
    dims = (b, t, feat) if flag else (t, b, feat)
    if feat is UNKNOWN and not isinstance(seqs, SeqV):
        return TensorV(None, origin)
    return TensorV(Shape(dims, True, origin), origin)


def pack_sequence(it: Context, call: CallArgs) -> Value:
    seqs = call.get("sequences", 0)
    batch, feat = _batch_and_features(seqs)
    return TensorV(Shape((batch, UNKNOWN, feat)), it.describe_call(call.node), packed=True)


def tensor_dataset(it: Context, call: CallArgs) -> Value:
    samples: list[Value] = []
    firsts = [v.shape.dims[0] for v in call.values() if isinstance(v, TensorV) and v.shape is not None and
              v.shape.rank_known and v.shape.dims]
    for v in call.values():
        if isinstance(v, TensorV) and v.shape is not None and v.shape.rank_known and v.shape.dims:
            samples.append(TensorV(Shape(v.shape.dims[1:], True, v.origin), v.origin, dtype=v.dtype))
        else:
            samples.append(TOP)
    length = firsts[0] if firsts and not call.star and len(firsts) == len(call.args) else None
    return LoaderV(SeqV(tuple(samples)), length=length)


def data_loader(it: Context, call: CallArgs) -> Value:
    dataset = call.get("dataset", 0)
    bs = call.get("batch_size", 1, IntV(Dim(1)))
    collate = call.get("collate_fn", 6, Const(None))
    if isinstance(bs, Const) and bs.value is None or call.star or not (isinstance(collate, Const) and
                                                                        collate.value is None):
        return LoaderV(TOP)  # a collate_fn (or what cannot be read) makes its own batches
    sampler = call.get("batch_sampler", 4, Const(None))
    batch = (dim_of(bs) if isinstance(sampler, Const) and sampler.value is None else UNKNOWN).with_role("batch")

    def batched(v: Value, batch: Dim, origin: str) -> Value:
        if isinstance(v, TensorV) and v.shape is not None and v.shape.rank_known:
            return TensorV(Shape((batch,) + v.shape.dims, True, origin), origin, dtype=v.dtype)
        if isinstance(v, SeqV):
            return SeqV(tuple(batched(x, batch, origin) for x in v.items))
        return TOP

    if not isinstance(dataset, LoaderV):
        return LoaderV(TOP)
    element = batched(dataset.element, batch, "a DataLoader batch")
    left = _left_over(call, dataset, batch)
    if left is None:
        return LoaderV(element)
    n, size = dataset.length.value, batch.value  # type: ignore[union-attr]
    why = f"the last batch of a DataLoader: {n} samples, batch_size={size}, {left} left (no drop_last=True)"
    return LoaderV(element, last=batched(dataset.element, Dim(left, origin=why, role="batch"), why))


def _left_over(call: CallArgs, dataset: LoaderV, batch: Dim) -> Optional[int]:
    """How many samples the last batch holds when the dataset's length is known and not a
    multiple of the batch size, and nothing drops or reorders whole batches."""
    drop = call.get("drop_last", 8, Const(False))
    sampler = call.get("sampler", 3, Const(None))
    if call.star or not (isinstance(drop, Const) and drop.value is False) or \
            not (isinstance(sampler, Const) and sampler.value is None):
        return None
    n = dataset.length.value if dataset.length is not None else None
    if n is None or batch.value is None or batch.value < 1 or n % batch.value == 0:
        return None
    return n % batch.value

