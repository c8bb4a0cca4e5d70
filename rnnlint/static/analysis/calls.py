"""Calls: evaluating the arguments, then dispatching on the callee: a function, a class, a
bound method, an instance, an argparse parser, a dict/list method, or a torch name looked
up in `semantics`."""

from __future__ import annotations

import math
from typing import Union

import libcst as cst

from ...contract import Dim, UNKNOWN, bounded
from ..semantics.calls import CALLS
from ..semantics.context import CallArgs
from ..semantics.layers import LAYER_CALLS
from ..semantics.names import canonical, rnn_kind
from ..semantics.tensors import TENSOR_METHODS
from ..values import (
    TOP, BoundV, ClassV, Const, DictV, Env, FunctionV, InstanceV, IntV, LayerV, LoaderV, NamespaceV, ParserV, RefV,
    RNNModuleV, OneOfV, SeqV, TensorV, Value, one_of, options_of,
)


# methods that change a dict or list in place
_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update", "setdefault", "popitem",
                       "sort", "reverse", "__setitem__", "__delitem__"})
# str methods followed on a known string or a choice of strings (`getattr(nn, args.cell.upper())`)
_STR_METHODS = {"upper": str.upper, "lower": str.lower, "strip": str.strip, "capitalize": str.capitalize,
                "title": str.title}


# What argparse stores for an option not given, by its action, when there is no default=
# (a custom Action class may store anything).
_ACTION_DEFAULTS: dict[str, Value] = {
    "store_true": Const(False), "store_false": Const(True), "store": Const(None), "store_const": Const(None),
    "append": Const(None), "append_const": Const(None), "extend": Const(None), "count": Const(None),
}


class CallsMixin:
    """How the `Interpreter` applies a callee to evaluated arguments."""

    def eval_Call(self, node: cst.Call, env: Env) -> Value:
        func = self.eval(node.func, env)
        call = self.call_args(node, env)
        result = self.apply(func, call, node)
        if isinstance(func, BoundV) and isinstance(func.receiver, (DictV, SeqV)) and func.func in _MUTATORS \
                and isinstance(node.func, cst.Attribute):
            self.mutate(func.receiver, func.func, call, node.func.value, env)
        return result

    def mutate(self, container: Union[DictV, SeqV], method: str, call: CallArgs, target: cst.BaseExpression,
               env: Env) -> None:
        """`cfg.update(embed=24)` and `sizes.append(10)` are followed; any other change in place
        (`pop`, `sort`, an update from an unknown dict) leaves the container unknown."""
        if isinstance(container, DictV) and method == "update" and not call.star and len(call.args) <= 1:
            other = call.pos(0) if call.args else DictV({})
            if isinstance(other, DictV):
                for key, value in [*other.items.items(), *((k, v) for k, (v, _) in call.kwargs.items())]:
                    self.set_item(container, key, value)
                return
        if isinstance(container, SeqV) and container.kind == "list" and not call.star and not call.kwargs:
            if method == "append" and len(call.args) == 1:
                self.rebind(target, SeqV(container.items + (call.pos(0),), "list"), env)
                return
            if method == "extend" and len(call.args) == 1 and isinstance(call.pos(0), SeqV):
                self.rebind(target, SeqV(container.items + call.pos(0).items, "list"), env)  # type: ignore[union-attr]
                return
        self.rebind(target, TOP, env)

    def call_args(self, node: cst.Call, env: Env) -> CallArgs:
        args: list[tuple[Value, cst.Arg]] = []
        kwargs: dict[str, tuple[Value, cst.Arg]] = {}
        star = False
        for arg in node.args:
            value = self.eval(arg.value, env)
            if arg.star:
                if arg.star == "*" and isinstance(value, SeqV) and not kwargs:
                    args.extend((v, arg) for v in value.items)
                elif arg.star == "**" and isinstance(value, DictV) and all(isinstance(k, str) for k in value.items):
                    kwargs.update({k: (v, arg) for k, v in value.items.items()})  # type: ignore[misc]
                else:
                    star = True
            elif arg.keyword is not None:
                kwargs[arg.keyword.value] = (value, arg)
            else:
                args.append((value, arg))
        return CallArgs(node, args, kwargs, star)

    def apply(self, func: Value, call: CallArgs, node: cst.Call) -> Value:
        if isinstance(func, RefV):
            return self.call_ref(func.qualname, call)
        if isinstance(func, ClassV):
            return self.instantiate(func, call)
        if isinstance(func, FunctionV):
            return self.call_function(func, call)
        if isinstance(func, BoundV):
            return self.call_bound(func, call)
        if isinstance(func, RNNModuleV) and func.alts:
            return self.call_rnn_kinds(func, call)
        if isinstance(func, RNNModuleV):
            return self.call_rnn(func.spec, func.label or "the RNN", func.line, call)
        if isinstance(func, OneOfV):
            return self.call_choice(func, call)
        if isinstance(func, LayerV):
            handler = LAYER_CALLS.get(func.kind)
            return handler(self, func, call) if handler else TOP
        if isinstance(func, InstanceV):
            return self.call_instance(func, call)
        return TOP

    def call_choice(self, func: OneOfV, call: CallArgs) -> Value:
        """A class chosen at run time among RNN classes of one family (modules or cells): an RNN
        that may be any of those kinds. Any other choice is not followed."""
        kinds = [rnn_kind(o.qualname) if isinstance(o, RefV) else None for o in func.options]
        if any(k is None for k in kinds) or len({k.endswith("Cell") for k in kinds if k}) != 1:
            return TOP
        return self.build_rnn_kinds(tuple(dict.fromkeys(k for k in kinds if k)), call, "")

    def call_instance(self, inst: InstanceV, call: CallArgs) -> Value:
        fwd = self.find_method(inst.cls, "forward")
        if fwd is not None:
            return self.call_function(fwd, call, receiver=inst)
        if inst.rnn_spec is not None:
            return self.call_rnn(inst.rnn_spec, inst.label, inst.line, call)
        call_m = self.find_method(inst.cls, "__call__")
        if call_m is not None:
            return self.call_function(call_m, call, receiver=inst)
        return TOP

    def call_bound(self, bound: BoundV, call: CallArgs) -> Value:
        recv = bound.receiver
        if isinstance(bound.func, FunctionV):
            return self.call_function(bound.func, call, receiver=recv)
        name = bound.func
        if name == "self":
            return recv
        if name == "parameters":
            return LoaderV(TensorV(None, "a parameter"))  # `next(self.parameters())` is some weight
        if name.startswith("rnn_init:") and isinstance(recv, InstanceV):
            module = self.build_rnn(name.split(":")[1], call, recv.label)
            if isinstance(module, RNNModuleV):
                recv.rnn_spec = module.spec
            return Const(None)
        if name == "rnn_forward" and isinstance(recv, InstanceV) and recv.rnn_spec is not None:
            return self.call_rnn(recv.rnn_spec, recv.label, recv.line, call)
        if isinstance(recv, TensorV):
            handler = TENSOR_METHODS.get(name)
            if handler is None:
                return TOP
            return handler(self, CallArgs(call.node, call.args, call.kwargs, call.star, recv))
        if isinstance(recv, DictV):
            if name == "get":
                key = call.pos(0)
                k = key.value if isinstance(key, Const) else key.dim.value if isinstance(key, IntV) else None
                if k in recv.items:
                    return recv.items[k]
                if k is None and len(call.args) == 1 and not recv.partial:
                    return self.pick(list(recv.items.values()))  # `RNNS.get(name)(...)`: one of them, or None
                return call.pos(1) if len(call.args) > 1 else Const(None) if k is not None else TOP
            return TOP
        if isinstance(recv, ParserV):
            return self.parser_method(recv, name, call)
        if name in _STR_METHODS and not call.args and not call.kwargs and options_of(recv) is not None:
            options = options_of(recv) or ()
            if all(isinstance(o, Const) and isinstance(o.value, str) for o in options):
                return one_of(tuple(Const(_STR_METHODS[name](o.value)) for o in options))  # type: ignore[union-attr]
        return TOP

    def parser_method(self, parser: ParserV, name: str, call: CallArgs) -> Value:
        if name in ("add_argument",):
            flags = [v.value for v, _ in call.args if isinstance(v, Const) and isinstance(v.value, str)]
            dest = call.get("dest")
            long = next((f for f in flags if f.startswith("--")), flags[0] if flags else None)
            key = dest.value if isinstance(dest, Const) and isinstance(dest.value, str) else \
                long.lstrip("-").replace("-", "_") if long else None
            if key is None:
                return TOP
            action = call.get("action", default=Const("store"))
            default = call.kwargs["default"][0] if "default" in call.kwargs else \
                _ACTION_DEFAULTS.get(action.value, TOP) if isinstance(action, Const) and isinstance(
                    action.value, str) else TOP
            # a value set on the command line can be anything: only the default is known, and
            # only while nothing else could change it (no `required=True`); with `choices` it is
            # one of them, so every branch they lead to is read
            if "required" in call.kwargs:
                default = TOP
            choices = call.get("choices")
            if "choices" in call.kwargs:
                options = choices.items if isinstance(choices, SeqV) else ()
                default = one_of(options + (default,)) if all(
                    isinstance(o, Const) and isinstance(o.value, str) for o in options) and options else TOP
            kind = call.kwargs.get("type", (None, None))[0]
            if "default" not in call.kwargs and "choices" not in call.kwargs and isinstance(kind, RefV) \
                    and canonical(kind.qualname) == "builtins.int":
                # an int option without a default is given on the command line (left out, None
                # makes any size argument raise): a size whose value the user chooses
                default = IntV(Dim.named(key).with_origin(f"the command-line option {long or key}"))
            parser.attrs[key] = default
            return TOP
        if name in ("parse_args", "parse_known_args"):
            ns = NamespaceV(dict(parser.attrs))
            return ns if name == "parse_args" else SeqV((ns, TOP))
        if name in ("add_argument_group", "add_mutually_exclusive_group"):
            return parser
        return TOP

    def call_ref(self, qualname: str, call: CallArgs) -> Value:
        name = canonical(qualname)
        kind = rnn_kind(name)
        if kind is not None:
            return self.build_rnn(kind, call, "")
        handler = CALLS.get(name)
        if handler is not None:
            return handler(self, call)
        if name in ("argparse.ArgumentParser",):
            return ParserV({})
        if name == "builtins.super":
            return self.super_value()
        if name == "builtins.len":
            arg = call.pos(0)
            if isinstance(arg, SeqV):
                return IntV(Dim(len(arg.items)))
            if isinstance(arg, TensorV) and arg.shape is not None and arg.shape.rank_known and arg.shape.dims:
                return IntV(arg.shape.dims[0])
            return IntV(UNKNOWN)
        if name == "builtins.int":
            arg = call.pos(0)
            if isinstance(arg, IntV):
                return arg
            if isinstance(arg, Const) and isinstance(arg.value, (float, bool)) and math.isfinite(arg.value):
                return IntV(bounded(int(arg.value)))
            return IntV(UNKNOWN)
        if name in ("builtins.tuple", "builtins.list"):
            arg = call.pos(0)
            return arg if isinstance(arg, SeqV) else TOP
        if name == "builtins.next":
            arg = call.pos(0)
            return arg.element if isinstance(arg, LoaderV) else TOP
        if name in ("builtins.enumerate",):
            return BoundV(call.pos(0), "enumerate")
        if name in ("builtins.dict",):
            return DictV({k: v for k, (v, _) in call.kwargs.items()}) if not call.args and not call.star else TOP
        if name == "builtins.getattr":
            return self.named_attribute(call)
        if name in ("builtins.isinstance", "builtins.hasattr", "builtins.print"):
            return TOP
        if name in ("types.SimpleNamespace", "argparse.Namespace"):
            return NamespaceV({k: v for k, (v, _) in call.kwargs.items()}) if not call.star else TOP
        return TOP

    def named_attribute(self, call: CallArgs) -> Value:
        """`getattr(nn, name)` of a module of torch, with `name` a known string or one of known
        strings: what each names. Any other `getattr` is unknown."""
        if len(call.args) != 2 or call.kwargs or call.star:
            return TOP
        base, names = call.pos(0), options_of(call.pos(1))
        if not isinstance(base, RefV) or names is None or not all(
                isinstance(n, Const) and isinstance(n.value, str) and n.value.isidentifier() for n in names):
            return TOP
        return one_of(tuple(self.get_attr(base, n.value) for n in names))  # type: ignore[union-attr]
