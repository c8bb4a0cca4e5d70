"""`rnnlint check --explain`: the facts behind each finding, in every output format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cli_support import invoke
from fixture_marks import FIXTURES
from rnnlint.diagnostic import Diagnostic
from rnnlint.report import Options, emitter

FIXTURE = FIXTURES / "hidden" / "hidden_states.py"
FACTS = ("rnn is nn.LSTM(10, 20), built on line 3", "input shape (5, 3, 7): torch.randn(5, 3, 7) on line 4")
FINDING = Diagnostic("m.py", 4, 10, 4, 35, "RNN001", "input-size-mismatch: rnn expects 10, got 7", "error",
                     explain=FACTS)


def render(fmt: str, explain: bool) -> str:
    out = io.StringIO()
    emitter(fmt)([FINDING], out, Options(explain=explain, quiet=True))
    return out.getvalue()


def test_text_puts_the_facts_under_the_finding() -> None:
    assert render("text", explain=True).splitlines() == [
        "m.py:4:10: RNN001 input-size-mismatch: rnn expects 10, got 7",
        "    rnn is nn.LSTM(10, 20), built on line 3",
        "    input shape (5, 3, 7): torch.randn(5, 3, 7) on line 4",
    ]
    assert render("text", explain=False) == "m.py:4:10: RNN001 input-size-mismatch: rnn expects 10, got 7\n"


def test_json_sarif_and_github_carry_the_facts_only_when_asked() -> None:
    assert json.loads(render("json", explain=True))[0]["explain"] == list(FACTS)
    assert "explain" not in json.loads(render("json", explain=False))[0]
    [result] = json.loads(render("sarif", explain=True))["runs"][0]["results"]
    assert result["properties"]["explain"] == list(FACTS)
    assert render("github", explain=True).rstrip("\n").endswith("got 7%0A" + "%0A".join(FACTS))


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(FIXTURES)
    return FIXTURE.relative_to(FIXTURES)


def test_explain_on_a_fixture_says_where_each_size_came_from(in_fixtures: Path) -> None:
    result = invoke("check", "--no-cache", "--explain", "--select", "RNN005", str(in_fixtures))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    first = lines.index(next(line for line in lines if line.startswith(f"{in_fixtures}:12:12: RNN005")))
    assert lines[first + 1:first + 7] == [
        "    gru is nn.GRU(3, 5, num_layers=2, bidirectional=True), built on line 7",
        "    input_size=3: FEATURES",
        "    hidden_size=5: HIDDEN",
        "    num_layers=2: line 7",
        "    input shape (6, 4, 3): torch.randn(STEPS, BATCH, FEATURES) on line 8",
        "    hidden state shape (2, 4, 5): torch.zeros(2, BATCH, HIDDEN) on line 11",
    ]
    assert "    gru is nn.GRU" not in invoke("check", "--no-cache", "--select", "RNN005", str(in_fixtures)).output


def test_explain_in_json_and_the_call_chain(in_fixtures: Path) -> None:
    items = json.loads(invoke("check", "--no-cache", "--explain", "--output-format", "json",
                              "notebooks/lstm_sentiment.ipynb").output)
    first = items[0]
    assert (first["cell"], first["location"]["row"]) == (5, 9)
    assert first["explain"][0] == "self.lstm is nn.LSTM(32, 64, batch_first=True), built in cell 5, line 5"
    assert first["explain"][-1] == (
        "reached through wide(batch) (notebooks/lstm_sentiment.ipynb, cell 9, line 2)"
    )
