"""What the analysis knows of each RNN module, RNN call and tensor name of a file: the
configuration, the input, state, output and h_n shapes, each with where its numbers came from
(`rnnlint shapes`, and the language server's hover).

A `ShapeRecorder` is the interpreter's observer: it keeps the events of the linted file (not
those of the files it imports) and turns them into `Record`s once the run is over, when the
origins, which are computed on demand, can be rendered. A node met several times (a function
called with different arguments) gives one record per distinct reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

import libcst as cst

from ..contract import UNKNOWN_HIDDEN, Dim, Hidden, RNNSpec, Shape, StatePair
from .analysis.source import Where, code_of
from .values import RNNModuleV, SeqV, TensorV, Value

_SIZES = ("input_size", "hidden_size", "num_layers", "proj_size")


@dataclass(frozen=True)
class Fact:
    """One number or shape, and where it came from ("" when the analysis does not say)."""

    name: str
    value: str
    origin: str = ""

    def text(self) -> str:
        joined = f"{self.name} {self.value}" if self.value.startswith("(") else f"{self.name}={self.value}"
        return joined + (f": {self.origin}" if self.origin else "")

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value, "origin": self.origin}


@dataclass(frozen=True)
class Record:
    """An RNN module built ("module"), an RNN called ("call") or a tensor bound to a name
    ("tensor"), at a 1-based, end-exclusive range of the file."""

    kind: str
    path: str
    row: int
    column: int
    end_row: int
    end_column: int
    label: str  # `self.rnn`, `self.rnn(x)`, `out`
    configuration: str  # the module's, e.g. `LSTM(10, 20, batch_first=True)` ("" for a tensor)
    facts: tuple[Fact, ...]

    def headline(self) -> str:
        if self.kind == "module":
            return f"module {self.label}: nn.{self.configuration}"
        if self.kind == "call":
            return f"call {self.label}: nn.{self.configuration}"
        return f"tensor {self.label}"

    def lines(self) -> list[str]:
        return [f"{self.path}:{self.row}:{self.column}: {self.headline()}", *(f"    {f.text()}" for f in self.facts)]

    def contains(self, row: int, column: int) -> bool:
        return (self.row, self.column) <= (row, column) < (self.end_row, self.end_column)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "filename": self.path, "location": {"row": self.row, "column": self.column},
                "end_location": {"row": self.end_row, "column": self.end_column}, "label": self.label,
                "configuration": self.configuration, "facts": [f.to_dict() for f in self.facts]}


def _dims_origin(shape: Shape) -> str:
    """Where each size of a computed shape (an output's) came from, when it says."""
    return "; ".join(f"{d} = {d.origin}" for d in shape.dims if d.origin)


def _shape(name: str, shape: Optional[Shape]) -> Fact:
    if shape is None:
        return Fact(name, "unknown")
    return Fact(name, str(shape), str(shape.origin) if shape.origin else _dims_origin(shape))


def _size(name: str, dim: Dim) -> Fact:
    return Fact(name, str(dim), str(dim.origin) if dim.origin else "")


def configuration_facts(spec: RNNSpec) -> tuple[Fact, ...]:
    facts = [_size(n, getattr(spec, n)) for n in _SIZES if n != "proj_size" or spec.is_lstm]
    if not spec.is_cell:
        facts += [Fact(flag, "unknown" if getattr(spec, flag) is None else str(getattr(spec, flag)))
                  for flag in ("bidirectional", "batch_first")]
    return tuple(facts)


def _state_facts(spec: RNNSpec, hx: Hidden, h_n: Shape, c_n: Optional[Shape]) -> list[Fact]:
    names = ("h0", "c0") if spec.is_lstm else ("h0",)
    if hx is None:
        return [Fact(n, "not given", f"zeros of shape {s}") for n, s in zip(names, (h_n, c_n)) if s is not None]
    if hx is UNKNOWN_HIDDEN:
        return [Fact("state", "unknown")]
    if isinstance(hx, StatePair):
        return [_shape(n, s) for n, s in zip(names, hx.items)]
    return [_shape(names[0], hx)]  # type: ignore[arg-type]


class ShapeRecorder:
    """The interpreter's `Observer` for one file (shown as `path`)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.events: list[tuple[str, cst.CSTNode, Where, tuple[Any, ...]]] = []
        self.general_from = -1  # events from here on read a definition for every value of its parameters

    def reading_alone(self) -> None:
        self.general_from = len(self.events)

    def built(self, node: cst.Call, module: RNNModuleV, where: Where) -> None:
        if where[0].path == self.path:
            self.events.append(("module", node, where, (module,)))

    def called(self, node: cst.Call, spec: RNNSpec, label: str, x: Optional[Shape], hx: Hidden,
               results: tuple[Shape, Shape, Optional[Shape]], where: Where) -> None:
        if where[0].path == self.path:
            self.events.append(("call", node, where, (spec, label, x, hx, results)))

    def bound(self, node: cst.Name, value: Value, where: Where) -> None:
        if where[0].path == self.path and _tensors(value):
            self.events.append(("tensor", node, where, (value,)))

    def records(self) -> list[Record]:
        """Distinct records in the order met; the general reading of a place is shown only where
        the file's own run never reached it (a library class nothing here builds)."""
        found: dict[Record, None] = {}
        concrete: set[tuple[str, int, int]] = set()
        for i, (kind, node, (info, top, line), data) in enumerate(self.events):
            pos = info.position(node, top, line)
            if pos is None:
                continue
            at = (pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1)
            general = 0 <= self.general_from <= i
            if general and (kind, *at[:2]) in concrete:
                continue
            if not general:
                concrete.add((kind, *at[:2]))
            found[Record(kind, self.path, *at, *_describe(kind, node, data))] = None
        return sorted(found, key=lambda r: (r.row, r.column, r.kind))


def _tensors(value: Value) -> list[tuple[str, TensorV]]:
    """The tensors of a value bound to a name: itself, or the items of an (out, h_n) result."""
    if isinstance(value, TensorV):
        return [("shape", value)] if value.shape is not None else []
    if isinstance(value, SeqV) and len(value.items) <= 4:
        found = []
        for i, item in enumerate(value.items):
            found += [(f"[{i}]" + ("" if name == "shape" else name), t) for name, t in _tensors(item)]
        return found
    return []


def _describe(kind: str, node: cst.CSTNode, data: tuple[Any, ...]) -> tuple[str, str, tuple[Fact, ...]]:
    if kind == "module":
        module: RNNModuleV = data[0]
        return module.label or _short(code_of(node)), module.spec.describe(), configuration_facts(module.spec)
    if kind == "call":
        spec, label, x, hx, (out, h_n, c_n) = data
        facts = [_shape("input", x), *_state_facts(spec, hx, h_n, c_n)]
        if spec.is_cell:
            facts += [_shape("h'", h_n)] + ([_shape("c'", c_n)] if c_n is not None else [])
        else:
            facts += [_shape("output", out), _shape("h_n", h_n)] + ([_shape("c_n", c_n)] if c_n is not None else [])
        return _short(code_of(node)), spec.describe(), tuple(facts)
    value: Value = data[0]
    facts = []
    for name, t in _tensors(value):
        assert t.shape is not None
        origin = str(t.origin) if t.origin else _dims_origin(t.shape)
        facts.append(Fact(name, str(t.shape), origin))
    return code_of(node), "", tuple(facts)


def _short(code: str) -> str:
    code = " ".join(code.split())
    return code if len(code) <= 60 else code[:57] + "..."


def shapes_of_source(source: str, path: str, real: Optional[Path] = None) -> list[Record]:
    """The records of a Python source (its imports read beside `real`, as `check` does)."""
    from .engine import lint_source

    recorder = ShapeRecorder(path)
    lint_source(source, path, real, recorder)
    return recorder.records()


def shapes_of_file(path: Path, shown: str) -> Union[list[Record], str]:
    """The records of a Python file, or why there are none (unreadable, a notebook)."""
    from .parsing import decode

    if path.suffix == ".ipynb":
        return f"{shown}: notebooks are not supported by `rnnlint shapes` yet"
    try:
        source = decode(path.read_bytes())
    except (OSError, SyntaxError, ValueError, LookupError) as exc:
        return f"{shown}: cannot read the file ({exc})"
    return shapes_of_source(source, shown, path)
