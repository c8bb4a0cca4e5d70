"""`record` makes the same classes as `dataclass`: a class built both ways behaves alike in
everything the analysis and its callers use (construction, defaults, equality, hash, repr,
immutability, `fields`/`replace`/`asdict`)."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Optional

import pytest

from rnnlint.records import record


def _classes(decorate: Callable[..., Any], frozen: bool) -> tuple[type, type, type]:
    make = decorate(frozen=True) if frozen else decorate()

    class Base:
        """Not a dataclass: its attributes are no fields."""

        tag = "base"

    @make
    class Full(Base):
        """Every kind of field the package's classes declare."""

        shared: ClassVar[int] = 3
        a: int
        b: Optional[str] = None
        c: tuple = field(default=(), compare=False)
        d: list = field(default_factory=list, compare=False, repr=False)
        e: int = field(default=5, hash=False)
        g: int = field(default=7, init=False)

    @make
    class Empty:
        pass

    @make
    class Custom:
        """A class body's own methods stay."""

        x: int

        def __repr__(self) -> str:
            return "custom"

    return Full, Empty, Custom


def _outcome(action: Callable[[], object]) -> object:
    try:
        return action()
    except Exception as exc:  # the error, as the caller would see it
        return type(exc).__name__, str(exc)


def _behaviour(full: type, empty: type, custom: type, frozen: bool) -> list[object]:
    x, y, z = full(1, "s", (2,), [3], e=4), full(1, "s", (9,), [8], e=4), full(1, "t")
    seen: list[object] = [
        repr(x), repr(empty()), repr(custom(1)), x == y, x == z, x != y, empty() == empty(), x == 1, x.g, x.d,
        full(0).d is full(0).d, [f.name for f in dataclasses.fields(full)], repr(dataclasses.replace(x, a=5)),
        dataclasses.asdict(x), full.__match_args__, full.__hash__ is None, copy.deepcopy(x) == x,
        _outcome(lambda: full()), _outcome(lambda: full(1, g=2)), full.__doc__, empty.__doc__.replace("Empty", ""),
    ]
    if frozen:
        seen += [hash(x) == hash(y), hash(x) == hash(full(1, "s", e=99)), hash(empty()) == hash(empty()),
                 _outcome(lambda: setattr(x, "a", 3)), _outcome(lambda: setattr(x, "new", 3)),
                 _outcome(lambda: delattr(x, "a")), x.a]
    else:
        x.a = 9
        seen += [x.a, _outcome(lambda: hash(x))]
    return seen


@pytest.mark.parametrize("frozen", [True, False])
def test_a_record_behaves_as_the_same_dataclass(frozen: bool) -> None:
    assert _behaviour(*_classes(record, frozen), frozen) == _behaviour(*_classes(dataclass, frozen), frozen)


def test_a_frozen_record_lets_a_plain_subclass_add_attributes() -> None:
    @record(frozen=True)
    class Point:
        """A frozen record."""

        x: int

    class Named(Point):
        pass

    point = Named(1)
    point.label = "p"  # not a field, and not the record's own class: allowed, as dataclass allows
    assert (point.label, point.x) == ("p", 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2


def test_a_record_repr_of_itself_does_not_recurse() -> None:
    @record
    class Node:
        """A mutable record that can hold itself."""

        child: object = None

    node = Node()
    node.child = node
    assert repr(node) == "test_a_record_repr_of_itself_does_not_recurse.<locals>.Node(child=...)"
