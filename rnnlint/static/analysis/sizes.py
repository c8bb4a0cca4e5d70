"""Which parameters of a definition are sizes: read from the code alone, before it runs.

A parameter is a size when it reaches an argument torch requires to be an int, directly or
through plain aliases (`self.hidden_size = hidden`, `h = hidden`) or a positive multiple
(`2 * hidden`). Its least value is what torch accepts there: an RNN's input_size, hidden_size
and num_layers raise below 1, a Linear's or an Embedding's sizes accept 0. Such a parameter
can then be read as a symbol: any finding on it holds for every value torch would run with.
"""

from __future__ import annotations

from typing import Optional, Union

import libcst as cst

# size arguments of torch constructors: (positional slots, keywords, least value accepted)
_RNN = (("input_size", "hidden_size", "num_layers"), 1)
_SINKS: dict[str, tuple[tuple[str, ...], int]] = {
    "RNN": _RNN, "LSTM": _RNN, "GRU": _RNN,
    "RNNCell": (("input_size", "hidden_size"), 0), "LSTMCell": (("input_size", "hidden_size"), 0),
    "GRUCell": (("input_size", "hidden_size"), 0),
    "Linear": (("in_features", "out_features"), 0),
    "Embedding": (("num_embeddings", "embedding_dim"), 0),
}
_KEYWORD_LEAST = {"proj_size": 0}

# how many alias steps are followed (`a = b`, `self.c = a`, ...): bounded like everything else
_MAX_ALIASES = 8


def size_params(func: cst.FunctionDef, owner: Optional[cst.ClassDef] = None) -> dict[str, int]:
    """The parameters of `func` used as sizes, each with the least value torch accepts for it:
    in `func` itself, and through the attributes of `self` anywhere in its class `owner`."""
    params = {p.name.value for p in func.params.params} | {p.name.value for p in func.params.kwonly_params}
    local = _Scan()
    func.visit(local)
    sinks, aliases = list(local.sinks), dict(local.aliases)
    if owner is not None:
        whole = _Scan()
        owner.visit(whole)
        sinks += [(name, least) for name, least in whole.sinks if name.startswith("self.")]
        for name, source in whole.aliases.items():
            if not name.startswith("self."):
                continue
            if name not in local.aliases and source is not None and not source.startswith("self."):
                source = None  # a local name of another method
            aliases[name] = source if aliases.get(name, source) == source else None
    found: dict[str, int] = {}
    for name, least in sinks:
        target = _resolve(name, aliases, params)
        if target is not None:
            found[target] = max(found.get(target, 0), least)
    return found


def _resolve(name: str, aliases: dict[str, Optional[str]], params: set[str]) -> Optional[str]:
    """The parameter a name stands for, when every assignment to it is a plain alias."""
    for _ in range(_MAX_ALIASES):
        if name in aliases:
            source = aliases[name]
            if source is None:
                return None
            name = source
            continue
        return name if name in params else None
    return None


class _Scan(cst.CSTVisitor):
    """Collects size arguments (name, least) and the aliases assigned in a scope; a name
    assigned anything else than one plain name is not an alias (None)."""

    def __init__(self) -> None:
        self.sinks: list[tuple[str, int]] = []
        self.aliases: dict[str, Optional[str]] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        source = _name(node.value)
        for target in node.targets:
            self._alias(target.target, source)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._alias(node.target, _name(node.value) if node.value is not None else None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._alias(node.target, None)

    def _alias(self, target: cst.BaseExpression, source: Optional[str]) -> None:
        name = _name(target)
        if name is None:
            return
        # one alias for every assignment: a second, different one makes the name ambiguous
        if name in self.aliases and self.aliases[name] != source or source == name:
            source = None
        self.aliases[name] = source

    def visit_Call(self, node: cst.Call) -> None:
        callee = node.func
        last = callee.attr.value if isinstance(callee, cst.Attribute) else \
            callee.value if isinstance(callee, cst.Name) else None
        if last not in _SINKS:
            return
        slots, least = _SINKS[last]
        for i, arg in enumerate(node.args):
            if arg.star:
                return
            key = arg.keyword.value if arg.keyword is not None else slots[i] if i < len(slots) else None
            if key in slots or key in _KEYWORD_LEAST:
                name = _scaled_name(arg.value)
                if name is not None:
                    self.sinks.append((name, _KEYWORD_LEAST.get(key, least)))  # type: ignore[arg-type]


def _scaled_name(node: cst.BaseExpression) -> Optional[str]:
    """`hidden`, `self.hidden`, or either times a positive int literal."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        for factor, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(factor, cst.Integer) and factor.evaluated_value > 0:
                return _name(other)
        return None
    return _name(node)


def _name(node: Union[cst.BaseExpression, cst.BaseAssignTargetExpression, None]) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return f"self.{node.attr.value}"
    return None
