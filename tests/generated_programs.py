"""A seeded generator of small complete RNN programs, each with no bug or one injected bug of a
known code, in the styles real code uses: literals inline, named constants, a class whose
`__init__` takes the sizes, Embedding -> RNN -> Linear chains, a reshape before the call, and
every import style. The differential test runs each under torch, the linter and the guard.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional

RAISING = ("RNN001", "RNN003", "RNN005", "RNN006", "RNN010", "RNN012")
SILENT = ("RNN002", "RNN004", "RNN007", "RNN008")

_IMPORTS = {
    "nn": ("import torch\nimport torch.nn as nn\n", "nn.{kind}"),
    "from": ("import torch\nfrom torch import nn\n", "nn.{kind}"),
    "direct": ("import torch\nfrom torch.nn import {kind} as Layer\n", "Layer"),
    "full": ("import torch\n", "torch.nn.{kind}"),
    "modules": ("import torch\nimport torch.nn.modules.rnn as rnn_mod\n", "rnn_mod.{kind}"),
}


@dataclass(frozen=True)
class Program:
    source: str
    bug: Optional[str]  # the injected code, or None
    line: int  # where the finding belongs (the failing call, or the silent expression); 0 if no bug
    description: str


@dataclass
class _Config:
    kind: str
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    batch_first: bool
    proj_size: int
    batch: int
    steps: int

    @property
    def d(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def h_out(self) -> int:
        return self.proj_size or self.hidden_size


def _config(rng: random.Random, kind: str) -> _Config:
    hidden = rng.randint(3, 9)
    cell = kind.endswith("Cell")
    batch = rng.randint(2, 5)
    steps = rng.choice([s for s in range(2, 7) if s != batch])  # distinct, so layouts are telling
    return _Config(
        kind=kind, input_size=rng.randint(2, 7), hidden_size=hidden,
        num_layers=1 if cell else rng.randint(1, 3), bidirectional=False if cell else rng.random() < 0.4,
        batch_first=False if cell else rng.random() < 0.5,
        proj_size=rng.randint(1, hidden - 1) if kind == "LSTM" and rng.random() < 0.25 else 0,
        batch=batch, steps=steps)


def _constructor_args(c: _Config, names: dict[str, str]) -> str:
    args = [names["input_size"], names["hidden_size"]]
    if not c.kind.endswith("Cell"):
        args.append(f"num_layers={names['num_layers']}")
        if c.bidirectional:
            args.append("bidirectional=True")
        if c.batch_first:
            args.append("batch_first=True")
        if c.proj_size:
            args.append(f"proj_size={c.proj_size}")
    return ", ".join(args)


def generate(seed: int) -> Program:
    rng = random.Random(seed)
    kind = rng.choice(["RNN", "LSTM", "GRU", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"])
    c = _config(rng, kind)
    cell = kind.endswith("Cell")
    raising = [b for b in RAISING if (b == "RNN012") == cell or b in ("RNN001", "RNN005", "RNN006")]
    silent = [] if cell else [b for b in SILENT if b != "RNN008" or c.bidirectional]
    roll = rng.random()
    bug = None if roll < 0.35 else rng.choice(raising) if roll < 0.75 or not silent else rng.choice(silent)
    style = rng.choice(["inline", "constants", "class"])
    imports, ref = _IMPORTS[rng.choice(list(_IMPORTS))]
    imports = imports.format(kind=kind)
    ctor = ref.format(kind=kind)
    use_embedding = not cell and rng.random() < 0.3 and bug not in ("RNN003",)
    reshape = not use_embedding and rng.random() < 0.3
    return _build(c, bug, style, imports, ctor, use_embedding, reshape, rng)


def _build(c: _Config, bug: Optional[str], style: str, imports: str, ctor: str, use_embedding: bool,
           reshape: bool, rng: random.Random) -> Program:
    cell = c.kind.endswith("Cell")
    lines: list[str] = imports.rstrip("\n").split("\n") + [""]
    if style == "constants":
        lines += [f"INPUT_SIZE = {c.input_size}", f"HIDDEN = {c.hidden_size}", f"LAYERS = {c.num_layers}",
                  f"batch_size = {c.batch}", f"seq_len = {c.steps}", ""]
        names = {"input_size": "INPUT_SIZE", "hidden_size": "HIDDEN", "num_layers": "LAYERS"}
        b, t = "batch_size", "seq_len"
    else:
        names = {"input_size": str(c.input_size), "hidden_size": str(c.hidden_size), "num_layers": str(c.num_layers)}
        b, t = str(c.batch), str(c.steps)
    extra = ""
    if bug == "RNN010":
        extra = rng.choice([", dropout=1.5", ", bias='yes'"] if c.kind != "RNN" else [", nonlinearity='sigmoid'"])
    args = _constructor_args(c, names) + extra
    feat = c.input_size + (3 if bug == "RNN001" else 0)

    # the input
    if cell:
        x_dims = [b, str(feat)]
        if bug == "RNN012":
            x_dims = [t, b, str(feat)]
    elif bug == "RNN002":
        # one sequence for a batch_first module, or a (batch, features) batch for any module
        x_dims = [t, str(feat)] if c.batch_first else ["batch_size", str(feat)]
    elif bug == "RNN004":
        x_dims = [t, b, str(feat)] if c.batch_first else [b, t, str(feat)]
    else:
        x_dims = [b, t, str(feat)] if c.batch_first else [t, b, str(feat)]
    if bug == "RNN003":
        x_dims = x_dims + ["1"]
    if bug in ("RNN002", "RNN004") and style != "constants":
        # roles come from names: give the sizes their usual names
        lines += [f"batch_size = {c.batch}", f"seq_len = {c.steps}", ""]
        x_dims = [("batch_size" if d == b else "seq_len" if d == t else d) for d in x_dims]
    if use_embedding:
        vocab = 50
        emb_dims = x_dims[:-1]
        x_expr = f"embedding(torch.randint(0, {vocab}, ({', '.join(emb_dims)},)))"
        setup = [f"embedding = torch.nn.Embedding({vocab}, {feat})"]
    elif reshape:
        total = " * ".join(x_dims)
        x_expr = f"torch.randn({total}).view({', '.join(x_dims)})"
        setup = []
    else:
        x_expr = f"torch.randn({', '.join(x_dims)})"
        setup = []

    # the hidden state
    hx = ""
    # a swapped or unbatched input makes any state wrong (torch would raise): those programs give none
    if (not cell and rng.random() < 0.5 or bug in ("RNN005", "RNN006")) and bug not in ("RNN002", "RNN004"):
        rows = c.num_layers * c.d
        if cell:
            shape = [b, str(c.hidden_size)]
            if bug == "RNN005":
                shape = ["1"] + shape
        else:
            shape_h = [str(rows), b, str(c.h_out)]
            if bug == "RNN005":
                shape_h = rng.choice([[str(rows + 1), b, str(c.h_out)], [str(rows), b, str(c.h_out + 2)],
                                      [b, str(rows), str(c.h_out)] if rows != c.batch else [str(rows), b, str(c.h_out + 1)]])
            shape = shape_h
        h = f"torch.zeros({', '.join(shape)})"
        if c.kind in ("LSTM", "LSTMCell"):
            c_shape = [str(rows), b, str(c.hidden_size)] if not cell else [b, str(c.hidden_size)]
            cc = f"torch.zeros({', '.join(c_shape)})"
            hx = f", {h}" if bug == "RNN006" else f", ({h}, {cc})"
        else:
            hx = f", ({h},)" if bug == "RNN006" else f", {h}"

    # the use of the output
    use = None
    if bug == "RNN007":
        use = "last = out[-1]" if c.batch_first else "last = out[:, -1]"
    elif bug == "RNN008":
        use = "summary = h_n[-1]"
    elif not cell and bug != "RNN002" and rng.random() < 0.5:
        if c.bidirectional:
            use = "summary = torch.cat((h_n[-2], h_n[-1]), dim=1)"
        else:
            use = "last = out[:, -1]" if c.batch_first else "last = out[-1]"
    unpack = "h_n" if cell else ("out, (h_n, c_n)" if c.kind == "LSTM" else "out, h_n")

    lines += setup
    if style == "class":
        lines += ["", "class Model(torch.nn.Module):",
                  "    def __init__(self, input_size, hidden_size, num_layers):", "        super().__init__()",
                  f"        self.rnn = {ctor}({_constructor_args(c, {k: k for k in names})}{extra})",
                  "", "    def forward(self, x, hx=None):",
                  "        return self.rnn(x, hx) if hx is not None else self.rnn(x)", "",
                  f"model = Model({c.input_size}, {c.hidden_size}, {c.num_layers})",
                  f"x = {x_expr}", f"{unpack} = model(x{hx})"]
        call_line = next(i for i, text in enumerate(lines, 1) if "return self.rnn(x, hx)" in text)
        ctor_line = next(i for i, text in enumerate(lines, 1) if "self.rnn = " in text)
    else:
        lines += [f"rnn = {ctor}({args})", f"x = {x_expr}", f"{unpack} = rnn(x{hx})"]
        ctor_line, call_line = len(lines) - 2, len(lines)
    if use:
        lines.append(use)
    use_line = len(lines)
    source = "\n".join(lines) + "\n"
    line = 0
    if bug == "RNN010":
        line = ctor_line
    elif bug in ("RNN007", "RNN008"):
        line = use_line
    elif bug is not None:
        line = call_line
    return Program(source, bug, line, f"{c} style={style} bug={bug}")
