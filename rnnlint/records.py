"""`record`: a `dataclasses.dataclass` (with its default `init`, `repr` and `eq`, and `frozen`
as asked) built at a third of the cost.

`dataclass` compiles each method it writes on its own, six for a frozen class: the analyzer's
value classes alone cost a one-file run more than its parse. Here `dataclass` still reads the
fields (no code is written for that); `__init__`, `__eq__` and `__hash__`, which the analysis
calls all the time, are the same code as dataclass's, compiled together in one go; `__repr__`
and a frozen class's `__setattr__`/`__delattr__`, which it never calls, are shared functions.
The class is a dataclass (`fields`, `replace`, `asdict` work), and its methods behave as
dataclass's do: the same equality over the compared fields, the same hash, repr and errors.
`InitVar` pseudo-fields are not supported (`__init__` does not take them)."""

from __future__ import annotations

import dataclasses
from reprlib import recursive_repr
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T", bound=type)

_FACTORY = object()  # the default of an argument whose field has a default_factory


def record(cls: Optional[T] = None, /, *, frozen: bool = False) -> Any:
    """`@record` or `@record(frozen=True)`, used as `@dataclass` / `@dataclass(frozen=True)`."""

    def wrap(cls: T) -> T:
        return _build(cls, frozen)

    return wrap if cls is None else wrap(cls)


def _build(cls: T, frozen: bool) -> T:
    own = dict(cls.__dict__)  # what the class body defines: dataclass never replaces those
    documented = bool(own.get("__doc__"))
    if not documented:  # dataclass would write the doc from object's signature, read by tokenizing it
        cls.__doc__ = cls.__name__
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False)  # type: ignore[assignment]
    fields = dataclasses.fields(cls)
    names: dict[str, object] = {"__dataclass_builtins_object__": object, "_FACTORY": _FACTORY}
    source = [_init_source(cls, fields, frozen, names)]
    compared = [f.name for f in fields if f.compare]
    source.append(_eq_source(compared))
    hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if frozen and not explicit_hash:
        source.append(_hash_source(hashed))
    made: dict[str, Callable[..., Any]] = {}
    exec("\n".join(source), names, made)  # rnnlint's own method text, as dataclass does
    made["__init__"].__annotations__ = {**{f.name: f.type for f in fields if f.init}, "return": None}
    made["__repr__"] = _repr([f.name for f in fields if f.repr])
    if frozen:
        for method in ("__setattr__", "__delattr__"):
            if method in own:
                raise TypeError(f"Cannot overwrite attribute {method} in class {cls.__name__}")
        made["__setattr__"], made["__delattr__"] = _frozen(cls, tuple(f.name for f in fields))
    elif not explicit_hash:
        made["__hash__"] = None  # type: ignore[assignment]  # mutable and compared by value: unhashable
    for name, method in made.items():
        if name not in own or name == "__hash__":
            if method is not None:
                method.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, method)
    if not documented:
        import inspect

        cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
    return cls


def _init_source(cls: type, fields: tuple[dataclasses.Field, ...], frozen: bool, names: dict[str, object]) -> str:
    params, keywords, body = ["self"], [], []
    for f in fields:
        default = f"__dataclass_dflt_{f.name}__"
        if f.default_factory is not dataclasses.MISSING:
            names[default] = f.default_factory
            value = f"{default}() if {f.name} is _FACTORY else {f.name}" if f.init else f"{default}()"
            arg = f"{f.name}=_FACTORY"
        else:
            value = f.name
            if f.default is not dataclasses.MISSING:
                names[default] = f.default
                arg = f"{f.name}={default}"
            else:
                arg = f.name
            if not f.init:
                continue  # the class attribute holds the default
        if f.init:
            (keywords if getattr(f, "kw_only", False) else params).append(arg)
        body.append(f"  __dataclass_builtins_object__.__setattr__(self, {f.name!r}, {value})" if frozen
                    else f"  self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    signature = ", ".join(params + (["*", *keywords] if keywords else []))
    return f"def __init__({signature}):\n" + ("\n".join(body) or "  pass")


def _tuple(owner: str, names: list[str]) -> str:
    """The source of the tuple of `owner`'s fields `names`, as dataclass writes it."""
    return "(" + "".join(f"{owner}.{n}," for n in names) + ")"


def _eq_source(compared: list[str]) -> str:
    return (f"def __eq__(self, other):\n  if other.__class__ is self.__class__:\n"
            f"    return {_tuple('self', compared)}=={_tuple('other', compared)}\n  return NotImplemented")


def _hash_source(hashed: list[str]) -> str:
    return f"def __hash__(self):\n  return hash({_tuple('self', hashed)})"


def _repr(shown: list[str]) -> Callable[[Any], str]:
    @recursive_repr()
    def __repr__(self: Any) -> str:
        return self.__class__.__qualname__ + "(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in shown) + ")"

    return __repr__


def _frozen(cls: type, fields: tuple[str, ...]) -> tuple[Callable[..., None], Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: object) -> None:
        if type(self) is cls or name in fields:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in fields:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__
