"""Abstract values of the interpreter: what a name may stand for while the code is read.

Anything the analysis cannot evaluate is TOP (unknown); unknown values never produce findings.
"""

from __future__ import annotations

from dataclasses import field, replace
from typing import Any, Callable, Optional, Union

import libcst as cst

from ..contract import Dim, RNNSpec, Shape, UNKNOWN
from ..records import record


class Lazy:
    """Text computed when first shown. Line numbers need a positions pass over the file, and
    most values never reach a message, so they are described only on demand. `at` is the
    line an origin's text names (`torch.randn(2, 3) on line 4`), for --explain's facts."""

    __slots__ = ("_fn", "_text", "at")

    def __init__(self, fn: Callable[[], str], at: object = None) -> None:
        self._fn: Optional[Callable[[], str]] = fn
        self._text = ""
        self.at = at

    def __str__(self) -> str:
        if self._fn is not None:
            self._text, self._fn = self._fn(), None
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return repr(str(self))


class Line(Lazy):
    """A line number, shown on demand, of the file at `path`."""

    __slots__ = ("path",)

    def __init__(self, fn: Callable[[], str], path: str) -> None:
        super().__init__(fn)
        self.path = path

    @property
    def number(self) -> Optional[int]:
        text = str(self)
        return int(text) if text.isdigit() and text != "0" else None


def line_named(origin: object) -> Optional[Line]:
    """The line an origin names: itself, or the one its text was made with."""
    at = origin if isinstance(origin, Line) else getattr(origin, "at", None)
    return at if isinstance(at, Line) else None


# A joined origin ("hidden=8 (line 3), layers=2 (line 4)") is cut at this length: sizes
# combined line after line (`h = h + h`) must not double their text each time.
_ORIGIN_TEXT = 240


def join_origins(left: Optional[object], right: Optional[object]) -> Optional[object]:
    """Where a size computed from two others came from, shown on demand and bounded."""
    if left is None or left is right:
        return right if left is None else left
    if right is None:
        return left

    def text() -> str:
        a, b = str(left), str(right)
        joined = a if a == b else f"{a}, {b}"
        return joined if len(joined) <= _ORIGIN_TEXT else joined[:_ORIGIN_TEXT - 3] + "..."
    return Lazy(text)


class Value:
    """Base of all abstract values."""


@record(frozen=True)
class Top(Value):
    def __repr__(self) -> str:
        return "TOP"


TOP = Top()


@record(frozen=True)
class IntV(Value):
    """An int: known, symbolic or unknown, with where it came from (in the Dim)."""

    dim: Dim


@record(frozen=True)
class Const(Value):
    """A literal that is not an int: str, float, bool, None, bytes."""

    value: object


@record(frozen=True)
class RNNRef:
    """The RNN a tensor came out of: its spec, how to name it, where it was built."""

    spec: RNNSpec
    label: str
    line: object = field(compare=False)


@record(frozen=True)
class TensorV(Value):
    """A tensor with a (possibly partial) shape.

    `rnn`/`role` tag values that are (slices of) an RNN's outputs: role "out" (the sequence
    output, laid out `layout` "batch"/"time" first), "h_n"/"c_n" (final states), "state_row"
    (one row of h_n, `row` = its index). `row_node` is the subscript that produced the row.
    `packed`: a PackedSequence whose `shape` is the padded data, batch-major.
    """

    shape: Optional[Shape]
    origin: object = field(default="", compare=False)
    rnn: Optional[RNNRef] = None
    role: Optional[str] = None
    layout: Optional[str] = None
    row: Optional[int] = None
    row_node: Optional[cst.CSTNode] = field(default=None, compare=False)
    packed: bool = False
    dtype: Optional[str] = None

    def with_shape(self, shape: Optional[Shape], keep_tag: bool = True) -> "TensorV":
        if keep_tag:
            # every field named: cheaper than `dataclasses.replace`, which walks the fields
            return TensorV(shape=shape, origin=self.origin, rnn=self.rnn, role=self.role, layout=self.layout,
                           row=self.row, row_node=self.row_node, packed=self.packed, dtype=self.dtype)
        return TensorV(shape, self.origin, dtype=self.dtype)

    def untagged(self) -> "TensorV":
        return TensorV(self.shape, self.origin, dtype=self.dtype)


@record(frozen=True)
class SeqV(Value):
    """A tuple or list literal (or a value known to be one)."""

    items: tuple[Value, ...]
    kind: str = "tuple"
    fields: tuple[str, ...] = ()  # a named tuple's field names (`x.max(1).values`)


@record
class DictV(Value):
    items: dict[Any, Value]
    partial: bool = False  # some keys were not known: `items` does not hold every value


@record(frozen=True)
class RefV(Value):
    """A reference to an importable name, by qualified name (`torch.nn.LSTM`)."""

    qualname: str


@record(frozen=True)
class RNNModuleV(Value):
    """A constructed nn.RNN/LSTM/GRU or cell. `alts`: the specs of the other kinds it may be,
    when its class was chosen at run time (`getattr(nn, args.cell)`); empty for one kind."""

    spec: RNNSpec
    label: str
    line: object = field(compare=False)
    alts: tuple[RNNSpec, ...] = ()

    def ref(self) -> RNNRef:
        return RNNRef(self.spec, self.label, self.line)


@record(frozen=True)
class OneOfV(Value):
    """One of a few known values, which one is chosen at run time: the strings of an argparse
    `choices`, the classes a registry or a conditional picks from (RefV)."""

    options: tuple[Value, ...]


MAX_OPTIONS = 8


def options_of(value: Value) -> Optional[tuple[Value, ...]]:
    """The values `value` may be, when it is a str constant, a reference or a OneOfV of them."""
    if isinstance(value, OneOfV):
        return value.options
    if isinstance(value, RefV) or isinstance(value, Const) and isinstance(value.value, str):
        return (value,)
    return None


def one_of(options: tuple[Value, ...]) -> Value:
    """The value that is one of `options` (deduplicated); TOP past MAX_OPTIONS or when strings
    and references are mixed."""
    unique = tuple(dict.fromkeys(options))
    if not unique or len(unique) > MAX_OPTIONS or len({type(o) for o in unique}) > 1:
        return TOP
    return unique[0] if len(unique) == 1 else OneOfV(unique)


@record(frozen=True)
class StatesV(Value):
    """The final state of an RNN that may be an LSTM or another kind: a tuple (h_n, c_n) for
    the LSTM, the tensor h_n for the others. `isinstance(h, tuple)` tells them apart."""

    pair: "SeqV"
    tensor: "TensorV"


@record(frozen=True)
class LayerV(Value):
    """A constructed torch layer other than an RNN, with the sizes its transfer needs."""

    kind: str
    params: tuple[tuple[str, Value], ...]
    label: str
    line: object = field(compare=False)

    def param(self, name: str) -> Value:
        return dict(self.params).get(name, TOP)


@record
class ClassV(Value):
    node: cst.ClassDef
    env: "Env"
    bases: list[Value]
    body: dict[str, Value]
    path: str
    is_dataclass: bool = False

    @property
    def name(self) -> str:
        return self.node.name.value


@record
class InstanceV(Value):
    cls: ClassV
    attrs: dict[str, Value]
    label: str = ""
    rnn_spec: Optional[RNNSpec] = None  # for subclasses of an RNN class
    line: object = 0


@record(frozen=True)
class FunctionV(Value):
    node: cst.FunctionDef
    env: "Env" = field(compare=False)
    path: str = ""
    owner: Optional[ClassV] = field(default=None, compare=False)
    top: Optional[int] = field(default=None, compare=False)  # its top-level statement in its module

    @property
    def name(self) -> str:
        return self.node.name.value


@record(frozen=True)
class BoundV(Value):
    """A function bound to a receiver: a user method, or a builtin method name on a value."""

    receiver: Value
    func: Union[FunctionV, str]


@record(frozen=True)
class SuperV(Value):
    instance: Value
    after: ClassV  # look up attributes in the bases after this class


@record
class NamespaceV(Value):
    """An object with attributes: argparse's Namespace, a simple config object."""

    attrs: dict[str, Value]


@record
class ParserV(Value):
    """An argparse.ArgumentParser collecting `add_argument` defaults."""

    attrs: dict[str, Value]


@record(frozen=True)
class LoaderV(Value):
    """A DataLoader or dataset whose iteration yields `element`. A dataset may know its
    `length` (samples); a loader whose last batch is shorter knows that batch: `last`."""

    element: Value
    length: Optional[Dim] = None
    last: Optional[Value] = None


def dim_of(value: Value) -> Dim:
    return value.dim if isinstance(value, IntV) else UNKNOWN


def truth(value: Value) -> Optional[bool]:
    """Python truthiness when known."""
    if isinstance(value, Const):
        return bool(value.value)
    if isinstance(value, IntV) and value.dim.value is not None:
        return value.dim.value != 0
    if isinstance(value, SeqV):
        return bool(value.items)
    if isinstance(value, OneOfV):
        truths = {truth(o) for o in value.options}
        return truths.pop() if len(truths) == 1 else None
    return None


def join(a: Value, b: Value) -> Value:
    """The value that holds on both paths; TOP where they disagree."""
    if a is b or a == b:
        return a
    if isinstance(a, IntV) and isinstance(b, IntV):
        return a if a.dim.same(b.dim) else TOP
    if isinstance(a, TensorV) and isinstance(b, TensorV):
        shape = join_shapes(a.shape, b.shape)
        tag_same = (a.rnn, a.role, a.layout, a.row, a.packed) == (b.rnn, b.role, b.layout, b.row, b.packed)
        if tag_same:
            return replace(a, shape=shape)
        return TensorV(shape, a.origin if a.origin == b.origin else "")
    if isinstance(a, SeqV) and isinstance(b, SeqV) and len(a.items) == len(b.items):
        return SeqV(tuple(join(x, y) for x, y in zip(a.items, b.items)), a.kind,
                    a.fields if a.fields == b.fields else ())
    if isinstance(a, RNNModuleV) and isinstance(b, RNNModuleV):
        return join_kinds(a, b)
    options_a, options_b = options_of(a), options_of(b)
    if options_a is not None and options_b is not None:
        return one_of(options_a + options_b)
    return TOP


def join_kinds(a: RNNModuleV, b: RNNModuleV) -> Value:
    """`rnn = nn.LSTM(...)` on one path, `nn.GRU(...)` with the same arguments on the other: an
    RNN that may be either kind. Modules that differ in more than their kind are not joined."""
    specs = tuple(dict.fromkeys((a.spec,) + a.alts + (b.spec,) + b.alts))
    layout = replace(a.spec, kind="").describe()
    if a.label != b.label or any(replace(s, kind="").describe() != layout for s in specs) or \
            len({s.is_cell for s in specs}) != 1 or len({s.kind for s in specs}) != len(specs):
        return TOP
    return replace(a, alts=specs[1:])


def join_shapes(a: Optional[Shape], b: Optional[Shape]) -> Optional[Shape]:
    if a is None or b is None:
        return None
    if a == b:
        return a
    if a.rank_known and b.rank_known and len(a.dims) == len(b.dims):
        return Shape(tuple(x if x.same(y) else UNKNOWN for x, y in zip(a.dims, b.dims)))
    return None


class Env:
    """A scope: names to values, falling back to the enclosing (module) scope."""

    def __init__(self, parent: Optional["Env"] = None, vars: Optional[dict[str, Value]] = None) -> None:
        self.vars: dict[str, Value] = dict(vars or {})
        self.parent = parent
        self.outer: set[str] = set()  # names declared `global` or `nonlocal` here

    def lookup(self, name: str) -> Optional[Value]:
        env: Optional[Env] = self
        while env is not None:
            if name in env.vars:
                return env.vars[name]
            env = env.parent
        return None

    def copy(self) -> "Env":
        env = Env(self.parent, self.vars)
        env.outer = self.outer
        return env

    def absorb(self, a: "Env", b: "Env") -> None:
        """Set self to the join of two branch environments."""
        left, right = a.vars, b.vars
        joined: dict[str, Value] = {}
        for name, x in left.items():
            y = right.get(name, TOP)
            joined[name] = x if x is y else join(x, y)  # most names are the same value on both paths
        for name in right.keys() - left.keys():
            joined[name] = TOP  # bound on one path only: what `join` gives any value with TOP
        self.vars = joined
