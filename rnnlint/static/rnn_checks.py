"""Where the analysis meets the contract: an RNN value built from its constructor, a call
judged against it, an index into its output or h_n, a layout handed to packing. With
`placement` (where each finding goes), the only place of the static analysis that speaks in
rule codes."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import libcst as cst

from .. import contract
from ..contract import Dim, RNNSpec, Shape, StatePair, UNKNOWN, UNKNOWN_HIDDEN, Violation
from ..diagnostic import Diagnostic, Fact
from .placement import PlacementMixin
from .semantics.context import CallArgs
from .semantics.names import rnn_kind
from .semantics.tensors import at_least
from .values import TOP, ClassV, Const, IntV, LayerV, Lazy, RefV, RNNModuleV, RNNRef, SeqV, StatesV, TensorV, Value, line_named


class RNNChecksMixin(PlacementMixin):
    """What the `Interpreter` does at an RNN event."""

    def resolve_direction_pairs(self, parts: list[Value]) -> None:
        """`torch.cat((h_n[-2], h_n[-1]), 1)` is the right summary: drop the pending RNN008
        findings of rows that form the last layer's forward/backward pair."""
        rows = [p for p in parts if isinstance(p, TensorV) and p.role == "state_row" and p.row is not None]
        for p in rows:
            spec = p.rnn.spec if p.rnn else None
            if spec is None:
                continue
            if spec.num_layers.value is None:
                # one layer's two directions, the last layer's or the first (the last when
                # num_layers is 1): not a one-direction summary
                mine = {r.row for r in rows if r.rnn == p.rnn}
                if ({-2, -1} <= mine or {0, 1} <= mine) and p.row_node is not None:
                    self.pending.pop(id(p.row_node), None)
                continue
            # with num_layers unknown, only -2 and -1 name the last layer's pair
            total = spec.num_layers.value * 2 if spec.num_layers.value is not None else 2
            mine = {r.row % total for r in rows if r.rnn == p.rnn and r.row is not None and -total <= r.row < total}
            if {total - 2, total - 1} <= mine and p.row_node is not None:
                self.pending.pop(id(p.row_node), None)
        self.resolve_step_pairs(parts)

    def resolve_step_pairs(self, parts: list[Value]) -> None:
        """`torch.cat((out[0], out[-1]), dim=1)` on a bidirectional output holds each direction
        after the whole sequence (the forward one at the last step, the backward one at the
        first): drop the pending RNN008 of the last step."""
        steps = [p for p in parts if isinstance(p, TensorV) and p.role == "summary" and p.row is not None and
                 p.rnn is not None]
        for p in steps:
            if p.row == -1 and any(q.rnn == p.rnn and q.row == 0 for q in steps) and p.row_node is not None:
                self.pending.pop(id(p.row_node), None)

    def rnn_base(self, cls: ClassV) -> Optional[str]:
        for c in self.mro(cls):
            if isinstance(c, RefV) and rnn_kind(c.qualname):
                return rnn_kind(c.qualname)
        return None

    def rnn_attr(self, spec: RNNSpec, name: str) -> Value:
        if name in ("input_size", "hidden_size", "num_layers", "proj_size"):
            return IntV(getattr(spec, name))
        if name in ("bidirectional", "batch_first"):
            flag = getattr(spec, name)
            return Const(flag) if flag is not None else TOP
        return TOP

    def check_index(self, t: TensorV, items: list[object], node: cst.Subscript) -> None:
        if t.rnn is None or t.role != "out":
            if t.rnn is not None and t.role in ("h_n",) and items and isinstance(items[0], int):
                rest = items[1:]
                if all(i == "full" for i in rest):
                    v = contract.check_state_row(t.rnn.spec, items[0])
                    if v is not None and id(node) not in self.pending:  # the first, concrete read says it best
                        self.pending[id(node)] = (node, v, t.rnn.label, self.here(),
                                                  self.output_facts(t) + self.call_chain())
            return
        spec = t.rnn.spec
        if t.layout is not None:
            spec = replace(spec, batch_first=t.layout == "batch")
        rank = t.shape.rank if t.shape is not None else None
        plain = [i for i in items if i not in ("none", "ellipsis")]
        if rank is None and len(plain) >= 2 and not (len(plain) == 2 and spec.batch_first):
            rank = 3  # an RNN output indexed on two axes and more is the batched, 3-D one
        elif rank is None and len(plain) == 1 and spec.batch_first is False:
            rank = 3  # out[k] of a seq-first output is a time step, batched (3-D) or not (2-D)
        v = contract.check_output_index(spec, "out", [i if i is not None else "?" for i in items], rank)  # type: ignore[misc]
        if v is not None and v.code == "RNN008":
            # the last step alone is one direction's summary, unless joined with the first step
            # (`torch.cat((out[0], out[-1]), 1)`): decided when the value is used
            self.pending[id(node)] = (node, v, t.rnn.label, self.here(),
                                      self.output_facts(t, spec) + self.call_chain())
        elif v is not None:
            self.report_violation(node, v, t.rnn.label, facts=self.output_facts(t, spec))

    def build_rnn(self, kind: str, call: CallArgs, label: str) -> Value:
        """An RNN constructor call: RNN010/RNN011 on its arguments, and the module's spec.
        With *args/**kwargs, anything not given explicitly may be set: it is unknown."""
        line = self.line_of(call.node)
        names = contract.positional_names(kind)
        values: dict[str, Value] = dict(zip(names, [v for v, _ in call.args]))
        values.update({k: v for k, (v, _) in call.kwargs.items()})
        bound = contract.bind_constructor(kind, [self.python_value(v) for v, _ in call.args],
                                          {k: self.python_value(v) for k, (v, _) in call.kwargs.items()})
        rejected: set[str] = set()  # arguments torch raises on: nothing downstream is derived from them
        if not call.star:
            nodes: dict[str, cst.CSTNode] = dict(zip(names, [a for _, a in call.args]))
            nodes.update({k: a for k, (_, a) in call.kwargs.items()})
            for v in contract.check_constructor(kind, bound, len(call.args)):
                self.report_violation(nodes.get(v.subject, call.node), v, label or f"nn.{kind}")
                if v.raises:
                    rejected.add(v.subject)
        dims: dict[str, Dim] = {}
        for name in ("input_size", "hidden_size", "num_layers", "proj_size"):
            v = values.get(name)
            if name in rejected:
                dims[name] = UNKNOWN
            elif isinstance(v, IntV) and v.dim.value is not None:
                dims[name] = v.dim.with_origin(v.dim.origin or Lazy(lambda: f"line {line}", at=line))
            elif isinstance(v, IntV):
                dims[name] = v.dim
            elif v is not None or call.star:
                dims[name] = UNKNOWN
        spec = contract.spec_from_arguments(kind, bound, dims)
        if call.star:
            spec = replace(spec, bidirectional=spec.bidirectional if "bidirectional" in call.kwargs else None,
                           batch_first=spec.batch_first if "batch_first" in call.kwargs else None)
        if self.observer is not None:
            self.observer.built(call.node, RNNModuleV(spec, label, line), self.here())
        return RNNModuleV(spec, label, line)

    def build_rnn_kinds(self, kinds: tuple[str, ...], call: CallArgs, label: str) -> Value:
        """An RNN class chosen at run time among `kinds`: the constructor's findings that hold
        for every kind, and a module that may be any of them."""
        if len(kinds) == 1:
            return self.build_rnn(kinds[0], call, label)
        modules = self.for_every_kind([lambda k=k: self.build_rnn(k, call, label) for k in kinds])  # type: ignore[misc]
        if not all(isinstance(m, RNNModuleV) for m in modules):
            return TOP
        first: RNNModuleV = modules[0]  # type: ignore[assignment]
        return replace(first, alts=tuple(m.spec for m in modules[1:]))  # type: ignore[union-attr]

    def call_rnn_kinds(self, module: RNNModuleV, call: CallArgs) -> Value:
        """A call of an RNN that may be any of several kinds: a finding only when it holds for
        every kind (LSTM takes a tuple of states where GRU takes one tensor: neither is reported);
        the output is tagged as the set's (its layout and sizes do not depend on the kind), the
        final state only when every kind returns it in the same form."""
        specs = (module.spec,) + module.alts
        label = module.label or "the RNN"
        joint = replace(module.spec, kind=" or ".join(dict.fromkeys(s.kind for s in specs)))
        results = self.for_every_kind([lambda s=s: self.call_rnn(s, label, module.line, call) for s in specs],
                                      (f"({module.spec.describe()},", f"({joint.describe()},"))  # type: ignore[misc]
        ref = RNNModuleV(joint, label, module.line).ref()
        first = _retag(results[0], ref)
        if len({s.is_lstm for s in specs}) == 1:
            return first
        lstm = next(_retag(r, ref) for s, r in zip(specs, results) if s.is_lstm)
        other = next(_retag(r, ref) for s, r in zip(specs, results) if not s.is_lstm)
        if isinstance(lstm, SeqV) and isinstance(other, SeqV) and len(lstm.items) == len(other.items) == 2 and \
                isinstance(lstm.items[1], SeqV) and isinstance(other.items[1], TensorV):
            return SeqV((other.items[0], StatesV(lstm.items[1], other.items[1])))
        return TOP

    def for_every_kind(self, runs: list, rename: tuple[str, str] = ("", "")) -> list[Value]:
        """Run each kind's check; keep the findings that every run reports, at the same place
        with the same code (the first run's wording, where `rename` names the set of kinds)."""
        before = dict(self.findings)
        results, common = [], None
        kept: dict[tuple, Diagnostic] = {}
        for run in runs:
            self.findings = dict(before)
            results.append(run())
            new = {k: d for k, d in self.findings.items() if k not in before}
            common = set(new) if common is None else common & set(new)
            kept = kept or new
        self.findings = before
        self.findings.update({k: replace(kept[k], message=kept[k].message.replace(*rename)) if rename[0] else kept[k]
                              for k in common or ()})
        return results

    def python_value(self, v: Value) -> object:
        if isinstance(v, IntV):
            return v.dim.value if v.dim.value is not None else contract.UNKNOWN_ARG
        if isinstance(v, Const):
            return v.value
        return contract.UNKNOWN_ARG

    def call_rnn(self, spec: RNNSpec, label: str, line: int, call: CallArgs) -> Value:
        x = call.get("input", 0)
        hx_value = call.get("hx", 1, Const(None))
        if call.star and len(call.args) < 2 and "hx" not in call.kwargs:
            hx_value = TOP
        shape = x.shape if isinstance(x, TensorV) else None
        packed = isinstance(x, TensorV) and x.packed
        hx = self.hidden_arg(hx_value)
        from_rnn = isinstance(x, TensorV) and x.rnn is not None
        violations = contract.check_call(spec, shape, hx, packed=packed, input_from_rnn=from_rnn)
        if not violations and shape is not None and not packed and not spec.is_cell:
            layout = self.layout_violation(spec, x, hx)  # type: ignore[arg-type]
            if layout is not None:
                violations.append(layout)
        # the line is placed only for a finding: placing it can take a positions pass over its code
        name = f"{label} ({spec.describe()}, line {line})" if violations else ""
        for v in violations:
            self.report_violation(call.node, v, name, facts=self.call_facts(spec, label, line, shape, hx),
                                  given=x if v.subject == "input" else hx_value)
        ref = RNNModuleV(spec, label, line).ref()
        if shape is None or not isinstance(x, TensorV):
            shape = Shape((spec.input_size,), rank_known=False)
        out_shape, h_shape, c_shape = contract.output_shapes(spec, shape, packed=packed)
        if self.observer is not None:
            self.observer.called(call.node, spec, label, shape if isinstance(x, TensorV) else None, hx,
                                 (out_shape, h_shape, c_shape), self.here())
        at = self.line_of(call.node)
        origin = Lazy(lambda: f"output of {label} on line {at}", at=at)
        if spec.is_cell:
            h = TensorV(h_shape, origin, rnn=ref, role="cell_h")
            if spec.is_lstm:
                return SeqV((h, TensorV(c_shape, origin, rnn=ref, role="cell_c")))
            return h
        layout = None if spec.batch_first is None else ("batch" if spec.batch_first else "time")
        out = TensorV(out_shape, origin, rnn=ref, role="out", layout=layout, packed=packed)
        h_n = TensorV(h_shape, origin, rnn=ref, role="h_n")
        if spec.is_lstm:
            return SeqV((out, SeqV((h_n, TensorV(c_shape, origin, rnn=ref, role="c_n")))))
        return SeqV((out, h_n))

    def output_facts(self, t: TensorV, spec: Optional[RNNSpec] = None) -> tuple[Fact, ...]:
        """The facts a finding on an RNN's output rests on."""
        assert t.rnn is not None
        spec = spec or t.rnn.spec
        facts = [_module_fact(t.rnn.label, t.rnn.spec, t.rnn.line)]
        if t.role == "out" and spec.batch_first is not None:
            layout = "(batch, seq_len, features)" if spec.batch_first else "(seq_len, batch, features)"
            facts.append(Fact("layout", f"its output is laid out {layout}"))
        if t.shape is not None:
            facts.append(_fact("value", f"the indexed value has shape {t.shape}", t.origin))
        return tuple(facts)

    def call_facts(self, spec: RNNSpec, label: str, line: object, x: Optional[Shape],
                   hx: contract.Hidden) -> tuple[Fact, ...]:
        """The facts an RNN-call finding rests on, each with where it came from."""
        facts = [_module_fact(label, spec, line)]
        for name in ("input_size", "hidden_size", "num_layers", "proj_size"):
            dim = getattr(spec, name)
            if dim.origin is not None:
                facts.append(_fact("size", f"{name}={dim}", dim.origin))
        if x is not None:
            facts.append(_fact("input", f"input shape {x}", x.origin))
        states = hx.items if isinstance(hx, StatePair) else (hx,) if isinstance(hx, Shape) else ()
        for state in states:
            if state is not None:
                facts.append(_fact("state", f"hidden state shape {state}", state.origin))
        return tuple(facts)

    def hidden_arg(self, value: Value) -> contract.Hidden:
        if isinstance(value, Const) and value.value is None:
            return None
        if isinstance(value, TensorV):
            return value.shape if value.shape is not None else UNKNOWN_HIDDEN
        if isinstance(value, SeqV):
            items = tuple(v.shape if isinstance(v, TensorV) else None for v in value.items)
            return StatePair(items, value.kind)
        return UNKNOWN_HIDDEN

    def layout_violation(self, spec: RNNSpec, x: TensorV, hx: contract.Hidden = None) -> Optional[Violation]:
        """RNN004: the input's axis roles contradict the module's batch_first. What torch does
        depends on the state: none, it runs swapped; one of the real batch size, it raises (a
        state of proven shape has already passed the hidden-state check: torch runs)."""
        if x.shape is None or x.shape.rank != 3 or spec.batch_first is None:
            return None
        first, second = x.shape.dims[0].role, x.shape.dims[1].role
        if x.role == "out" and x.layout is not None:
            first, second = ("batch", "time") if x.layout == "batch" else ("time", "batch")
        roles = (first, second)
        want = ("batch", "time") if spec.batch_first else ("time", "batch")
        flipped = (want[1], want[0])
        if roles == want or first == second:
            return None
        if roles[0] == flipped[0] or roles[1] == flipped[1]:
            got = "batch-major (batch, seq_len, features)" if "batch" == roles[0] or "time" == roles[1] else \
                "time-major (seq_len, batch, features)"
            expected = "(batch, seq_len, input_size) for batch_first=True" if spec.batch_first else \
                "(seq_len, batch, input_size) for batch_first=False"
            fix = "pass batch_first=True to the module" if not spec.batch_first else \
                "transpose the input with x.transpose(0, 1), or build it batch-major"
            real = x.shape.dims[1 if spec.batch_first else 0]
            unproven = hx is UNKNOWN_HIDDEN or isinstance(hx, StatePair) and None in hx.items
            torch_does = "torch swaps time and batch silently" if not unproven else \
                f"torch reads its seq_len as the batch, so it raises if the hidden state given here has the " \
                f"real batch size {real} (and runs swapped silently if not)"
            return Violation("RNN004", "input", expected, f"the input {x.shape.described()} is {got}; {torch_does}",
                             fix, raises=False)
        return None

    def check_feature_consumer(self, layer: LayerV, call: CallArgs, expected: Dim, what: str) -> None:
        """RNN009 when a layer's expected feature size disagrees with the RNN output it receives."""
        x = call.pos(0)
        if not isinstance(x, TensorV) or x.rnn is None or x.shape is None or not x.shape.last.differs(expected):
            return
        ref, feat = x.rnn, x.shape.last
        if x.role == "state_row":
            received = f"one row of the final state h_n of {ref.label} ({ref.spec.describe()}, line {ref.line}), " \
                       f"with {feat} features"
            hint = (f"join both directions with torch.cat((h_n[-2], h_n[-1]), dim=1), or size the layer {feat}"
                    if ref.spec.bidirectional else f"size the layer {feat}")
        else:
            both = " (2 directions x hidden_size)" if ref.spec.bidirectional else ""
            received = f"the output of {ref.label} ({ref.spec.describe()}, line {ref.line}), " \
                       f"whose feature size is {feat}{both}"
            hint = f"size the layer with the RNN's output size {feat}" + (
                " (num_directions * hidden_size)" if ref.spec.bidirectional else "")
        self.report_violation(call.node, Violation("RNN009", "input", f"{what}={expected.described()}",
                                                   f"it receives {received}", hint), layer.label or "the layer")

    def check_state_view(self, node: cst.Call, t: TensorV, dims: list[Dim]) -> None:
        """RNN008 for `h_n.view(batch, -1)` / `h_n.view(-1, 2 * hidden)`: h_n is layer-major
        (rows, batch, hidden), so with more than one row a 2-D view whose rows hold more than
        `hidden` numbers joins the states of different samples."""
        if t.rnn is None or t.shape is None or not t.shape.rank_known or len(t.shape.dims) != 3 or len(dims) != 2:
            return
        rows, batch, hidden = t.shape.dims
        first, second = dims
        if not at_least(rows, 2) or batch.value == 1 or not (first.value == -1 or first.differs(rows)):
            return
        if first.value == -1:
            mixes = second.value != -1 and at_least(second - hidden, 1) and not second.same(batch * hidden)
        else:
            mixes = first.same(batch) or second.value != -1 and at_least(second - hidden, 1)
        if not mixes:
            return
        spec = t.rnn.spec
        which = "c_n" if t.role == "c_n" else "h_n"
        shape = ", ".join(str(d) for d in dims)
        pair = f"torch.cat(({which}[-2], {which}[-1]), dim=1) for the last layer's two directions" \
            if spec.bidirectional else f"{which}[-1] for the last layer"
        self.report_violation(node, Violation(
            "RNN008", which, f"one sample per row from its layer-major {which} (num_layers * num_directions="
            f"{rows.described()}, batch={batch}, hidden={hidden})",
            f"view({shape}) joins rows of different samples (row r of {which} holds one layer and direction "
            f"for every sample)", f"use {which}.transpose(0, 1).reshape({batch}, -1), or {pair}", raises=False),
            t.rnn.label, facts=self.output_facts(t))

    def check_packing_layout(self, node: cst.Call, x: TensorV, batch_first: bool, func: str) -> None:
        if x.shape is None or x.shape.rank_known is False or len(x.shape.dims) < 2:
            return
        first, second = x.shape.dims[0].role, x.shape.dims[1].role
        if x.role == "out" and x.layout is not None:
            first, second = ("batch", "time") if x.layout == "batch" else ("time", "batch")
        if first == second:
            return
        is_batch_major = first == "batch" or second == "time"
        is_time_major = first == "time" or second == "batch"
        if batch_first and is_time_major and not is_batch_major or not batch_first and is_batch_major and \
                not is_time_major:
            layout = "batch-major" if is_batch_major else "time-major"
            self.report_violation(node, Violation(
                "RNN004", "input", f"{'(batch, seq_len, ...)' if batch_first else '(seq_len, batch, ...)'} data for "
                f"batch_first={batch_first}", f"the data {x.shape.described()} is {layout}",
                f"pass batch_first={not batch_first} to {func}", raises=False), func)


def _retag(value: Value, ref: RNNRef) -> Value:
    """The outputs of one kind's call, as the outputs of the RNN that may be several kinds."""
    if isinstance(value, TensorV) and value.rnn is not None:
        return replace(value, rnn=ref)
    if isinstance(value, SeqV):
        return SeqV(tuple(_retag(v, ref) for v in value.items), value.kind)
    return value


def _fact(kind: str, value: str, origin: object) -> Fact:
    """A fact whose origin may name a line: its file and number go with it."""
    line = line_named(origin)
    number = line.number if line is not None else None
    return Fact(kind, value, str(origin) if origin else "", line.path if line is not None and number else None,
                number)


def _module_fact(label: str, spec: RNNSpec, line: object) -> Fact:
    return _fact("module", f"{label} is nn.{spec.describe()}", Lazy(lambda: f"on line {line}", at=line_named(line)))
