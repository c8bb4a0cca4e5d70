"""Narrowing: a test that splits what a name may be, so each branch of an `if` (or arm of a
conditional expression) is read with the values it is taken for: a string chosen at run time
compared with `==`/`in`, the final state of an RNN that may be an LSTM tested with
`isinstance(h, tuple)`."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from ..values import Env, OneOfV, StatesV, Value, one_of, truth


class NarrowingMixin:
    """How the `Interpreter` narrows a name by the test of a branch."""

    def narrow(self, test: cst.BaseExpression, env: Env) -> Optional[tuple[str, Value, Value]]:
        """A test that splits what a name may be: the name, its value where the test holds and
        where it does not; None for any other test."""
        return self.narrow_state(test, env) or self.narrow_choice(test, env)

    def narrow_choice(self, test: cst.BaseExpression, env: Env) -> Optional[tuple[str, Value, Value]]:
        """`cell == "lstm"`, `cell in ("lstm", "gru")` on a name that is one of several strings:
        each branch sees the strings it is taken for (a chain of `elif` narrows further)."""
        if not (type(test) is cst.Comparison and len(test.comparisons) == 1 and type(test.left) is cst.Name):
            return None
        value = env.lookup(test.left.value)
        op = test.comparisons[0].operator
        if not isinstance(value, OneOfV) or type(op) not in (cst.Equal, cst.NotEqual, cst.In, cst.NotIn):
            return None
        right = self.eval(test.comparisons[0].comparator, env)
        outcomes = [(o, truth(self.compare(o, op, right))) for o in value.options]
        if any(t is None for _, t in outcomes):
            return None
        holds = tuple(o for o, t in outcomes if t)
        fails = tuple(o for o, t in outcomes if not t)
        if not holds or not fails:
            return None
        return test.left.value, one_of(holds), one_of(fails)

    def narrow_state(self, test: cst.BaseExpression, env: Env) -> Optional[tuple[str, Value, Value]]:
        """`isinstance(h, tuple)` (or `not ...`, or `(tuple, list)`) on the final state of an RNN
        that may be an LSTM: the name's value where the test holds and where it does not."""
        kind = type(test)  # exact classes: a failed isinstance on a LibCST class is slow (ABC)
        if kind is cst.UnaryOperation and type(test.operator) is cst.Not:
            inner = self.narrow_state(test.expression, env)
            return (inner[0], inner[2], inner[1]) if inner is not None else None
        if not (kind is cst.Call and type(test.func) is cst.Name and test.func.value == "isinstance"
                and len(test.args) == 2 and type(test.args[0].value) is cst.Name):
            return None
        name = test.args[0].value.value
        value = env.lookup(name)
        kinds = test.args[1].value
        named = [e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
        if not isinstance(value, StatesV) or env.lookup("isinstance") is not None or not all(
                isinstance(n, cst.Name) and n.value in ("tuple", "list") for n in named):
            return None
        return name, value.pair, value.tensor
