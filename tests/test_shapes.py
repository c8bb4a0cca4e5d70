"""`rnnlint shapes`: each RNN module and call of a file with its configuration, its input,
state, output and h_n shapes, and where each number came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import invoke
from fixture_marks import FIXTURES
from rnnlint.static.shapes import shapes_of_source

SYMBOLIC = '''import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, vocab: int, embed_dim: int, hidden: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden, batch_first=True, bidirectional=True)

    def forward(self, tokens):
        out, (h_n, c_n) = self.lstm(self.embedding(tokens))
        return out
'''


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)


def test_text_names_the_configuration_and_each_origin(in_fixtures: None) -> None:
    result = invoke("shapes", "tutorial/simple_rnn_wrong_features.py")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "tutorial/simple_rnn_wrong_features.py:9:20: module nn.RNN(input_size, hidden_size, batch_first=True): "
        "nn.RNN(4, 8, batch_first=True)",
        "    input_size=4: from SimpleRNN(input_size=4) on line 17",
        "    hidden_size=8: from SimpleRNN(hidden_size=8) on line 17",
        "    num_layers=1",
        "    bidirectional=False",
        "    batch_first=True",
        "tutorial/simple_rnn_wrong_features.py:13:18: call self.rnn(x): nn.RNN(4, 8, batch_first=True)",
        "    input (2, 5, 3): torch.randn(2, 5, 3) on line 18",
        "    h0=not given: zeros of shape (1, 2, 8)",
        "    output (2, 5, 8): 8 = from SimpleRNN(hidden_size=8) on line 17",
        "    h_n (1, 2, 8): 8 = from SimpleRNN(hidden_size=8) on line 17",
    ]


def test_hidden_states_and_lstm_pairs(in_fixtures: None) -> None:
    lines = invoke("shapes", "hidden/hidden_states.py").output.splitlines()
    call = lines.index("hidden/hidden_states.py:18:15: call lstm(xb, (h, c)): nn.LSTM(3, 5, batch_first=True)")
    assert lines[call + 1:call + 7] == [
        "    input (4, 6, 3): torch.randn(BATCH, STEPS, FEATURES) on line 15",
        "    h0 (1, 4, 5): torch.zeros(1, BATCH, HIDDEN) on line 16",
        "    c0 (1, 4, 5): torch.zeros(1, BATCH, HIDDEN) on line 17",
        "    output (4, 6, 5): 4 = BATCH; 6 = STEPS; 5 = HIDDEN",
        "    h_n (1, 4, 5): 4 = BATCH; 5 = HIDDEN",
        "    c_n (1, 4, 5): 4 = BATCH; 5 = HIDDEN",
    ]
    gru = lines.index("hidden/hidden_states.py:10:12: call gru(x, h0): nn.GRU(3, 5, num_layers=2, bidirectional=True)")
    assert lines[gru + 3] == "    output (6, 4, 10): 6 = STEPS; 4 = BATCH; 10 = HIDDEN, 2 directions"


def test_sizes_that_are_parameters_stay_symbolic() -> None:
    records = shapes_of_source(SYMBOLIC, "encoder.py")
    [module] = [r for r in records if r.kind == "module"]
    facts = {f.name: f.value for f in module.facts}
    assert (facts["input_size"], facts["hidden_size"], facts["bidirectional"]) == ("embed_dim", "hidden", "True")
    [call] = [r for r in records if r.kind == "call"]
    facts = {f.name: f.value for f in call.facts}
    assert facts["input"] == "(..., embed_dim)" and facts["h_n"] == "(..., hidden)"
    assert facts["output"].endswith("2*hidden)")  # both directions
    # the tensors bound to names, for the editor's hover: `out` and the (h_n, c_n) pair
    names = {r.label: r for r in records if r.kind == "tensor"}
    assert set(names) >= {"out", "h_n", "c_n"} and names["h_n"].facts[0].value == "(..., hidden)"


def test_json_lists_structured_records(in_fixtures: None) -> None:
    result = invoke("shapes", "--output-format", "json", "tutorial/simple_rnn_wrong_features.py")
    module, call = json.loads(result.output)
    assert module["kind"] == "module" and module["configuration"] == "RNN(4, 8, batch_first=True)"
    assert module["location"] == {"row": 9, "column": 20}
    assert {"name": "input_size", "value": "4", "origin": "from SimpleRNN(input_size=4) on line 17"} in module["facts"]
    assert call["kind"] == "call" and call["label"] == "self.rnn(x)"
    assert call["facts"][0] == {"name": "input", "value": "(2, 5, 3)", "origin": "torch.randn(2, 5, 3) on line 18"}


def test_a_folder_a_file_without_rnns_and_a_missing_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plain.py").write_text("x = 1\n")
    (tmp_path / "enc.py").write_text(SYMBOLIC)
    monkeypatch.chdir(tmp_path)
    result = invoke("shapes", ".")
    assert result.exit_code == 0
    assert [line.split(": ")[0] for line in result.output.splitlines() if not line.startswith(" ")] == [
        "enc.py:8:21", "enc.py:11:27"]
    assert invoke("shapes", "absent.py").exit_code == 2
