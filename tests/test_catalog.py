"""The catalog carries its own proof: every rule's bad example produces the rule and its
fixed example lints clean (runtime-only rules are proven by the guard's tests)."""

from __future__ import annotations

import pytest

from rnnlint import rules
from rnnlint.static.engine import lint_source

STATIC = [r for r in rules.RULES if r.scope != "runtime"]


def test_codes_are_unique_and_documented() -> None:
    assert len({r.code for r in rules.RULES}) == len(rules.RULES)
    for rule in rules.RULES:
        assert rule.severity in ("error", "warning")
        assert all((rule.name, rule.summary, rule.why, rule.bad, rule.fixed, rule.torch))


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.code)
def test_bad_example_is_reported(rule: rules.Rule) -> None:
    codes = [d.code for d in lint_source(rule.bad, "bad.py")]
    assert codes == [rule.code]


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.code)
def test_fixed_example_is_clean(rule: rules.Rule) -> None:
    assert lint_source(rule.fixed, "fixed.py") == []


def test_selectors_match_codes_and_prefixes() -> None:
    assert rules.matches("RNN001", ("RNN",))
    assert rules.matches("RNN001", ("rnn00",))
    assert not rules.matches("RNN011", ("RNN001",))
