"""The rule catalog: one entry per code, shared by the linter, the guard and the docs.

Codes are stable (see rules.md): a code never changes meaning. Each entry carries its own
proof: a `bad` program that must produce the code and a `fixed` one that must lint clean; the
test suite runs both, so the docs cannot drift from behaviour.
"""

from __future__ import annotations

from typing import Optional

from .records import record

DOCS_URL = "https://github.com/rnnlint/rnnlint/blob/main/docs/rules/{code}.md"


@record(frozen=True)
class Rule:
    """One rule: its code, message parts, and the programs that prove it."""

    code: str
    name: str
    severity: str  # "error" (torch raises) or "warning" (torch runs, the result is wrong)
    summary: str
    why: str
    bad: str
    fixed: str
    torch: str  # what torch 2.13 does when the bad code runs
    scope: str = "both"  # "both", "static" or "runtime": which side can see it

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code)


_HEADER = "import torch\nimport torch.nn as nn\n\n"

RULES: tuple[Rule, ...] = (
    Rule(
        "RNN000", "syntax-error", "error",
        "The file cannot be parsed, so nothing in it was checked.",
        "A file that does not parse hides every other problem in it; rnnlint reports it once, at the "
        "error's position, and goes on with the other files.",
        "def broken(:\n    pass\n",
        "def fixed():\n    pass\n",
        "SyntaxError when imported.",
        scope="static",
    ),
    Rule(
        "RNN001", "input-size-mismatch", "error",
        "The input's last dimension differs from the module's `input_size`.",
        "Every RNN reads `input_size` features per time step. A tensor with another feature size "
        "(from a factory, an nn.Embedding, an nn.Linear or a reshape) makes the first forward call fail.",
        _HEADER + "rnn = nn.LSTM(input_size=10, hidden_size=20, batch_first=True)\n"
        "x = torch.randn(4, 7, 3)\nout, (h, c) = rnn(x)\n",
        _HEADER + "rnn = nn.LSTM(input_size=10, hidden_size=20, batch_first=True)\n"
        "x = torch.randn(4, 7, 10)\nout, (h, c) = rnn(x)\n",
        "RuntimeError: input.size(-1) must be equal to input_size. Expected 10, got 3",
    ),
    Rule(
        "RNN002", "missing-batch-dim", "warning",
        "A 2-D input reaches a batch_first module (or is known to be (batch, features)): torch reads "
        "it as ONE unbatched sequence.",
        "Since torch 1.11 a 2-D input is an unbatched sequence (seq_len, input_size), whatever "
        "batch_first says. A (batch, features) tensor is silently read as `batch` time steps of one "
        "sequence: rows leak into each other and nothing raises. With a 3-D hidden state torch does "
        "raise (error severity then).",
        _HEADER + "rnn = nn.RNN(input_size=3, hidden_size=5, batch_first=True)\n"
        "x = torch.randn(10, 3)\nout, h = rnn(x)\n",
        _HEADER + "rnn = nn.RNN(input_size=3, hidden_size=5, batch_first=True)\n"
        "x = torch.randn(2, 10, 3)\nout, h = rnn(x)\n",
        "Runs: output (10, 5), h_n (1, 5) — one sequence of 10 steps. A tutorial claims it raises; it does not.",
    ),
    Rule(
        "RNN003", "input-rank", "error",
        "The input has a rank other than 2 or 3 (1 or 2 for cells).",
        "RNNs take (seq_len, batch, features), (batch, seq_len, features) or an unbatched "
        "(seq_len, features). An image batch or a single vector fails at the first call.",
        _HEADER + "rnn = nn.GRU(input_size=3, hidden_size=5)\nx = torch.randn(2, 4, 3, 1)\nout, h = rnn(x)\n",
        _HEADER + "rnn = nn.GRU(input_size=3, hidden_size=5)\nx = torch.randn(2, 4, 3, 1)\n"
        "out, h = rnn(x.squeeze(-1))\n",
        "ValueError: GRU: Expected input to be 2D or 3D, got 4D instead",
    ),
    Rule(
        "RNN004", "batch-first-layout", "warning",
        "The input's layout is the opposite of the module's batch_first.",
        "A (seq_len, batch, features) tensor given to a batch_first=True module (or a batch-major one "
        "to a batch_first=False module) runs without error when no hidden state is given: torch swaps "
        "time and batch, so every sequence is mixed with the others. Given a hidden state sized for "
        "the real batch, the call raises instead (torch expects the swapped batch). Packing calls "
        "whose batch_first disagrees with the data swap them too.",
        _HEADER + "seq_len, batch_size = 35, 16\nrnn = nn.LSTM(8, 32, batch_first=True)\n"
        "x = torch.randn(seq_len, batch_size, 8)\nout, _ = rnn(x)\n",
        _HEADER + "seq_len, batch_size = 35, 16\nrnn = nn.LSTM(8, 32, batch_first=True)\n"
        "x = torch.randn(batch_size, seq_len, 8)\nout, _ = rnn(x)\n",
        "Without a hidden state: runs, time and batch swapped silently. With h0 sized for the real batch "
        "(and seq_len != batch): RuntimeError: Expected hidden size (1, seq_len, hidden), got (1, batch, hidden).",
        scope="static",
    ),
    Rule(
        "RNN005", "hidden-shape-mismatch", "error",
        "h0/c0 is not (num_layers * num_directions, batch, hidden_size) (proj_size for an LSTM's h).",
        "The hidden state is layer-major and never batch-first. A state with the wrong number of "
        "rows (bidirectional needs two per layer), the wrong batch, the wrong size, or laid out "
        "batch-first makes the call fail.",
        _HEADER + "rnn = nn.GRU(3, 5, num_layers=2, bidirectional=True)\nx = torch.randn(6, 4, 3)\n"
        "h0 = torch.zeros(2, 4, 5)\nout, h = rnn(x, h0)\n",
        _HEADER + "rnn = nn.GRU(3, 5, num_layers=2, bidirectional=True)\nx = torch.randn(6, 4, 3)\n"
        "h0 = torch.zeros(4, 4, 5)\nout, h = rnn(x, h0)\n",
        "RuntimeError: Expected hidden size (4, 4, 5), got [2, 4, 5]",
    ),
    Rule(
        "RNN006", "hidden-state-type", "error",
        "An LSTM's hidden state is not an (h, c) pair, or an RNN/GRU's hidden state is a tuple.",
        "nn.LSTM and nn.LSTMCell take (h0, c0); nn.RNN, nn.GRU and their cells take one tensor. "
        "torch fails with cryptic IndexError/AttributeError/TypeError messages.",
        _HEADER + "rnn = nn.LSTM(3, 5)\nx = torch.randn(4, 2, 3)\nh0 = torch.zeros(1, 2, 5)\n"
        "out, (h, c) = rnn(x, h0)\n",
        _HEADER + "rnn = nn.LSTM(3, 5)\nx = torch.randn(4, 2, 3)\nh0 = torch.zeros(1, 2, 5)\n"
        "c0 = torch.zeros(1, 2, 5)\nout, (h, c) = rnn(x, (h0, c0))\n",
        "IndexError: index 1 is out of bounds for dimension 0 with size 1",
    ),
    Rule(
        "RNN007", "last-step-index", "warning",
        "The \"last time step\" is taken on the batch axis.",
        "`out[:, -1]` of a batch_first=False output is the last batch element at every step; "
        "`out[-1]` of a batch_first=True output is the last batch element's whole sequence. "
        "Shapes often still fit, so training runs on the wrong data.",
        _HEADER + "rnn = nn.LSTM(8, 32)\nfc = nn.Linear(32, 2)\nx = torch.randn(20, 4, 8)\n"
        "out, _ = rnn(x)\nlogits = fc(out[:, -1, :])\n",
        _HEADER + "rnn = nn.LSTM(8, 32)\nfc = nn.Linear(32, 2)\nx = torch.randn(20, 4, 8)\n"
        "out, _ = rnn(x)\nlogits = fc(out[-1])\n",
        "Runs: out[:, -1] is (seq_len, hidden), the last batch element at each step.",
        scope="static",
    ),
    Rule(
        "RNN008", "bidirectional-summary", "warning",
        "A bidirectional module's summary is taken from one direction or from the wrong rows.",
        "The last time step of a bidirectional output holds the backward direction after only one "
        "step; `h_n[-1]` is only the last layer's backward direction. h_n rows are layer-major: "
        "2k forward, 2k+1 backward.",
        _HEADER + "rnn = nn.GRU(8, 32, batch_first=True, bidirectional=True)\nfc = nn.Linear(32, 2)\n"
        "x = torch.randn(4, 20, 8)\nout, h = rnn(x)\nlogits = fc(h[-1])\n",
        _HEADER + "rnn = nn.GRU(8, 32, batch_first=True, bidirectional=True)\nfc = nn.Linear(64, 2)\n"
        "x = torch.randn(4, 20, 8)\nout, h = rnn(x)\nlogits = fc(torch.cat((h[-2], h[-1]), dim=1))\n",
        "Runs: the forward direction is ignored.",
        scope="static",
    ),
    Rule(
        "RNN009", "output-size-mismatch", "error",
        "A consumer of the RNN's output disagrees with its feature size num_directions * (proj_size or hidden_size).",
        "A bidirectional RNN outputs 2 * hidden_size features, an LSTM with proj_size outputs "
        "proj_size. A Linear or a stacked RNN sized for hidden_size fails at the first call.",
        _HEADER + "rnn = nn.LSTM(8, 32, batch_first=True, bidirectional=True)\nfc = nn.Linear(32, 2)\n"
        "x = torch.randn(4, 20, 8)\nout, _ = rnn(x)\nlogits = fc(out)\n",
        _HEADER + "rnn = nn.LSTM(8, 32, batch_first=True, bidirectional=True)\nfc = nn.Linear(64, 2)\n"
        "x = torch.randn(4, 20, 8)\nout, _ = rnn(x)\nlogits = fc(out)\n",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (80x64 and 32x2)",
    ),
    Rule(
        "RNN010", "invalid-rnn-args", "error",
        "A constructor argument torch rejects (or accepts and then fails on).",
        "Unknown nonlinearity, dropout outside [0, 1], proj_size >= hidden_size or on RNN/GRU, "
        "non-positive or non-integer sizes, non-bool flags. `nn.RNN(3, 5, 1, True)` passes True as "
        "the nonlinearity; `bidirectional=1` is accepted and fails at the first call.",
        _HEADER + "rnn = nn.RNN(3, 5, nonlinearity='sigmoid')\n",
        _HEADER + "rnn = nn.RNN(3, 5, nonlinearity='relu')\n",
        "ValueError: Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'.",
        scope="static",
    ),
    Rule(
        "RNN011", "dropout-single-layer", "warning",
        "dropout > 0 with num_layers == 1: the dropout never acts.",
        "RNN dropout is applied between stacked layers only; a single-layer module ignores it "
        "(torch warns once, pointing into its own source).",
        _HEADER + "rnn = nn.LSTM(3, 5, dropout=0.2)\n",
        _HEADER + "rnn = nn.LSTM(3, 5, num_layers=2, dropout=0.2)\n",
        "UserWarning: dropout option adds dropout after all but last recurrent layer, ...",
        scope="static",
    ),
    Rule(
        "RNN012", "cell-given-sequence", "error",
        "A cell (RNNCell/LSTMCell/GRUCell) gets a 3-D sequence.",
        "A cell computes one time step: (batch, input_size) or (input_size,). Feed it step by "
        "step, or use the sequence module.",
        _HEADER + "cell = nn.LSTMCell(3, 5)\nx = torch.randn(4, 2, 3)\nh, c = cell(x)\n",
        _HEADER + "cell = nn.LSTMCell(3, 5)\nx = torch.randn(4, 2, 3)\nfor x_t in x:\n    h, c = cell(x_t)\n",
        "ValueError: LSTMCell: Expected input to be 1D or 2D, got 3D instead",
    ),
    Rule(
        "RNN013", "dtype-mismatch", "error",
        "The input or hidden state has another dtype than the module's weights.",
        "Token ids fed without an Embedding (int64), float64 data from numpy, or a half-precision "
        "state: torch fails with messages such as `get_mkldnn_dtype: unsupported data type`.",
        _HEADER + "rnn = nn.GRU(3, 5)\nx = torch.randn(4, 2, 3, dtype=torch.float64)\nout, h = rnn(x)\n",
        _HEADER + "rnn = nn.GRU(3, 5)\nx = torch.randn(4, 2, 3, dtype=torch.float64)\nout, h = rnn(x.float())\n",
        "ValueError: RNN input dtype (torch.float64) does not match weight dtype (torch.float32).",
        scope="runtime",
    ),
    Rule(
        "RNN014", "device-mismatch", "error",
        "The input or hidden state is on another device than the module's weights.",
        "A hidden state built with torch.zeros(...) stays on the CPU when the model moved to the GPU.",
        _HEADER + "rnn = nn.GRU(3, 5)\nx = torch.randn(4, 2, 3, device='meta')\nout, h = rnn(x)\n",
        _HEADER + "rnn = nn.GRU(3, 5)\nx = torch.randn(4, 2, 3)\nout, h = rnn(x)\n",
        "RuntimeError: Input and parameter tensors are not at the same device, ...",
        scope="runtime",
    ),
)

BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}


def get(code: str) -> Optional[Rule]:
    return BY_CODE.get(code.upper())


def matches(code: str, selectors: tuple[str, ...]) -> bool:
    """True when `code` is named by one of `selectors` (a full code or a prefix, like ruff's)."""
    return any(code.startswith(s.upper()) for s in selectors)
