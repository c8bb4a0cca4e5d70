"""Which parameters of a definition are sizes: read from the code alone, before it runs.

A parameter is a size when it reaches an argument torch requires to be an int, directly or
through plain aliases (`self.hidden_size = hidden`, `h = hidden`) or a positive multiple
(`2 * hidden`). Its least value is what torch accepts there: an RNN's input_size, hidden_size
and num_layers raise below 1, a Linear's or an Embedding's sizes accept 0. Such a parameter
can then be read as a symbol: any finding on it holds for every value torch would run with.
"""

from __future__ import annotations

import ast
import textwrap
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


def size_params(func: ast.FunctionDef, owner: Optional[ast.ClassDef] = None) -> dict[str, int]:
    """The parameters of `func` used as sizes, each with the least value torch accepts for it:
    in `func` itself, and through the attributes of `self` anywhere in its class `owner`."""
    params = {a.arg for a in func.args.args + func.args.kwonlyargs + func.args.posonlyargs}
    local = _scan(func)
    sinks, aliases = list(local.sinks), dict(local.aliases)
    if owner is not None:
        whole = _scan(owner)
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


def syntax_of(node: Union[cst.FunctionDef, cst.ClassDef]) -> Optional[Union[ast.FunctionDef, ast.ClassDef]]:
    """The stdlib tree of a definition, for a definition met where no module tree is at hand."""
    try:
        tree = ast.parse(textwrap.dedent(cst.Module(body=[node]).code))
    except (SyntaxError, ValueError, RecursionError):
        return None
    found = tree.body[0] if tree.body else None
    return found if isinstance(found, (ast.FunctionDef, ast.ClassDef)) else None


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


class _Found:
    """Size arguments (name, least) and the aliases assigned in a scope; a name assigned
    anything else than one plain name is not an alias (None)."""

    def __init__(self) -> None:
        self.sinks: list[tuple[str, int]] = []
        self.aliases: dict[str, Optional[str]] = {}

    def alias(self, target: ast.expr, source: Optional[str]) -> None:
        name = _name(target)
        if name is None:
            return
        # one alias for every assignment: a second, different one makes the name ambiguous
        if name in self.aliases and self.aliases[name] != source or source == name:
            source = None
        self.aliases[name] = source

    def call(self, node: ast.Call) -> None:
        callee = node.func
        last = callee.attr if isinstance(callee, ast.Attribute) else callee.id if isinstance(callee, ast.Name) else None
        if last not in _SINKS:
            return
        slots, least = _SINKS[last]
        if any(isinstance(a, ast.Starred) for a in node.args):
            return
        named = [(slots[i] if i < len(slots) else None, a) for i, a in enumerate(node.args)]
        named += [(k.arg, k.value) for k in node.keywords]
        for key, value in named:
            if key in slots or key in _KEYWORD_LEAST:
                name = _scaled_name(value)
                if name is not None:
                    self.sinks.append((name, _KEYWORD_LEAST.get(key, least)))  # type: ignore[arg-type]


def _scan(scope: ast.AST) -> _Found:
    found = _Found()
    # a walk of the node fields, cheaper than `ast.walk`; what is found does not depend on the
    # order the nodes are met in
    todo: list[object] = [scope]
    while todo:
        node = todo.pop()
        kind = type(node)
        names = _FIELDS.get(kind)
        if names is None:
            names = _FIELDS[kind] = _fields(kind)
        for name in names:
            child = getattr(node, name, None)
            if type(child) is list:
                todo.extend(child)
            elif child is not None:
                todo.append(child)
        if kind not in _SCANNED:
            continue
        if kind is ast.Assign:
            source = _name(node.value)  # type: ignore[attr-defined]
            for target in node.targets:  # type: ignore[attr-defined]
                found.alias(target, source)
        elif kind is ast.AnnAssign:
            found.alias(node.target, _name(node.value) if node.value is not None else None)  # type: ignore
        elif kind is ast.Call:
            found.call(node)  # type: ignore[arg-type]
        else:
            found.alias(node.target, None)  # type: ignore[attr-defined]
    return found


_SCANNED = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.Call})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    """The fields of a node class that may hold nodes, listed once per class (none for a
    constant's value; `ctx` holds only Load or Store, the others left out only text or
    numbers, or in an import only names)."""
    if not issubclass(kind, ast.AST) or kind is ast.Constant:
        return ()
    return tuple(name for name in kind._fields if name not in _NOT_NODES)


_NOT_NODES = frozenset({"ctx", "id", "attr", "arg", "name", "asname", "names", "module", "level", "kind",
                        "type_comment", "conversion", "is_async", "simple"})


def _scaled_name(node: ast.expr) -> Optional[str]:
    """`hidden`, `self.hidden`, or either times a positive int literal."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for factor, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(factor, ast.Constant) and type(factor.value) is int and factor.value > 0:
                return _name(other)
        return None
    return _name(node)


def _name(node: Optional[ast.expr]) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return f"self.{node.attr}"
    return None
