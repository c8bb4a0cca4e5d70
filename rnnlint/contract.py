"""The RNN contract: what an RNN module accepts and returns, derived from its configuration.

Pure data and functions. The static analyzer calls these checks with symbolic shapes (a
dimension may be a known int, a named symbol, or unknown); the runtime guard calls them with
the concrete shapes it sees. Neither torch nor libcst is imported here, so both sides share
exactly one description of torch's behaviour (see torch-oracle.md, section 6).

A check proves a violation only from known facts: an unknown dimension, rank or flag never
produces one.
"""

from __future__ import annotations

import math
from dataclasses import field, replace
from typing import Optional, Sequence, Union

from .records import record

RECURRENT_KINDS = ("RNN", "LSTM", "GRU")
CELL_KINDS = ("RNNCell", "LSTMCell", "GRUCell")
ALL_KINDS = RECURRENT_KINDS + CELL_KINDS


# --------------------------------------------------------------------------- dimensions


# A size past this bound is unknown: linted code may compute any number (`a = a * a` forty
# times), and exact arithmetic on it would hang the run or exhaust memory.
SIZE_BOUND = 2 ** 48
# A symbolic size keeps at most this many terms, and an opaque atom at most this much text.
_MAX_TERMS = 8
_MAX_ATOM = 120

# A symbolic size is a linear form c0 + c1*a1 + ... over atoms: a parameter's name (at least
# 1, or 0 when the parameter may be 0), a product of positive forms (at least 1) or a floor
# division (at least 0). Each term is (atom, coefficient, the atom's least value).
Term = tuple[str, int, int]
Form = tuple[int, tuple[Term, ...]]


@record(frozen=True)
class Dim:
    """One dimension: a known int, a symbolic size, or unknown (both None).

    `symbol` is the canonical text of the symbolic size (`2*hidden + 1`), so two Dims built
    from the same form compare equal; `terms` is the form's symbolic part. `origin` says where
    the number came from ("hidden_size=20 (line 8)") and `role` what the axis means ("batch",
    "time", "feature"); neither takes part in equality.
    """

    value: Optional[int] = None
    symbol: Optional[str] = None
    origin: Optional[str] = field(default=None, compare=False)
    role: Optional[str] = field(default=None, compare=False)
    terms: tuple[Term, ...] = field(default=(), compare=False, repr=False)
    offset: int = field(default=0, compare=False, repr=False)

    @staticmethod
    def named(name: str, least: int = 1) -> "Dim":
        """The size a parameter stands for: at least `least` (1 for a size)."""
        return _from_form((0, ((name, 1, least),)))

    @property
    def known(self) -> bool:
        return self.value is not None

    @property
    def form(self) -> Optional[Form]:
        """The size as a linear form; None when it is unknown."""
        if self.value is not None:
            return self.value, ()
        if self.symbol is None:
            return None
        if not self.terms:  # a symbol given only as text: one opaque atom
            return 0, ((self.symbol, 1, 1),)
        return self.offset, self.terms

    def differs(self, other: "Dim") -> bool:
        """True only when inequality is proved for every value of the symbols: the difference
        is a non-zero constant, or has a fixed sign (`2 * hid` is never `hid`)."""
        if self.value is not None and other.value is not None:
            return self.value != other.value
        diff = _sub(self.form, other.form)
        if diff is None:
            return False
        const, terms = diff
        if not terms:
            return const != 0
        if const % math.gcd(*(c for _, c, _ in terms)):  # 2*h + 1 is never 10
            return True
        if all(c > 0 for _, c, _ in terms):
            return const + sum(c * least for _, c, least in terms) > 0
        if all(c < 0 for _, c, _ in terms):
            return const + sum(c * least for _, c, least in terms) < 0
        return False

    def same(self, other: "Dim") -> bool:
        """True when equality is proved (same known value, or the same symbolic form)."""
        if self.value is not None and other.value is not None:
            return self.value == other.value
        return self.symbol is not None and self.symbol == other.symbol

    # a size is given an origin or a role at almost every name it is read through: built
    # directly, without `dataclasses.replace`'s walk of the fields
    def with_origin(self, origin: Optional[str]) -> "Dim":
        return Dim(value=self.value, symbol=self.symbol, origin=origin, role=self.role, terms=self.terms,
                   offset=self.offset)

    def with_role(self, role: Optional[str]) -> "Dim":
        return Dim(value=self.value, symbol=self.symbol, origin=self.origin, role=role, terms=self.terms,
                   offset=self.offset)

    def __str__(self) -> str:
        if self.value is not None:
            return str(self.value)
        return self.symbol or "?"

    def described(self) -> str:
        """The number with where it came from, for messages."""
        return f"{self} ({self.origin})" if self.origin else str(self)

    # Arithmetic keeps facts: known with known is known (within SIZE_BOUND); symbolic sizes
    # stay linear forms (products of two symbolic sizes and floor divisions become atoms);
    # anything with an unknown is unknown.
    def _combine(self, other: "DimLike", op: str) -> "Dim":
        o = as_dim(other)
        if self.value is not None and o.value is not None:
            a, b = self.value, o.value
            if op == "+":
                return bounded(a + b)
            if op == "-":
                return bounded(a - b)
            if op == "*":
                return bounded(a * b)
            if op == "//":
                return Dim(a // b) if b != 0 else UNKNOWN
            return UNKNOWN
        left, right = self.form, o.form
        if left is None or right is None:
            return UNKNOWN
        if op == "+":
            return _from_form(_add(left, right, 1))
        if op == "-":
            return _from_form(_add(left, right, -1))
        if op == "*":
            return _from_form(_mul(left, right))
        if op == "//":
            return _from_form(_floordiv(left, right))
        return UNKNOWN

    def __add__(self, other: "DimLike") -> "Dim":
        return self._combine(other, "+")

    def __sub__(self, other: "DimLike") -> "Dim":
        return self._combine(other, "-")

    def __mul__(self, other: "DimLike") -> "Dim":
        return self._combine(other, "*")

    def __floordiv__(self, other: "DimLike") -> "Dim":
        return self._combine(other, "//")


DimLike = Union[Dim, int]
UNKNOWN = Dim()


def bounded(value: int) -> Dim:
    """A known size, or unknown past SIZE_BOUND (linted code may hold any number)."""
    return Dim(value) if -SIZE_BOUND <= value <= SIZE_BOUND else UNKNOWN


def _add(a: Form, b: Form, sign: int) -> Optional[Form]:
    coeffs: dict[str, list[int]] = {atom: [c, least] for atom, c, least in a[1]}
    for atom, c, least in b[1]:
        slot = coeffs.setdefault(atom, [0, least])
        slot[0] += sign * c
    terms = tuple(sorted((atom, c, least) for atom, (c, least) in coeffs.items() if c))
    return a[0] + sign * b[0], terms


def _scale(a: Form, k: int) -> Form:
    return a[0] * k, tuple((atom, c * k, least) for atom, c, least in a[1] if c * k)


def _least(a: Form) -> Optional[int]:
    """The least value of a form whose coefficients are all positive; None otherwise."""
    if any(c < 0 for _, c, _ in a[1]):
        return None
    return a[0] + sum(c * least for _, c, least in a[1])


def _wrap(a: Form) -> str:
    text = _text(a)
    return text if a[0] == 0 and len(a[1]) == 1 and a[1][0][1] == 1 else f"({text})"


def _mul(a: Form, b: Form) -> Optional[Form]:
    if not a[1]:
        return _scale(b, a[0])
    if not b[1]:
        return _scale(a, b[0])
    least_a, least_b = _least(a), _least(b)
    if least_a is None or least_b is None or least_a < 1 or least_b < 1:
        return None
    left, right = sorted((_wrap(a), _wrap(b)))
    return 0, ((f"{left}*{right}", 1, least_a * least_b),)


def _floordiv(a: Form, b: Form) -> Optional[Form]:
    if b[1] or b[0] <= 0:
        return None
    k = b[0]
    if a[0] % k == 0 and all(c % k == 0 for _, c, _ in a[1]):
        return a[0] // k, tuple((atom, c // k, least) for atom, c, least in a[1])
    least = _least(a)
    if least is None or least < 0:
        return None
    return 0, ((f"{_wrap(a)}//{k}", 1, least // k),)


def _sub(a: Optional[Form], b: Optional[Form]) -> Optional[Form]:
    if a is None or b is None:
        return None
    return _add(a, b, -1)


def _text(a: Form) -> str:
    parts: list[str] = []
    for atom, c, _ in a[1]:
        magnitude = abs(c)
        term = atom if magnitude == 1 else f"{magnitude}*{atom}"
        parts.append(term if not parts and c > 0 else f"{'+' if c > 0 else '-'} {term}" if parts else f"-{term}")
    if a[0] or not parts:
        parts.append(str(a[0]) if not parts else f"{'+' if a[0] > 0 else '-'} {abs(a[0])}")
    return " ".join(parts)


def _from_form(a: Optional[Form]) -> Dim:
    """The Dim of a form; unknown past the bounds on numbers, terms and atom text."""
    if a is None:
        return UNKNOWN
    const, terms = a
    if not terms:
        return bounded(const)
    if (len(terms) > _MAX_TERMS or abs(const) > SIZE_BOUND
            or any(abs(c) > SIZE_BOUND or len(atom) > _MAX_ATOM for atom, c, _ in terms)):
        return UNKNOWN
    return Dim(symbol=_text(a), terms=terms, offset=const)


def as_dim(d: DimLike) -> Dim:
    return d if isinstance(d, Dim) else Dim(int(d))


@record(frozen=True)
class Shape:
    """A tensor shape. With `rank_known=False`, `dims` are the trailing dimensions of a tensor
    whose leading dimensions (and so its rank) are unknown."""

    dims: tuple[Dim, ...]
    rank_known: bool = True
    origin: Optional[str] = field(default=None, compare=False)

    @staticmethod
    def of(*sizes: DimLike, origin: Optional[str] = None) -> "Shape":
        return Shape(tuple(as_dim(s) for s in sizes), True, origin)

    @property
    def rank(self) -> Optional[int]:
        return len(self.dims) if self.rank_known else None

    @property
    def last(self) -> Dim:
        return self.dims[-1] if self.dims else UNKNOWN

    def dim(self, i: int) -> Dim:
        """Dimension i (negative counts from the end); unknown when it cannot be located."""
        if i < 0:
            return self.dims[i] if -i <= len(self.dims) else UNKNOWN
        if self.rank_known and i < len(self.dims):
            return self.dims[i]
        return UNKNOWN

    def with_origin(self, origin: Optional[str]) -> "Shape":
        return replace(self, origin=origin)

    def __str__(self) -> str:
        inner = ", ".join(str(d) for d in self.dims)
        if not self.rank_known:
            return f"(..., {inner})" if inner else "(...)"
        return f"({inner},)" if len(self.dims) == 1 else f"({inner})"

    def described(self) -> str:
        return f"{self} from {self.origin}" if self.origin else str(self)


# --------------------------------------------------------------------------- the module


@record(frozen=True)
class RNNSpec:
    """The configuration of an RNN module or cell: all that its contract depends on.

    Flags are True/False when known and None when not; sizes are Dims.
    """

    kind: str
    input_size: Dim
    hidden_size: Dim
    num_layers: Dim = Dim(1)
    bidirectional: Optional[bool] = False
    batch_first: Optional[bool] = False
    proj_size: Dim = Dim(0)
    nonlinearity: Optional[str] = "tanh"
    dropout: Optional[float] = 0.0

    @property
    def is_cell(self) -> bool:
        return self.kind in CELL_KINDS

    @property
    def is_lstm(self) -> bool:
        return self.kind in ("LSTM", "LSTMCell")

    @property
    def num_directions(self) -> Dim:
        if self.bidirectional is None:
            return UNKNOWN
        return Dim(2 if self.bidirectional else 1, origin="bidirectional=True" if self.bidirectional else None)

    @property
    def h_out(self) -> Dim:
        """Feature size of h_n and of each direction of the output: proj_size when set."""
        if self.proj_size.value is None:  # a symbol, or not known at all: either size may be meant
            return UNKNOWN
        if self.proj_size.value:
            return self.proj_size
        return self.hidden_size

    @property
    def out_features(self) -> Dim:
        """Last dimension of the output: num_directions * H_out."""
        if self.is_cell:
            return self.hidden_size
        d = self.num_directions
        if d.value == 1:
            return self.h_out
        return (d * self.h_out).with_origin(_join(self.h_out.origin, d.origin and "2 directions"))

    @property
    def state_rows(self) -> Dim:
        """First dimension of h_0/h_n: num_layers * num_directions."""
        d = self.num_directions
        rows = self.num_layers * d
        return rows.with_origin(_join(self.num_layers.origin, d.origin if d.value == 2 else None))

    def describe(self) -> str:
        parts = [str(self.input_size), str(self.hidden_size)]
        if self.num_layers.value != 1:
            parts.append(f"num_layers={self.num_layers}")
        for name in ("bidirectional", "batch_first"):
            if getattr(self, name):
                parts.append(f"{name}=True")
        if self.proj_size.value:
            parts.append(f"proj_size={self.proj_size}")
        return f"{self.kind}({', '.join(parts)})"


def _join(*notes: Optional[str]) -> Optional[str]:
    kept = [n for n in notes if n]
    return ", ".join(str(n) for n in kept) if kept else None


# --------------------------------------------------------------------------- arguments of a call


@record(frozen=True)
class StatePair:
    """A tuple or list given as the hidden state; an element is a Shape, or None when it is
    not a tensor or not known."""

    items: tuple[Optional[Shape], ...]
    container: str = "tuple"


class _UnknownHidden:
    def __repr__(self) -> str:
        return "UNKNOWN_HIDDEN"


UNKNOWN_HIDDEN = _UnknownHidden()
"""A hidden state that was given but whose value is not known (not the same as none given)."""

Hidden = Union[None, Shape, StatePair, _UnknownHidden]


@record(frozen=True)
class Violation:
    """One broken rule of the contract, with the facts a message is rendered from."""

    code: str
    subject: str  # what is wrong: "input", "h0", "c0", "hx", or a constructor argument name
    expected: str
    actual: str
    hint: str
    severity: Optional[str] = None  # overrides the catalog's severity (RNN002 when torch raises)
    raises: bool = True  # whether torch raises here (False: a silent bug torch accepts)

    def render(self, module: str) -> str:
        return f"{module} expects {self.expected}, but {self.actual}; {self.hint}"


def _shape_text(shape: Shape) -> str:
    return shape.described()


# --------------------------------------------------------------------------- constructor


class Unknown:
    """Marker for a constructor argument whose value is not known."""

    def __repr__(self) -> str:
        return "Unknown"


UNKNOWN_ARG = Unknown()

_RNN_POSITIONAL = {
    "RNN": ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout", "bidirectional"),
    "LSTM": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"),
    "GRU": ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"),
    "RNNCell": ("input_size", "hidden_size", "bias", "nonlinearity"),
    "LSTMCell": ("input_size", "hidden_size", "bias"),
    "GRUCell": ("input_size", "hidden_size", "bias"),
}
_EXTRA_KEYWORDS = ("device", "dtype")
_DEFAULTS = {
    "num_layers": 1,
    "nonlinearity": "tanh",
    "bias": True,
    "batch_first": False,
    "dropout": 0.0,
    "bidirectional": False,
    "proj_size": 0,
}


def positional_names(kind: str) -> tuple[str, ...]:
    """Constructor parameters of `kind` that can be given positionally, in order."""
    return _RNN_POSITIONAL[kind]


def bind_constructor(kind: str, positional: Sequence[object], keywords: dict[str, object]) -> dict[str, object]:
    """Map a constructor call's arguments to parameter names, the way torch's signature does.

    Extra positionals past the signature and unknown keywords are left out; `check_constructor`
    reports them separately from the raw call.
    """
    names = _RNN_POSITIONAL[kind]
    bound: dict[str, object] = dict(zip(names, positional))
    for key, value in keywords.items():
        bound[key] = value
    return bound


def check_constructor(kind: str, args: dict[str, object], positional_count: int = 0) -> list[Violation]:
    """RNN010/RNN011 from bound constructor arguments (python values or UNKNOWN_ARG)."""
    out: list[Violation] = []
    names = _RNN_POSITIONAL[kind]
    is_cell = kind in CELL_KINDS

    def bad(subject: str, expected: str, actual: str, hint: str, raises: bool = True) -> None:
        out.append(Violation("RNN010", subject, expected, actual, hint, raises=raises))

    for key in args:
        # GRU's 8th positional slot is proj_size (torch checks only the keyword form)
        positional_proj = key == "proj_size" and kind == "GRU" and positional_count >= 8
        if (key in names or key in _EXTRA_KEYWORDS) and not (key == "proj_size" and kind == "GRU") or positional_proj:
            continue
        if key == "proj_size" and kind in ("RNN", "GRU"):
            bad(key, "no proj_size (only nn.LSTM supports projections)", f"proj_size={args[key]!r} is given",
                "remove proj_size or use nn.LSTM")
        elif key == "nonlinearity" and kind in ("LSTM", "GRU"):
            bad(key, "no nonlinearity argument (only nn.RNN and nn.RNNCell take one)",
                f"nonlinearity={args[key]!r} is given", "remove it")
        elif key in ("dropout", "batch_first", "num_layers", "bidirectional") and is_cell:
            bad(key, f"no {key} argument (a cell processes one time step of one layer)",
                f"{key}={args[key]!r} is given", f"remove {key}, or use nn.{kind[:-4]} for sequences")
        elif not key.startswith("*"):
            bad(key, f"one of the keyword arguments {', '.join(names)}", f"got the unknown keyword '{key}'",
                "check the spelling")
    if kind == "GRU" and positional_count >= 8:  # the 8th slot bypasses torch's keyword-only check
        bad("proj_size", "no proj_size (only nn.LSTM supports projections)",
            "an 8th positional argument sets proj_size", "remove it; the first forward call would fail")

    for size in ("input_size", "hidden_size"):
        if size not in args:
            if size == "hidden_size" and positional_count < 2:
                bad(size, "hidden_size", "it is missing", "pass the hidden state size")
            continue
        value = args[size]
        if isinstance(value, Unknown):
            continue
        if isinstance(value, bool):
            bad(size, f"{size} as a positive int", f"it is the bool {value!r} (read as {int(value)})",
                "pass the size as an int", raises=False)
        elif not isinstance(value, int):
            bad(size, f"{size} as an int", f"it is {value!r} ({type(value).__name__})",
                "convert it with int(...) (e.g. use // instead of /)")
        elif value <= 0 and not (is_cell and value == 0):
            bad(size, f"{size} > 0", f"it is {value}", "pass a positive size")
        elif is_cell and value == 0:
            bad(size, f"{size} > 0", "it is 0 (cells accept it and compute nothing)", "pass a positive size",
                raises=False)

    if not is_cell:
        layers = args.get("num_layers", 1)
        if isinstance(layers, bool):
            bad("num_layers", "num_layers as a positive int", f"it is the bool {layers!r}", "pass an int", raises=False)
        elif isinstance(layers, (float, str)):
            bad("num_layers", "num_layers as an int", f"it is {layers!r}", "pass an int")
        elif isinstance(layers, int) and layers <= 0:
            bad("num_layers", "num_layers > 0", f"it is {layers}", "use at least one layer")

    nonlin = args.get("nonlinearity", "tanh")
    if kind in ("RNN", "RNNCell") and isinstance(nonlin, (str, bool, int, float)) and nonlin not in ("tanh", "relu"):
        where = " (the 4th positional argument of nn.RNN is nonlinearity, not bias)" if (
            kind == "RNN" and isinstance(nonlin, bool)) else ""
        bad("nonlinearity", "nonlinearity 'tanh' or 'relu'", f"it is {nonlin!r}{where}",
            "use 'tanh' or 'relu' (lower case)")

    for flag in ("bias", "batch_first", "bidirectional"):
        if flag not in args or (is_cell and flag != "bias"):
            continue
        value = args[flag]
        if isinstance(value, Unknown) or isinstance(value, bool):
            continue
        if is_cell and flag == "bias":
            if kind == "RNNCell" and value in ("tanh", "relu"):
                bad("bias", "bias as a bool (the 3rd positional argument of nn.RNNCell is bias)",
                    f"it is {value!r}, so the nonlinearity silently stays 'tanh'",
                    f"pass nonlinearity={value!r} by keyword", raises=False)
            continue
        if kind in ("LSTM", "GRU") and flag == "bias" and value in ("tanh", "relu"):
            actual = f"it is {value!r} (the 4th positional argument of nn.{kind} is bias; only nn.RNN takes a nonlinearity)"
        else:
            actual = f"it is {value!r} ({type(value).__name__})"
        bad(flag, f"{flag} as a bool", actual, "pass True or False", raises=flag != "bidirectional")

    if not is_cell:
        dropout = args.get("dropout", 0.0)
        if isinstance(dropout, bool) or isinstance(dropout, str) or dropout is None:
            bad("dropout", "dropout as a number in [0, 1]", f"it is {dropout!r}", "pass a float probability")
        elif isinstance(dropout, (int, float)):
            if not 0 <= dropout <= 1:
                bad("dropout", "dropout in [0, 1]", f"it is {dropout}", "pass a probability")
            elif dropout > 0:
                layers = args.get("num_layers", 1)
                if isinstance(layers, int) and not isinstance(layers, bool) and layers == 1:
                    out.append(Violation(
                        "RNN011", "dropout", "num_layers > 1 for dropout to act",
                        f"dropout={dropout} with num_layers=1",
                        "dropout only applies between stacked layers: set num_layers >= 2, "
                        "or apply nn.Dropout to the output", raises=False))

    proj = args.get("proj_size", 0)
    if kind == "LSTM" and "proj_size" in args and not isinstance(proj, Unknown):
        if isinstance(proj, bool) or not isinstance(proj, int):
            bad("proj_size", "proj_size as an int", f"it is {proj!r}", "pass an int")
        elif proj < 0:
            bad("proj_size", "proj_size >= 0", f"it is {proj}", "use 0 to disable projections")
        else:
            hidden = args.get("hidden_size")
            if isinstance(hidden, int) and not isinstance(hidden, bool) and proj >= hidden > 0:
                bad("proj_size", f"proj_size < hidden_size={hidden}", f"proj_size is {proj}",
                    "make the projection smaller than the hidden size")
    return out


def spec_from_arguments(kind: str, args: dict[str, object], dims: dict[str, Dim]) -> RNNSpec:
    """Build the spec from bound arguments; `dims` holds Dims (with origins) for the sizes."""

    def flag(name: str) -> Optional[bool]:
        value = args.get(name, _DEFAULTS.get(name))
        return value if isinstance(value, bool) else None

    def number(name: str) -> Dim:
        if name in dims:
            return dims[name]
        return Dim(_DEFAULTS[name]) if name in _DEFAULTS and name not in args else UNKNOWN

    dropout = args.get("dropout", 0.0)
    nonlin = args.get("nonlinearity", "tanh")
    return RNNSpec(
        kind=kind,
        input_size=dims.get("input_size", UNKNOWN),
        hidden_size=dims.get("hidden_size", UNKNOWN),
        num_layers=number("num_layers") if kind in RECURRENT_KINDS else Dim(1),
        bidirectional=flag("bidirectional") if kind in RECURRENT_KINDS else False,
        batch_first=flag("batch_first") if kind in RECURRENT_KINDS else False,
        proj_size=number("proj_size") if kind == "LSTM" else Dim(0),
        nonlinearity=nonlin if isinstance(nonlin, str) else None,
        dropout=float(dropout) if isinstance(dropout, (int, float)) else None,
    )


# --------------------------------------------------------------------------- a call


def check_call(spec: RNNSpec, x: Optional[Shape], hx: Hidden = None, packed: bool = False,
               input_from_rnn: bool = False) -> list[Violation]:
    """Check one forward call. Returns the violations torch would hit, in torch's order, up to
    and including the first one that raises (later checks never run in torch either).

    `packed`: x is the padded data of a PackedSequence, laid out (batch, time, features).
    `input_from_rnn`: the input is another RNN's output, so a feature mismatch is RNN009.
    """
    if spec.is_cell:
        return _check_cell_call(spec, x, hx)
    found: list[Violation] = []
    if x is None:
        return found
    rank = x.rank
    if packed:
        if rank is not None and rank != 3:
            found.append(Violation(
                "RNN003", "input", "packed data of rank 3 (batch, time, features) before packing",
                f"the padded data is {rank}-D {_shape_text(x)}", "pack a (batch, time, features) tensor"))
            return found
    elif rank is not None and rank not in (2, 3):
        found.append(Violation(
            "RNN003", "input", f"a 3-D input {_layout(spec)} or a 2-D unbatched (seq_len, input_size)",
            f"the input is {rank}-D {_shape_text(x)}", _rank_hint(rank, spec)))
        return found
    batched = True if packed else (rank == 3 if rank is not None else None)

    if batched is False and spec.batch_first is True and not packed:
        found.append(Violation(
            "RNN002", "input", "(batch, seq_len, input_size) for batch_first=True",
            f"the input is 2-D {_shape_text(x)}, which torch reads as ONE unbatched sequence of "
            f"{x.dims[0]} steps (no error is raised)",
            "add the batch dimension (x.unsqueeze(0) for one sequence, or reshape to (batch, seq_len, input_size))",
            raises=False))

    elif batched is False and not packed and x.dims[0].role == "batch":
        found.append(Violation(
            "RNN002", "input", "(seq_len, batch, input_size) or (batch, seq_len, input_size)",
            f"the input is a 2-D batch of feature vectors {_shape_text(x)}, which torch reads as ONE "
            f"unbatched sequence whose {x.dims[0]} time steps are the batch rows (no error is raised)",
            "give each row a time axis (x.unsqueeze(0) for a time-major module, x.unsqueeze(1) for batch_first=True)",
            raises=False))

    # hidden-state type and rank (torch checks these before the input size)
    stop = _check_hidden_kind(spec, hx, batched, found)
    if stop:
        if any(v.code == "RNN002" and v.raises for v in found):
            # a 3-D state makes torch raise on the missing batch dimension: say that, not the silent reading
            found[:] = [v for v in found if v.code != "RNN002" or v.raises]
        return found

    expected_in = spec.input_size
    if x.last.differs(expected_in):
        code = "RNN009" if input_from_rnn else "RNN001"
        found.append(Violation(
            code, "input", f"input_size={expected_in.described()}",
            f"the input's last dimension is {x.last} (shape {_shape_text(x)})",
            "make the input's feature dimension match input_size"
            + (" (the previous RNN outputs num_directions * hidden_size features)" if input_from_rnn else "")))
        return found

    if hx is None or hx is UNKNOWN_HIDDEN or batched is None:
        return found
    batch = UNKNOWN
    if batched:
        batch = x.dim(0) if packed or spec.batch_first else (x.dim(1) if spec.batch_first is False else UNKNOWN)
    states: list[tuple[str, Optional[Shape], Dim]] = []
    if spec.is_lstm:
        assert isinstance(hx, StatePair)
        states = [("h0", hx.items[0], spec.h_out), ("c0", hx.items[1], spec.hidden_size)]
    else:
        assert isinstance(hx, Shape)
        states = [("h0", hx, spec.h_out)]
    for name, shape, feat in states:
        if shape is None or not shape.rank_known:
            continue
        expected = (spec.state_rows, batch, feat) if batched else (spec.state_rows, feat)
        v = _hidden_mismatch(spec, name, shape, expected, batched, x)
        if v:
            found.append(v)
            return found
    return found


def _layout(spec: RNNSpec) -> str:
    if spec.batch_first is True:
        return "(batch, seq_len, input_size)"
    if spec.batch_first is False:
        return "(seq_len, batch, input_size)"
    return "(seq_len, batch, input_size) or batch-first"


def _rank_hint(rank: int, spec: RNNSpec) -> str:
    if rank > 3:
        return "flatten the extra dimensions into the feature axis (e.g. x.flatten(2)) or reshape before the RNN"
    if rank == 1:
        return "a single vector is one time step: use x.view(1, -1) for a one-step sequence"
    return "pass a sequence tensor"


def _check_hidden_kind(spec: RNNSpec, hx: Hidden, batched: Optional[bool], found: list[Violation]) -> bool:
    """Type and rank of the hidden state (RNN006, RNN005, RNN002). True when torch stops here."""
    if hx is None or hx is UNKNOWN_HIDDEN:
        return False
    want_rank = None if batched is None else (3 if batched else 2)
    if spec.is_lstm:
        if isinstance(hx, Shape):
            found.append(Violation(
                "RNN006", "hx", "an (h0, c0) tuple for nn.LSTM", f"a single tensor {_shape_text(hx)} is given",
                "pass (h0, c0) with c0 = torch.zeros_like(h0) if you have no cell state"))
            return True
        assert isinstance(hx, StatePair)
        if len(hx.items) != 2:
            found.append(Violation(
                "RNN006", "hx", "an (h0, c0) pair for nn.LSTM", f"a {hx.container} of {len(hx.items)} element(s)",
                "pass exactly (h0, c0)"))
            return True
        ranks = [s.rank if s is not None else None for s in hx.items]
        if want_rank is not None and all(r is not None for r in ranks) and any(r != want_rank for r in ranks):
            return _rank_violation(spec, hx.items[0] if ranks[0] != want_rank else hx.items[1],
                                   "h0" if ranks[0] != want_rank else "c0", want_rank, found)
        return False
    if isinstance(hx, StatePair):
        found.append(Violation(
            "RNN006", "hx", f"a single tensor h0 for nn.{spec.kind}",
            f"a {hx.container} of {len(hx.items)} element(s) is given",
            "only nn.LSTM takes an (h0, c0) pair: pass h0 alone"))
        return True
    assert isinstance(hx, Shape)
    if want_rank is not None and hx.rank is not None and hx.rank != want_rank:
        return _rank_violation(spec, hx, "h0", want_rank, found)
    return False


def _rank_violation(spec: RNNSpec, state: Optional[Shape], name: str, want_rank: int,
                    found: list[Violation]) -> bool:
    assert state is not None
    if want_rank == 2 and state.rank == 3:
        found.append(Violation(
            "RNN002", "input", f"a 3-D (batched) input, since {name} {_shape_text(state)} is {state.rank}-D",
            "the input is 2-D (unbatched)", "add the batch dimension to the input, or give a 2-D hidden state",
            severity="error"))
    else:
        layout = "(num_layers * num_directions, batch, hidden)" if want_rank == 3 else \
            "(num_layers * num_directions, hidden)"
        found.append(Violation(
            "RNN005", name, f"a {want_rank}-D {name} {layout} for a {want_rank}-D input",
            f"{name} is {state.rank}-D {_shape_text(state)}",
            f"add the layer dimension: {name}.unsqueeze(0)" if state.rank == want_rank - 1 else "reshape the hidden state"))
    return True


_AXIS = ("num_layers * num_directions", "batch", "hidden")


def _hidden_mismatch(spec: RNNSpec, name: str, shape: Shape, expected: tuple[Dim, ...], batched: bool,
                     x: Shape) -> Optional[Violation]:
    dims = shape.dims
    axes = _AXIS if batched else (_AXIS[0], _AXIS[2])
    wrong = [i for i, (got, want) in enumerate(zip(dims, expected)) if got.differs(want)]
    if not wrong:
        return None
    want_text = "(" + ", ".join(f"{axes[i]}={_num(expected[i])}" for i in range(len(expected))) + ")"
    hint = "the hidden state is always (num_layers * num_directions, batch, hidden), whatever batch_first says"
    if batched and len(dims) == 3 and dims[0].same(expected[1]) and dims[1].same(expected[0]) and not dims[0].same(dims[1]):
        hint = f"{name} is laid out batch-first; the hidden state never is: use {name}.transpose(0, 1).contiguous()"
    elif batched and 1 in wrong and wrong == [1]:
        hint = (f"{name}'s batch must equal the input's batch {expected[1].described()}"
                " (for a batch_first=True module that is x.size(0), otherwise x.size(1))")
    elif wrong == [0]:
        hint = (f"{name} needs num_layers * num_directions = {_num(expected[0])} rows"
                + (" (2 per layer for a bidirectional module)" if spec.bidirectional else ""))
    elif wrong == [len(expected) - 1]:
        feat = "proj_size" if (name == "h0" and spec.proj_size.value) else "hidden_size"
        hint = f"{name}'s last dimension must be {feat} {_num(expected[-1])}"
    return Violation("RNN005", name, f"{name} of shape {want_text}", f"it is {_shape_text(shape)}", hint)


def _num(d: Dim) -> str:
    return d.described()


def _check_cell_call(spec: RNNSpec, x: Optional[Shape], hx: Hidden) -> list[Violation]:
    found: list[Violation] = []
    if x is None:
        return found
    rank = x.rank
    if rank == 3:
        found.append(Violation(
            "RNN012", "input", f"one time step (batch, input_size) or (input_size,) for nn.{spec.kind}",
            f"the input is a 3-D sequence {_shape_text(x)}",
            f"loop over the time steps (for x_t in x.unbind(0)) or use nn.{spec.kind[:-4]}"))
        return found
    if rank is not None and rank not in (1, 2):
        found.append(Violation(
            "RNN003", "input", f"a 1-D or 2-D input for nn.{spec.kind}", f"the input is {rank}-D {_shape_text(x)}",
            "pass (batch, input_size) for one time step"))
        return found
    batched = None if rank is None else rank == 2
    state_items: list[tuple[str, Optional[Shape]]] = []
    if hx is not None and hx is not UNKNOWN_HIDDEN:
        if spec.is_lstm:
            if isinstance(hx, Shape):
                found.append(Violation(
                    "RNN006", "hx", "an (h, c) tuple for nn.LSTMCell", f"a single tensor {_shape_text(hx)} is given",
                    "pass (h, c)"))
                return found
            assert isinstance(hx, StatePair)
            if len(hx.items) != 2:
                found.append(Violation("RNN006", "hx", "an (h, c) pair for nn.LSTMCell",
                                       f"a {hx.container} of {len(hx.items)} element(s)", "pass exactly (h, c)"))
                return found
            state_items = [("h", hx.items[0]), ("c", hx.items[1])]
        else:
            if isinstance(hx, StatePair):
                found.append(Violation(
                    "RNN006", "hx", f"a single tensor h for nn.{spec.kind}",
                    f"a {hx.container} of {len(hx.items)} element(s) is given", "pass the tensor alone"))
                return found
            assert isinstance(hx, Shape)
            state_items = [("h", hx)]
    for name, state in state_items:
        if state is not None and state.rank is not None and state.rank not in (1, 2):
            found.append(Violation("RNN005", name, f"{name} of shape (batch, hidden_size) or (hidden_size,)",
                                   f"it is {state.rank}-D {_shape_text(state)}",
                                   "a cell's state has no layer dimension: drop it (state.squeeze(0))"))
            return found
    if x.last.differs(spec.input_size):
        found.append(Violation(
            "RNN001", "input", f"input_size={spec.input_size.described()}",
            f"the input's last dimension is {x.last} (shape {_shape_text(x)})",
            "make the input's feature dimension match input_size"))
        return found
    for name, state in state_items:
        if state is None or batched is None or state.rank is None:
            continue
        if batched and state.rank == 1 or not batched and state.rank == 2:
            want = "(batch, hidden_size)" if batched else "(hidden_size,)"
            found.append(Violation(
                "RNN005", name, f"{name} of shape {want} to match the {rank}-D input",
                f"it is {state.rank}-D {_shape_text(state)}",
                "give the state the same batching as the input"))
            return found
        expected = (x.dim(0), spec.hidden_size) if batched else (spec.hidden_size,)
        if any(g.differs(w) for g, w in zip(state.dims, expected)):
            want = "(batch={}, hidden_size={})".format(*map(_num, expected)) if batched else f"(hidden_size={_num(expected[0])},)"
            found.append(Violation("RNN005", name, f"{name} of shape {want}", f"it is {_shape_text(state)}",
                                   "a cell's state is (batch, hidden_size)"))
            return found
    return found


# --------------------------------------------------------------------------- outputs


def output_shapes(spec: RNNSpec, x: Shape, packed: bool = False) -> tuple[Shape, Shape, Optional[Shape]]:
    """(output, h_n, c_n) of a call with input x (c_n only for LSTMs). For a packed call the
    output is the padded layout (batch, time, features) a later pad_packed_sequence unpacks."""
    feat = spec.out_features
    if spec.is_cell:
        batch = x.dims[:-1] if x.rank_known else ()
        h = Shape(tuple(batch) + (spec.hidden_size.with_role("feature"),), x.rank_known)
        return h, h, (h if spec.is_lstm else None)
    rank = 3 if packed else x.rank
    if rank == 2:
        out = Shape((x.dims[0], feat.with_role("feature")))
        h = Shape((spec.state_rows, spec.h_out))
        c = Shape((spec.state_rows, spec.hidden_size))
    else:
        lead = x.dims[:-1] if x.rank_known else (UNKNOWN, UNKNOWN)
        out = Shape(tuple(lead) + (feat.with_role("feature"),), rank is not None)
        if packed or spec.batch_first is True:
            batch = x.dim(0)
        elif spec.batch_first is False and x.rank_known:
            batch = x.dim(1)
        else:
            batch = UNKNOWN
        h = Shape((spec.state_rows, batch.with_role("batch"), spec.h_out))
        c = Shape((spec.state_rows, batch.with_role("batch"), spec.hidden_size))
        if rank is None:
            # the input might have been unbatched: only the trailing size is certain
            h = Shape((spec.h_out,), rank_known=False)
            c = Shape((spec.hidden_size,), rank_known=False)
    return out, h, (c if spec.is_lstm else None)


# --------------------------------------------------------------------------- reading the outputs

IndexItem = Union[int, str, None]
"""One subscript element: an int, "full" (`:`), "slice" (another slice), "none" (`None`),
"ellipsis", or None when not known."""


def check_output_index(spec: RNNSpec, which: str, index: Sequence[IndexItem], rank: Optional[int]
                       ) -> Optional[Violation]:
    """RNN007/RNN008 for the sequence output `out[...]` (which="out"). The h_n row rules need the
    whole expression and live in `check_state_rows`."""
    if which != "out" or spec.is_cell or rank != 3 or "ellipsis" in index or "none" in index:
        return None
    items = list(index) + ["full"] * (3 - len(index))
    if spec.batch_first is None:
        return None
    time_axis, batch_axis = (1, 0) if spec.batch_first else (0, 1)
    last = -1
    if items[batch_axis] == last and items[time_axis] == "full":
        where = "out[:, -1]" if batch_axis == 1 else "out[-1]"
        layout = "batch_first=True (batch, seq_len, features)" if spec.batch_first else \
            "batch_first=False (seq_len, batch, features)"
        right = "out[:, -1]" if spec.batch_first else "out[-1]"
        return Violation(
            "RNN007", "output", f"the last time step on axis {time_axis} of an output laid out {layout}",
            f"{where} takes the last element of the batch axis (axis {batch_axis}) at every time step",
            f"use {right}" + (" (or h_n[-1])" if not spec.bidirectional else ""), raises=False)
    if spec.bidirectional and items[time_axis] == last and items[batch_axis] == "full" and items[2] == "full":
        return Violation(
            "RNN008", "output", "a summary of both directions of a bidirectional output",
            "the last time step holds the backward direction after only one step",
            "use torch.cat((h_n[-2], h_n[-1]), dim=1), or "
            "torch.cat((out[:, -1, :H], out[:, 0, H:]), dim=1) for batch-first output", raises=False)
    return None


def check_state_row(spec: RNNSpec, row: int) -> Optional[Violation]:
    """RNN008 for `h_n[row]` used alone as the summary of a bidirectional module."""
    if spec.is_cell or spec.bidirectional is not True:
        return None
    if spec.num_layers.value is None:
        # whatever the number of layers, rows 0 and 1 are the first layer's two directions
        # and rows -2 and -1 the last layer's
        if row not in (-2, -1, 0, 1):
            return None
        which = "backward" if row % 2 else "forward"
        layer_name = "the last layer's" if row < 0 else "layer 0's"
        layers = f"num_layers={spec.num_layers}" if spec.num_layers.symbol else "num_layers"
        detail = f"h_n[{row}] is only {layer_name} {which} direction, whatever {layers} is"
    else:
        rows = spec.num_layers.value * 2
        r = row % rows if -rows <= row < rows else None
        if r is None:
            return None
        layer, direction = divmod(r, 2)
        which = "backward" if direction else "forward"
        detail = f"h_n[{row}] is only layer {layer}'s {which} direction"
        if layer != spec.num_layers.value - 1:
            detail += " (not the last layer)"
    return Violation(
        "RNN008", "h_n", "both directions of the last layer (h_n rows are layer-major: 2k forward, 2k+1 backward)",
        detail, "use torch.cat((h_n[-2], h_n[-1]), dim=1)", raises=False)
