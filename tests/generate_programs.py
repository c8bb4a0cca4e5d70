"""A seeded generator of small, complete PyTorch RNN programs, each clean or with one known bug.

`generate(seed)` writes one program: an nn.RNN/LSTM/GRU or a cell with a random configuration
(sizes, num_layers, bidirectional, batch_first, proj_size, dropout, nonlinearity, bias), in one
of several code styles (literals inline; named constants; a class whose `__init__` parameters
are instantiated with literals; Embedding -> RNN -> Linear; a reshape, transpose, permute or
flatten before the call; the calls inside a function, on the global model or on the model handed
to it) and import styles, with no bug or exactly one injected bug of a known rule code. The program knows where its bug is: `bug_line` is where rnnlint must report it
(rules.md: the call for call errors, the offending argument for constructor errors, the
subscript for RNN007/RNN008, the consumer's call for RNN009) and, for bugs torch raises on,
`raise_line` is the program line torch raises from.

The first `setup_lines` lines build the model bound to `model_name`; the rest uses it, so a
runner can execute the two parts separately and guard the model in between while the program
text (what the linter reads) knows nothing of the guard.

No generated program can crash the interpreter: an LSTMCell never gets a wrong state with an
unbatched input (torch-oracle.md, Z32), and nothing is packed (P40).

`python tests/generate_programs.py SEED...` prints programs.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from typing import Optional

SEQUENCE_KINDS = ("RNN", "LSTM", "GRU")
CELL_KINDS = ("RNNCell", "LSTMCell", "GRUCell")
KINDS = SEQUENCE_KINDS + CELL_KINDS
STYLES = ("inline", "constants", "class", "embedding", "reshape", "function")
IMPORT_STYLES = ("nn-alias", "from-torch-nn", "import-torch-nn", "from-nn-names", "from-nn-alias",
                 "modules-rnn", "torch-alias", "subclass")

# (code, variant): the bugs each family of modules can get, drawn with equal weight
SEQUENCE_BUGS = (
    ("RNN001", "features"), ("RNN002", "batch-first-2d"), ("RNN002", "2d-input-3d-state"),
    ("RNN003", "rank"), ("RNN004", "swapped-layout"), ("RNN005", "state"), ("RNN006", "state-type"),
    ("RNN007", "last-step"), ("RNN008", "summary"), ("RNN009", "head"), ("RNN010", "constructor"),
    ("RNN011", "dropout-one-layer"),
)
CELL_BUGS = (
    ("RNN001", "features"), ("RNN003", "rank"), ("RNN005", "state"), ("RNN006", "state-type"),
    ("RNN009", "head"), ("RNN010", "constructor"), ("RNN012", "sequence"),
)
CODES = sorted({code for code, _ in SEQUENCE_BUGS + CELL_BUGS})
CLEAN_SHARE = 0.3

DEFAULTS = {"num_layers": 1, "bidirectional": False, "batch_first": False, "proj_size": 0, "dropout": 0.0,
            "nonlinearity": "tanh", "bias": True}
CONSTANT_NAMES = {"input_size": "INPUT_SIZE", "hidden_size": "HIDDEN_SIZE", "num_layers": "NUM_LAYERS",
                  "proj_size": "PROJ_SIZE", "dropout": "DROPOUT"}


@dataclass(frozen=True)
class Program:
    seed: int
    source: str
    kind: str
    style: str
    imports: str
    bug: Optional[str]  # the injected code; None for a clean program
    variant: str  # how the bug was injected ("" when clean)
    bug_line: Optional[int]  # where rnnlint must report `bug`
    raise_line: Optional[int]  # the program line torch raises from, for bugs torch raises on
    raises_in_setup: bool  # torch raises while the model is built (a constructor error)
    setup_lines: int
    model_name: str
    loop: bool = False  # a cell run over time in a for loop, its state carried

    @property
    def name(self) -> str:
        return f"s{self.seed}-{self.kind}-{self.style}-{self.bug or 'clean'}"

    @property
    def filename(self) -> str:
        return f"generated_{self.seed}.py"

    def split(self) -> tuple[str, str]:
        """The setup (which builds `model_name`) and the rest, padded so that rows are kept."""
        lines = self.source.splitlines(keepends=True)
        return "".join(lines[: self.setup_lines]), "\n" * self.setup_lines + "".join(lines[self.setup_lines:])


@dataclass
class Config:
    kind: str
    input_size: int
    hidden_size: int
    num_layers: int = 1
    bidirectional: bool = False
    batch_first: bool = False
    proj_size: int = 0
    dropout: float = 0.0
    nonlinearity: str = "tanh"
    bias: bool = True

    @property
    def cell(self) -> bool:
        return self.kind in CELL_KINDS

    @property
    def rows(self) -> int:
        return self.num_layers * (2 if self.bidirectional else 1)

    @property
    def h_out(self) -> int:
        return self.proj_size or self.hidden_size

    @property
    def features(self) -> int:
        """The output's feature size."""
        return self.hidden_size if self.cell else (2 if self.bidirectional else 1) * self.h_out


Rows = list[tuple[str, tuple[str, ...]]]  # lines of a section, each with its marks


class _Writer:
    """Draws one program from `seed`: choices first, then the text, section by section."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        r = self.r = random.Random(seed)
        self.kind = r.choice(KINDS)
        self.cell = self.kind in CELL_KINDS
        self.style = r.choice(STYLES)
        self.imports = r.choice(IMPORT_STYLES)
        if r.random() < CLEAN_SHARE:
            self.bug, self.variant = None, ""
        else:
            bugs = [b for b in (CELL_BUGS if self.cell else SEQUENCE_BUGS) if self._applicable(b[0])]
            self.bug, self.variant = r.choice(bugs)
        self.classy = self.style in ("class", "embedding")
        # module-level dimensions are named (BATCH_SIZE, SEQ_LEN, ...) in the constants style, and
        # sometimes in the others; RNN004 is about names, so it needs them
        self.named = self.style == "constants" or (self.style != "inline" and r.random() < 0.5) \
            or self.bug == "RNN004"
        self.constants: dict[str, str] = {}
        self.overrides: dict[str, str] = {}  # constructor field -> the wrong source text of its value
        self.cfg = self._config()
        self.batch = r.randint(2, 6)
        self.steps = r.choice([s for s in range(2, 9) if s != self.batch])
        self.classes = r.randint(2, 5)
        self.vocab = r.randint(20, 60)

    # ------------------------------------------------------------------ choices

    def _applicable(self, code: str) -> bool:
        if code == "RNN004":  # a layout is known from names (or an Embedding's batch-major output)
            return self.style != "inline"
        return True

    def _config(self) -> Config:
        r, bug, variant = self.r, self.bug, self.variant
        cfg = Config(self.kind, r.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 16]), r.choice([2, 3, 4, 5, 6, 8, 12, 16, 20]))
        if self.style == "embedding" and bug == "RNN001" and cfg.hidden_size == cfg.input_size:
            cfg.hidden_size += 1  # the bug feeds hidden_size where embed_dim belongs: they must differ
        if cfg.cell:
            cfg.nonlinearity = r.choice(["tanh", "tanh", "relu"]) if self.kind == "RNNCell" else "tanh"
            cfg.bias = r.random() < 0.9
            return cfg
        cfg.num_layers = r.choice([1, 1, 2, 2, 3])
        cfg.bidirectional = r.random() < 0.4
        cfg.batch_first = r.random() < 0.5
        cfg.bias = r.random() < 0.9
        if self.kind == "LSTM" and cfg.hidden_size > 2 and r.random() < 0.35:
            cfg.proj_size = r.randint(1, cfg.hidden_size - 1)
        if self.kind == "RNN":
            cfg.nonlinearity = r.choice(["tanh", "tanh", "relu"])
        if cfg.num_layers > 1 and r.random() < 0.4:
            cfg.dropout = r.choice([0.1, 0.2, 0.25, 0.5])
        if bug == "RNN007":
            cfg.bidirectional = False
        elif bug == "RNN008":
            cfg.bidirectional = True
        elif bug == "RNN002" and variant == "batch-first-2d":
            cfg.batch_first = True
        elif bug == "RNN011":
            cfg.num_layers, cfg.dropout = 1, r.choice([0.1, 0.3, 0.5])
        return cfg

    def const(self, name: str, value: object, text: Optional[str] = None) -> str:
        """A module-level value: its constant's name in named programs, else its literal."""
        literal = text if text is not None else repr(value)
        if not self.named:
            return literal
        self.constants.setdefault(name, literal)
        return name

    def B(self) -> str:
        return self.const("BATCH_SIZE", self.batch)

    def T(self) -> str:
        return self.const("SEQ_LEN", self.steps)

    def F(self) -> str:
        return self.const("INPUT_SIZE", self.cfg.input_size)

    def H(self) -> str:
        return self.const("HIDDEN_SIZE", self.cfg.hidden_size) if self.style == "constants" \
            else repr(self.cfg.hidden_size)

    # ------------------------------------------------------------------ imports and names

    def import_lines(self, names: list[str]) -> list[str]:
        style = self.imports
        if style in ("nn-alias", "subclass"):
            return ["import torch", "import torch.nn as nn"]
        if style == "from-torch-nn":
            return ["import torch", "from torch import nn"]
        if style == "import-torch-nn":
            return ["import torch.nn"]
        if style == "from-nn-names":
            return ["import torch", f"from torch.nn import {', '.join(sorted(names))}"]
        if style == "from-nn-alias":
            rest = "".join(f", {n}" for n in sorted(names) if n != self.kind)
            return ["import torch", f"from torch.nn import {self.kind} as Recurrent{rest}"]
        if style == "modules-rnn":
            return ["import torch", "import torch.nn.modules.rnn", "from torch import nn"]
        return ["import torch as th"]

    def nn(self, name: str) -> str:
        """How the program spells torch.nn.<name>."""
        style = self.imports
        if style in ("nn-alias", "from-torch-nn"):
            return f"nn.{name}"
        if style == "import-torch-nn":
            return f"torch.nn.{name}"
        if style == "torch-alias":
            return f"th.nn.{name}"
        if style == "from-nn-names":
            return name
        if style == "from-nn-alias":
            return "Recurrent" if name == self.kind else name
        if style == "modules-rnn":
            return f"torch.nn.modules.rnn.{name}" if name == self.kind else f"nn.{name}"
        return "Recurrent" if name == self.kind else f"nn.{name}"  # subclass

    def t(self, function: str) -> str:
        return f"{'th' if self.imports == 'torch-alias' else 'torch'}.{function}"

    # ------------------------------------------------------------------ the constructor

    def constructor_bug(self) -> None:
        """RNN010: a constructor argument torch rejects, written as an override of its source text."""
        cfg, r, kind = self.cfg, self.r, self.kind
        options = ["size-float", "size-negative"]
        if cfg.cell:
            options += ["nonlinearity"] if kind == "RNNCell" else []  # raises at the first call (K01b)
        else:
            options += ["size-zero", "num-layers-zero", "dropout-range", "flag-type", "bidirectional-int"]
            options += ["proj-too-big"] if kind == "LSTM" else ["proj-keyword"]
            options += ["nonlinearity", "rnn-positional-bias"] if kind == "RNN" else []
            options += ["gru-positional-proj"] if kind == "GRU" and not self.classy else []
        self.variant = variant = r.choice(options)
        # (the embedding style's input_size is embed_dim, which nn.Embedding would reject first)
        size = "hidden_size" if self.style == "embedding" else r.choice(["input_size", "hidden_size"])
        if variant == "size-float":  # e.g. hidden_size = 32 / 2
            self.overrides["hidden_size"] = f"{cfg.hidden_size * 2} / 2"
        elif variant == "size-zero":
            self.overrides[size] = "0"
        elif variant == "size-negative":
            self.overrides["hidden_size" if cfg.cell else size] = f"-{getattr(cfg, size)}"
        elif variant == "num-layers-zero":
            self.overrides["num_layers"] = "0"
        elif variant == "dropout-range":
            cfg.num_layers = max(cfg.num_layers, 2)
            self.overrides["dropout"] = r.choice(["1.5", "-0.1", "2"])
        elif variant == "flag-type":
            self.overrides[r.choice(["batch_first", "bias"])] = r.choice(["1", "0", "'True'"])
        elif variant == "bidirectional-int":  # accepted by the constructor, rejected by the first call (C36)
            cfg.bidirectional = True
            self.overrides["bidirectional"] = r.choice(["1", "1", "0"])
            cfg.bidirectional = self.overrides["bidirectional"] == "1"
        elif variant == "proj-too-big":
            self.overrides["proj_size"] = str(cfg.hidden_size + r.choice([0, 1]))
        elif variant == "proj-keyword":
            self.overrides["proj_size"] = str(r.randint(0, 2))
        elif variant == "nonlinearity":
            self.overrides["nonlinearity"] = repr(r.choice(["sigmoid", "ReLU", "gelu", "Tanh"]))
        elif variant == "rnn-positional-bias":  # nn.RNN(3, 5, 1, True): the 4th positional is nonlinearity (C29)
            cfg.batch_first = cfg.bidirectional = False
            cfg.dropout = 0.0
        elif variant == "gru-positional-proj":  # GRU's 8th positional sets proj_size (C26b)
            self.overrides["proj_size"] = str(r.randint(1, max(1, cfg.hidden_size - 1)))

    @property
    def raises_at_call(self) -> bool:
        """Constructor mistakes torch accepts and fails on at the first call (C26b, C36, K01b)."""
        return self.variant in ("bidirectional-int", "gru-positional-proj") or (
            self.variant == "nonlinearity" and self.cell)

    def _field(self, name: str, value: object, params: dict[str, str]) -> str:
        """A constructor argument's text: an `__init__` parameter, a constant or a literal."""
        if name in params:
            return params[name]
        text = self.overrides.get(name, repr(value))
        if self.style == "constants" and name in CONSTANT_NAMES:
            return self.const(CONSTANT_NAMES[name], value, text)
        return text

    def constructor(self, params: dict[str, str]) -> str:
        """`nn.LSTM(8, 16, num_layers=2, ...)`, on one line; `params` maps fields to parameter names."""
        cfg, r, ref = self.cfg, self.r, self.nn(self.kind)
        if cfg.cell:
            fields = ["input_size", "hidden_size", "bias"] + (["nonlinearity"] if self.kind == "RNNCell" else [])
        else:
            fields = ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"]
            fields += ["proj_size"] if self.kind == "LSTM" else []
            fields += ["nonlinearity"] if self.kind == "RNN" else []
        if self.variant == "gru-positional-proj":
            args = [self._field(f, getattr(cfg, f), params) for f in fields] + [self.overrides["proj_size"]]
            return f"{ref}({', '.join(args)})"
        if self.variant == "rnn-positional-bias":
            args = [self._field(f, getattr(cfg, f), params) for f in fields[:3]]
            return f"{ref}({', '.join(args)}, True)"
        positional = ["input_size", "hidden_size"]
        if r.random() < 0.15:
            positional = []  # input_size=..., hidden_size=...
        elif self.kind == "RNN" and self.bug is None and r.random() < 0.2:
            positional += ["num_layers", "nonlinearity"]  # nn.RNN(3, 5, 2, 'relu') is valid (C30)
        forced = set(self.overrides) | set(params)
        args = [self._field(f, getattr(cfg, f), params) for f in positional]
        for f in fields:
            value = getattr(cfg, f)
            if f not in positional and (f in forced or value != DEFAULTS.get(f) or r.random() < 0.2):
                args.append(f"{f}={self._field(f, value, params)}")
        for f in self.overrides:  # a keyword the module does not take (proj_size on RNN/GRU)
            if f not in fields:
                args.append(f"{f}={self._field(f, None, params)}")
        return f"{ref}({', '.join(args)})"

    # ------------------------------------------------------------------ the input

    def input_expr(self) -> str:
        """The input tensor (module level), with the injected RNN001/002/003/004/012 bug in it."""
        cfg, r, bug = self.cfg, self.r, self.bug
        B, T, F = self.B(), self.T(), self.F()
        if bug == "RNN001":
            delta = r.choice([d for d in (-2, -1, 1, 2, 3) if cfg.input_size + d >= 1])
            sign = "+" if delta > 0 else "-"
            F = f"{F} {sign} {abs(delta)}" if self.named and r.random() < 0.5 else repr(cfg.input_size + delta)
        if self.loop:
            shape = [T, B, F]
        elif self.cell:
            if bug == "RNN012":
                shape = [T, B, F]
            elif bug == "RNN003":
                shape = r.choice([[B, T, F, "1"], []])  # 4-D, or a 0-D scalar
            else:
                shape = [B, F] if self.batched else [F]
        elif bug == "RNN002" and self.variant == "batch-first-2d":
            shape = [B, F]
        elif bug == "RNN003":
            shape = r.choice([[B, T, F, "1"], [F], ["2", B, T, F]] if self.batched else [[T, "1", F, "1"], [F]])
        elif not self.batched:
            shape = [T, F]
        elif bug == "RNN004":
            shape = [T, B, F] if cfg.batch_first else [B, T, F]
        else:
            shape = [B, T, F] if cfg.batch_first else [T, B, F]
        if not shape:
            return f"{self.t('tensor')}(1.0)"
        if self.style == "reshape" and len(shape) >= 2:
            return self.reshaped(shape)
        return f"{self.t('randn')}({', '.join(shape)})"

    def reshaped(self, shape: list[str]) -> str:
        """A tensor of `shape` made by view/reshape/transpose/permute/flatten/unsqueeze of another."""
        r, randn = self.r, self.t("randn")
        ways = ["view", "reshape-infer", "transpose", "permute", "flatten", "unsqueeze"]
        if self.bug == "RNN004":
            ways.remove("reshape-infer")  # an inferred -1 loses the dimension's name
        way = r.choice(ways)
        numel = " * ".join(f"({s})" if " " in s else s for s in shape)
        if way == "reshape-infer":
            i = r.randrange(len(shape))
            return f"{randn}({numel}).reshape({', '.join('-1' if j == i else s for j, s in enumerate(shape))})"
        if way == "transpose":
            i, j = sorted(r.sample(range(len(shape)), 2))
            source = list(shape)
            source[i], source[j] = source[j], source[i]
            return f"{randn}({', '.join(source)}).transpose({i}, {j})"
        if way == "permute":
            order = list(range(len(shape)))
            while order == sorted(order):
                r.shuffle(order)
            source = [""] * len(shape)
            for i, o in enumerate(order):  # x.permute(order)[i] is source[order[i]]
                source[o] = shape[i]
            return f"{randn}({', '.join(source)}).permute({', '.join(map(str, order))})"
        if way == "unsqueeze" and "1" in shape:
            i = shape.index("1")
            return f"{randn}({', '.join(s for j, s in enumerate(shape) if j != i)}).unsqueeze({i})"
        last = shape[-1]
        if way == "flatten" and last.isdigit() and int(last) >= 4 and int(last) % 2 == 0:
            return f"{randn}({', '.join(shape[:-1] + ['2', str(int(last) // 2)])}).flatten({len(shape) - 1})"
        return f"{randn}({numel}).view({', '.join(shape)})"

    def tokens_expr(self) -> str:
        """Token ids for the embedding style, laid out for the module (or batch-major for RNN004)."""
        cfg = self.cfg
        B, T, V = self.B(), self.T(), self.const("VOCAB_SIZE", self.vocab)
        if self.loop:
            shape = [T, B]
        elif cfg.cell:
            shape = {"RNN012": [T, B], "RNN003": [B, T, "2"]}.get(self.bug or "", [B] if self.batched else [])
        elif self.bug == "RNN003":  # 3-D token ids embed to a 4-D input
            shape = [B, T, "2"] if cfg.batch_first else [T, B, "2"]
        elif not self.batched:
            shape = [B] if self.bug == "RNN002" and self.variant == "batch-first-2d" else [T]
        else:
            batch_major = cfg.batch_first != (self.bug == "RNN004")
            shape = [B, T] if batch_major else [T, B]
        if not shape:
            return f"{self.t('randint')}(0, {V}, ())"
        return f"{self.t('randint')}(0, {V}, ({', '.join(shape)}{',' if len(shape) == 1 else ''}))"

    # ------------------------------------------------------------------ the state

    def state_shapes(self) -> list[list[str]]:
        """The initial state's shapes (h, or h and c) as module-level expressions, with the
        injected RNN005 or RNN002 bug."""
        cfg = self.cfg
        B, H = self.B(), self.H()
        if cfg.cell:
            h = [B, H] if self.batched else [H]
            shapes = [h, list(h)] if self.kind == "LSTMCell" else [h]
        else:
            if self.style == "constants":
                layers = self.const("NUM_LAYERS", cfg.num_layers)
                rows = f"{layers} * 2" if cfg.bidirectional else layers
                h_out = self.const("PROJ_SIZE", cfg.proj_size) if cfg.proj_size else H
            else:
                rows, h_out = repr(cfg.rows), repr(cfg.h_out)
            h = [rows, B, h_out] if self.batched else [rows, h_out]
            c = [rows, B, H] if self.batched else [rows, H]
            shapes = [h, c] if self.kind == "LSTM" else [h]
        if self.bug == "RNN005":
            return self.break_state(shapes)
        if self.bug == "RNN002":  # a 2-D input with a 3-D state: the batch dimension is missing (H07, L16)
            return [[s[0], "1", s[-1]] for s in shapes]
        return shapes

    def break_state(self, shapes: list[list[str]]) -> list[list[str]]:
        """RNN005: one state tensor gets a wrong shape."""
        cfg, r = self.cfg, self.r
        which = r.randrange(len(shapes))
        s = list(shapes[which])
        options = ["features"]
        if cfg.cell:
            options += ["batch", "rank3"] if self.batched else []
        else:
            options += ["rows"] + (["rank2"] if self.batched else [])
            if self.batched:
                options.append("batch")
                if cfg.batch_first and self.batch != cfg.rows:
                    options.append("batch-first-layout")  # the state is never batch-first (H04)
            if cfg.proj_size:
                options.append("proj")
        self.variant = choice = r.choice(options)
        if choice == "features":
            s[-1] = f"{s[-1]} + 1"
        elif choice == "batch":
            s[-2] = f"{s[-2]} + 1"
        elif choice == "rank3":
            s = ["1"] + s
        elif choice == "rows":  # forgot the directions, or one layer too many
            s[0] = repr(cfg.num_layers) if cfg.bidirectional else f"{s[0]} + 1"
        elif choice == "rank2":  # a 2-D state with a 3-D input (H06)
            s = [s[0], s[-1]]
        elif choice == "batch-first-layout":
            s[0], s[1] = s[1], s[0]
        elif choice == "proj":  # h sized hidden_size instead of proj_size (L13), c sized proj_size (L12)
            s[-1] = repr(cfg.hidden_size) if which == 0 else repr(cfg.proj_size)
        return [s if i == which else list(x) for i, x in enumerate(shapes)]

    def forward_state(self, indent: str, source: str) -> tuple[Rows, str]:
        """The initial state built inside forward from the input's sizes (with the RNN005 bug)."""
        cfg, r = self.cfg, self.r
        size = r.choice(["{}.size({})", "{}.shape[{}]"])
        if cfg.cell:
            batch_axis = 1 if self.loop else 0
            h = [size.format(source, batch_axis), "self.hidden_size"] if self.batched else ["self.hidden_size"]
            shapes = [h, list(h)] if self.kind == "LSTMCell" else [h]
        else:
            batch_axis = 0 if cfg.batch_first else 1
            rows = "self.num_layers * 2" if cfg.bidirectional else "self.num_layers"
            h_out = repr(cfg.proj_size) if cfg.proj_size else "self.hidden_size"
            batch = size.format(source, batch_axis)
            shapes = [[rows, batch, h_out], [rows, batch, "self.hidden_size"]][: 2 if self.kind == "LSTM" else 1]
        if self.bug == "RNN005":
            which = r.randrange(len(shapes))
            s = shapes[which]
            options = ["features"]
            if not cfg.cell:
                options += ["rows"] + (["proj"] if cfg.proj_size else [])
                if self.batch != self.steps:
                    options.append("batch-axis")  # the batch read from the time axis
            elif self.loop and self.batch != self.steps:
                options.append("batch-axis")
            self.variant = choice = r.choice(options)
            if choice == "features":
                s[-1] = f"{s[-1]} + 1"
            elif choice == "rows":
                s[0] = "self.num_layers" if cfg.bidirectional else "self.num_layers + 1"
            elif choice == "batch-axis":
                s[-2] = size.format(source, 1 - batch_axis) if not cfg.cell else size.format(source, 0)
            elif choice == "proj":
                s[-1] = "self.hidden_size" if which == 0 else repr(cfg.proj_size)
        zeros = self.t(r.choice(["zeros", "zeros", "randn"]))
        names = ["h0", "c0"][: len(shapes)]
        rows = [(f"{indent}{n} = {zeros}({', '.join(s)})", ()) for n, s in zip(names, shapes)]
        return rows, self.hx(names)

    def hx(self, names: list[str]) -> str:
        """The hx argument: the right container, or a wrong one for RNN006."""
        r = self.r
        if self.bug != "RNN006":
            return f"({names[0]}, {names[1]})" if len(names) == 2 else names[0]
        if self.kind in ("LSTM", "LSTMCell"):  # a tensor, or a 1-tuple, for an (h, c) pair
            self.variant = r.choice(["tensor", "one-tuple"])
            return names[0] if self.variant == "tensor" else f"({names[0]},)"
        self.variant = r.choice(["pair", "one-tuple", "list"])  # a container for a tensor
        return {"pair": f"({names[0]}, {names[0]})", "one-tuple": f"({names[0]},)", "list": f"[{names[0]}]"}[
            self.variant]

    def module_state(self) -> tuple[Rows, str]:
        zeros = self.t(self.r.choice(["zeros", "zeros", "randn"]))
        shapes = self.state_shapes()
        names = ["h0", "c0"][: len(shapes)]
        return [(f"{n} = {zeros}({', '.join(s)})", ()) for n, s in zip(names, shapes)], self.hx(names)

    # ------------------------------------------------------------------ the output

    def choose_summary(self) -> str:
        cfg, r, bug = self.cfg, self.r, self.bug
        if cfg.cell:
            return r.choice(["h", "h", "none"]) if bug != "RNN009" else "h"
        if bug in ("RNN007", "RNN008"):
            return "wrong-last" if bug == "RNN007" else r.choice(["wrong-last", "hn-last"])
        if bug == "RNN002" and self.variant == "batch-first-2d":
            return "none" if cfg.bidirectional else r.choice(["none", "hn"])
        options = ["pool"] + (["cat"] if cfg.bidirectional else ["last", "hn"])
        return r.choice(options + ([] if bug == "RNN009" else ["none"]))

    def summary_expr(self, out: str, h_n: str) -> tuple[str, int]:
        """The summary of the output handed to the head, and its feature size."""
        cfg, r, s = self.cfg, self.r, self.summary
        if s == "h":
            return h_n, cfg.hidden_size
        time_axis = 1 if self.batched and cfg.batch_first else 0
        if s == "last":
            if time_axis == 1:
                return r.choice([f"{out}[:, -1]", f"{out}[:, -1, :]"]), cfg.h_out
            return r.choice([f"{out}[-1]", f"{out}[-1, :, :]" if self.batched else f"{out}[-1, :]"]), cfg.h_out
        if s == "wrong-last":  # RNN007 on one direction: the batch axis; RNN008 on two: the last step
            if cfg.bidirectional:
                return (f"{out}[:, -1]" if time_axis == 1 else f"{out}[-1]"), cfg.features
            return (f"{out}[-1]" if time_axis == 1 else r.choice([f"{out}[:, -1]", f"{out}[:, -1, :]"])), cfg.h_out
        if s in ("hn", "hn-last"):  # hn-last on a bidirectional module is RNN008
            return f"{h_n}[-1]", cfg.h_out
        if s == "cat":
            dim = "-1" if not self.batched or r.random() < 0.5 else "1"
            return f"{self.t('cat')}(({h_n}[-2], {h_n}[-1]), dim={dim})", 2 * cfg.h_out
        if s == "pool":
            return f"{out}.mean(dim={time_axis})", cfg.features
        raise AssertionError(s)

    def head_in(self, features: int) -> int:
        """The head's in_features: `features`, or a wrong size for RNN009."""
        if self.bug != "RNN009":
            return features
        cfg = self.cfg
        wrong = [features + 1, features * 2]
        if cfg.bidirectional and features == cfg.features:
            wrong.append(cfg.h_out)  # forgot the two directions
        if cfg.proj_size:
            wrong.append(features // cfg.proj_size * cfg.hidden_size)  # sized for hidden_size, not proj_size
        return self.r.choice([w for w in wrong if w != features])

    def unpack(self) -> tuple[str, str, str]:
        """The call's left-hand side, the output's name and h_n's name."""
        if self.kind == "LSTM":
            return "out, (h_n, c_n)", "out", "h_n"
        if self.kind == "LSTMCell":
            return "h, c", "h", "h"
        if self.cell:
            return "h", "h", "h"
        out = self.r.choice(["out", "output"])
        return f"{out}, h_n", out, "h_n"

    def loop_rows(self, indent: str, module: str, source: str, hx: str) -> Rows:
        """A cell run over the time axis of `source`, carrying its state."""
        r = self.r
        lhs = self.unpack()[0]
        step = r.choice(["t", "step"])
        if self.bug == "RNN006":  # the wrong container goes in on the first step
            before, carried = f"state = {hx}", "state"
        elif self.kind == "LSTMCell":
            before, carried = f"h, c = {hx}", "(h, c)"
        else:
            before, carried = f"h = {hx}", "h"
        length = f"{source}.size(0)" if source != "seq" or self.classy else self.T()
        return [(f"{indent}{before}", ()), (f"{indent}for {step} in range({length}):", ()),
                (f"{indent}    {lhs} = {module}({source}[{step}], {carried})", ("call",))]

    # ------------------------------------------------------------------ the program

    def write(self) -> Program:
        cfg, r, bug = self.cfg, self.r, self.bug
        if bug == "RNN010":
            self.constructor_bug()
        self.batched = True
        if not cfg.batch_first and bug in (None, "RNN001", "RNN003", "RNN005", "RNN006", "RNN009", "RNN010", "RNN011"):
            self.batched = r.random() > 0.25  # one unbatched sequence, or one unbatched step of a cell
        if bug == "RNN002":
            self.batched = False
        if self.kind == "LSTMCell" and bug is not None:
            self.batched = True  # never a wrong state with an unbatched LSTMCell input (segfault, Z32)
        # where the initial state comes from: nowhere, the module level, or built inside forward
        self.loop = cfg.cell and bug not in ("RNN012", "RNN003") and r.random() < 0.5
        self.batched = self.batched or self.loop
        must = bug in ("RNN005", "RNN006") or (bug == "RNN002" and self.variant == "2d-input-3d-state") or self.loop
        never = bug == "RNN004" or (bug == "RNN002" and self.variant == "batch-first-2d")
        places = ["module"] + (["forward"] if self.classy and self.batched and bug not in ("RNN002", "RNN003") else [])
        self.state = None if never else r.choice(places) if must or r.random() < 0.5 else None
        self.summary = self.choose_summary()
        rows, setup_end = self.class_program() if self.classy else self.module_program()
        return self.program(rows, setup_end)

    def header(self, names: list[str]) -> Rows:
        rows: Rows = [(line, ()) for line in self.import_lines(names)] + [("", ())]
        if self.constants:
            rows += [(f"{name} = {text}", ()) for name, text in self.constants.items()] + [("", ())]
        if self.imports == "subclass":
            rows += [("", ()), (f"class Recurrent(nn.{self.kind}):", ()),
                     (f'    """A {self.kind} under a name of our own."""', ()), ("", ()), ("", ())]
        return rows

    def module_program(self) -> tuple[Rows, int]:
        """Module-level code: build the module (and head), make the input, call, summarize."""
        cfg, r = self.cfg, self.r
        var = r.choice(["cell", "step_fn"]) if cfg.cell else r.choice(["rnn", "encoder", self.kind.lower()])
        self.model_name = var
        setup: Rows = [(f"{var} = {self.constructor({})}", ("ctor",))]
        lhs, out, h_n = self.unpack()
        if self.summary != "none":
            expr, features = self.summary_expr(out, h_n)
            setup.append((f"head = {self.nn('Linear')}({self.head_in(features)}, "
                          f"{self.const('NUM_CLASSES', self.classes)})", ()))
        # the function style runs the rest in `def main()` (the model a global), or hands the
        # model, input and state to `def step(model, x, ...)`
        wrap = r.choice(["main", "step"] if not self.loop else ["main"]) if self.style == "function" else ""
        callee = "model" if wrap == "step" else var
        data: Rows = []
        calls: Rows = []
        if self.loop:
            data.append((f"seq = {self.input_expr()}", ()))
            state, hx = self.module_state()
            data += state
            calls += self.loop_rows("", var, "seq", hx)
            params = []
        else:
            x = r.choice(["x", "inputs", "src", "signal"])
            data.append((f"{x} = {self.input_expr()}", ()))
            args, params = x, [x]
            if self.state == "module":
                state, hx = self.module_state()
                data += state
                params += [text.split(" = ")[0] for text, _ in state]
                args = f"{x}, hx={hx}" if r.random() < 0.15 else f"{x}, {hx}"
            calls.append((f"{lhs} = {callee}({args})", ("call",)))
        result = out
        if self.summary != "none":
            result = "logits"
            if r.random() < 0.5:
                calls += [(f"summary = {expr}", ("summary",)), ("logits = head(summary)", ("head",))]
            else:
                calls.append((f"logits = head({expr})", ("summary", "head")))
        if wrap == "main":
            body = [("", ()), ("", ()), ("def main():", ())] + [(f"    {t}", m) for t, m in data + calls] + [
                (f"    return {result}", ()), ("", ()), ("", ()), ("main()", ())]
        elif wrap == "step":
            body = [("", ()), ("", ()), (f"def step(model, {', '.join(params)}):", ())] + [
                (f"    {t}", m) for t, m in calls] + [(f"    return {result}", ()), ("", ()), ("", ())] + data + [
                (f"y = step({var}, {', '.join(params)})", ())]
        else:
            body = data + calls
        names = [self.kind] + (["Linear"] if self.summary != "none" else [])
        header = self.header(names)
        return header + setup + body, len(header) + len(setup)

    def class_program(self) -> tuple[Rows, int]:
        """A module class whose `__init__` parameters are instantiated with literals; the
        embedding style puts an nn.Embedding before the RNN."""
        cfg, r = self.cfg, self.r
        embedding = self.style == "embedding"
        optional = [] if cfg.cell else ["num_layers", "bidirectional", "dropout", "batch_first"]
        optional += ["proj_size"] if self.kind == "LSTM" else []
        params = ["vocab_size", "embed_dim"] if embedding else ["input_size"]
        params += ["hidden_size"] + [p for p in optional if r.random() < 0.5]
        params += ["num_classes"] if self.summary != "none" else []
        fields = {p: p for p in params if p in CONSTANT_NAMES or p in DEFAULTS}
        if embedding:  # the RNN reads the embedding: input_size is embed_dim (RNN001: hidden_size)
            fields["input_size"] = "hidden_size" if self.bug == "RNN001" else "embed_dim"
        values = {"vocab_size": self.vocab, "embed_dim": cfg.input_size, "num_classes": self.classes}
        cls = r.choice(["Model", "Net", "SequenceModel", "Classifier", "Tagger" if embedding else "Encoder"])
        module = "self.cell" if cfg.cell else "self.rnn"
        lhs, out, h_n = self.unpack()
        # __init__
        sig = [p for p in params if p not in DEFAULTS] + [f"{p}={DEFAULTS[p]!r}" for p in params if p in DEFAULTS]
        init: Rows = [("", ()), (f"class {cls}({self.nn('Module')}):", ()),
                      (f"    def __init__(self, {', '.join(sig)}):", ()), ("        super().__init__()", ())]
        if self.state == "forward" or (self.loop and self.state != "module"):
            init.append((f"        self.hidden_size = {'hidden_size' if 'hidden_size' in params else cfg.hidden_size}",
                         ()))
            if not cfg.cell:
                init.append((f"        self.num_layers = {'num_layers' if 'num_layers' in params else cfg.num_layers}",
                             ()))
        if embedding:
            init.append((f"        self.embedding = {self.nn('Embedding')}(vocab_size, embed_dim)", ()))
        init.append((f"        {module} = {self.constructor(fields)}", ("ctor",)))
        if self.summary != "none":
            expr, features = self.summary_expr(out, h_n)
            init.append((f"        self.head = {self.nn('Linear')}({self.head_in(features)}, num_classes)", ()))
        # forward
        arg = "tokens" if embedding else r.choice(["x", "inputs"])
        source = "x" if embedding else arg
        takes_state = self.state == "module"
        forward: Rows = [("", ()), (f"    def forward(self, {arg}{', state' if takes_state else ''}):", ())]
        if embedding:
            forward.append((f"        x = self.embedding({arg})", ()))
        hx = "state" if takes_state else None
        if self.state == "forward" or (self.loop and not takes_state):
            state, hx = self.forward_state("        ", source)
            forward += state
        if self.loop:
            forward += self.loop_rows("        ", module, source, hx or "")
        else:
            forward.append((f"        {lhs} = {module}({source}{'' if hx is None else ', ' + hx})", ("call",)))
        if self.summary == "none":
            forward.append((f"        return {out}", ()))
        elif r.random() < 0.5:
            forward += [(f"        summary = {expr}", ("summary",)), ("        return self.head(summary)", ("head",))]
        else:
            forward.append((f"        return self.head({expr})", ("summary", "head")))
        # instantiation with literals, in the signature's order
        args, keywords = [], False
        for p in [p for p in params if p not in DEFAULTS] + [p for p in params if p in DEFAULTS]:
            value = values[p] if p in values else getattr(cfg, p)
            text = self.overrides.get(p, repr(value))
            if p in DEFAULTS and p not in self.overrides and value == DEFAULTS[p] and r.random() < 0.6:
                keywords = True  # left at its default
                continue
            keywords = keywords or (p in DEFAULTS or p == "num_classes") and r.random() < 0.6
            args.append(f"{p}={text}" if keywords else text)
        self.model_name = "model"
        setup = [("", ()), ("", ()), (f"model = {cls}({', '.join(args)})", ())]
        # the data, at module level
        data_name = "tokens" if embedding else r.choice(["x", "batch_x", "inputs"])
        body: Rows = [(f"{data_name} = {self.tokens_expr() if embedding else self.input_expr()}", ())]
        call = f"y = model({data_name})"
        if takes_state:
            state, hx = self.module_state()
            body += state
            call = f"y = model({data_name}, {hx})"
        body.append((call, ()))
        names = [self.kind, "Module"] + (["Linear"] if self.summary != "none" else []) + (
            ["Embedding"] if embedding else [])
        header = self.header(names)
        rows = header + init + forward + setup
        return rows + body, len(rows)

    def program(self, rows: Rows, setup_end: int) -> Program:
        bug = self.bug
        while rows and rows[0][0] == "" and not rows[0][1]:
            rows, setup_end = rows[1:], setup_end - 1
        marks: dict[str, int] = {}
        for number, (_, names) in enumerate(rows, start=1):
            for name in names:
                marks[name] = number
        source = "\n".join(text for text, _ in rows) + "\n"
        bug_line = raise_line = None
        if bug in ("RNN010", "RNN011"):
            bug_line = marks["ctor"]
        elif bug in ("RNN007", "RNN008"):
            bug_line = marks["summary"]
        elif bug == "RNN009":
            bug_line = marks["head"]
        elif bug is not None:
            bug_line = marks["call"]
        if bug == "RNN010":
            raise_line = marks["call"] if self.raises_at_call else marks["ctor"]
        elif bug == "RNN002":
            raise_line = marks["call"] if self.variant == "2d-input-3d-state" else None
        elif bug in ("RNN001", "RNN003", "RNN005", "RNN006", "RNN009", "RNN012"):
            raise_line = bug_line
        in_setup = bug == "RNN010" and not self.raises_at_call
        return Program(self.seed, source, self.kind, self.style, self.imports, bug, self.variant, bug_line,
                       raise_line, in_setup, setup_end, self.model_name, self.loop)


def generate(seed: int) -> Program:
    return _Writer(seed).write()


def programs(count: int, start: int = 0) -> list[Program]:
    return [generate(seed) for seed in range(start, start + count)]


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        p = generate(int(arg))
        print(f"# {p.name}: bug={p.bug} ({p.variant}) bug_line={p.bug_line} raise_line={p.raise_line} "
              f"setup_lines={p.setup_lines} model={p.model_name}")
        print(p.source)
