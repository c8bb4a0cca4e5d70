"""Symbolic sizes: linear forms over sizes >= 1, bounded, and proofs that hold for every value."""

from __future__ import annotations

import itertools

import pytest

from rnnlint.contract import SIZE_BOUND, UNKNOWN, Dim

H = Dim.named("hidden")
L = Dim.named("layers")
MAYBE_ZERO = Dim.named("extra", least=0)


def _values(d: Dim, env: dict[str, int]) -> int:
    """Evaluate a form of plain named atoms at the given values."""
    form = d.form
    assert form is not None
    const, terms = form
    return const + sum(c * env[atom] for atom, c, _ in terms)


@pytest.mark.parametrize("a, b", [
    (H * 2, H),                 # 2H is never H
    (H + 1, H),                 # a constant difference
    (H - 1, H),
    (H * 2 + 1, Dim(10)),       # odd is never even
    (Dim(0), H),                # a size is at least 1
    (H + L, H),                 # layers >= 1
    (H * 3, H * 2),
])
def test_proved_different(a: Dim, b: Dim) -> None:
    assert a.differs(b) and b.differs(a)
    # and it holds for every value tried
    for h, layers in itertools.product(range(1, 12), range(1, 5)):
        env = {"hidden": h, "layers": layers}
        assert _values(a, env) != _values(b, env)


@pytest.mark.parametrize("a, b", [
    (H, L),                     # two sizes may be equal
    (H * 2, Dim(10)),           # hidden = 5
    ((H // 2) * 2, H),          # equal for even hidden
    (H + MAYBE_ZERO, H),        # extra may be 0
    (H * L, H),                 # layers may be 1
    (UNKNOWN, H),
    (H, UNKNOWN),
])
def test_not_proved_different(a: Dim, b: Dim) -> None:
    assert not a.differs(b) and not b.differs(a)


def test_same_form_is_same_size() -> None:
    assert (H * 2).same(H + H)
    assert (H * L).same(L * H)
    assert (H - H).same(Dim(0)) and (H - H).known
    assert ((H * 4) // 2).same(H * 2)
    assert not (H * 2).same(H)
    assert not UNKNOWN.same(UNKNOWN)


def test_known_arithmetic_is_bounded() -> None:
    a = Dim(3)
    for _ in range(60):  # 3 ** (2 ** 60) if it were exact
        a = a * a
    assert a == UNKNOWN
    assert (Dim(SIZE_BOUND) + 1) == UNKNOWN
    assert (Dim(SIZE_BOUND) - 1).value == SIZE_BOUND - 1


def test_symbolic_arithmetic_is_bounded() -> None:
    doubled = H
    for _ in range(80):  # the coefficient passes the bound, the text never grows past it
        doubled = doubled + doubled
        assert len(str(doubled)) < 40
    assert doubled == UNKNOWN
    squared = H
    for _ in range(40):  # nested products stop at the bound on an atom's text
        squared = squared * squared
    assert squared == UNKNOWN
    many = H
    for i in range(20):  # too many terms
        many = many + Dim.named(f"s{i}")
    assert many == UNKNOWN


def test_text_is_readable() -> None:
    assert str(H * 2 + 1) == "2*hidden + 1"
    assert str(H - 1) == "hidden - 1"
    assert str(H * L) == "hidden*layers"
    assert str(Dim(1) - H) == "-hidden + 1"
