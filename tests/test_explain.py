"""`rnnlint check --explain`: the facts behind each finding, in every output format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from cli_support import invoke
from fixture_marks import FIXTURES
from rnnlint.diagnostic import Diagnostic, Fact
from rnnlint.report import Options, emitter

FIXTURE = FIXTURES / "hidden" / "hidden_states.py"
FACTS = (Fact("module", "rnn is nn.LSTM(10, 20)", "on line 3", "m.py", 3),
         Fact("input", "input shape (5, 3, 7)", "torch.randn(5, 3, 7) on line 4", "m.py", 4))
TEXTS = ["rnn is nn.LSTM(10, 20), built on line 3 (m.py)", "input shape (5, 3, 7): torch.randn(5, 3, 7) on line 4 (m.py)"]
FINDING = Diagnostic("m.py", 4, 10, 4, 35, "RNN001", "input-size-mismatch: rnn expects 10, got 7", "error",
                     explain=FACTS)


def render(fmt: str, explain: bool) -> str:
    out = io.StringIO()
    emitter(fmt)([FINDING], out, Options(explain=explain, quiet=True))
    return out.getvalue()


def test_text_puts_the_facts_under_the_finding() -> None:
    assert render("text", explain=True).splitlines() == [
        "m.py:4:10: RNN001 input-size-mismatch: rnn expects 10, got 7",
        "    rnn is nn.LSTM(10, 20), built on line 3 (m.py)",
        "    input shape (5, 3, 7): torch.randn(5, 3, 7) on line 4 (m.py)",
    ]
    assert render("text", explain=False) == "m.py:4:10: RNN001 input-size-mismatch: rnn expects 10, got 7\n"


def test_json_sarif_and_github_carry_the_facts_only_when_asked() -> None:
    structured = [{"kind": "module", "value": "rnn is nn.LSTM(10, 20)", "origin": "on line 3", "file": "m.py",
                   "line": 3, "cell": None},
                  {"kind": "input", "value": "input shape (5, 3, 7)", "origin": "torch.randn(5, 3, 7) on line 4",
                   "file": "m.py", "line": 4, "cell": None}]
    assert json.loads(render("json", explain=True))[0]["explain"] == structured
    assert "explain" not in json.loads(render("json", explain=False))[0]
    [result] = json.loads(render("sarif", explain=True))["runs"][0]["results"]
    assert result["properties"]["explain"] == structured
    assert render("github", explain=True).rstrip("\n").endswith("got 7%0A" + "%0A".join(TEXTS))


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
        f"    gru is nn.GRU(3, 5, num_layers=2, bidirectional=True), built on line 7 ({in_fixtures})",
        "    input_size=3: FEATURES",
        "    hidden_size=5: HIDDEN",
        f"    num_layers=2: line 7 ({in_fixtures})",
        f"    input shape (6, 4, 3): torch.randn(STEPS, BATCH, FEATURES) on line 8 ({in_fixtures})",
        f"    hidden state shape (2, 4, 5): torch.zeros(2, BATCH, HIDDEN) on line 11 ({in_fixtures})",
    ]
    assert "    gru is nn.GRU" not in invoke("check", "--no-cache", "--select", "RNN005", str(in_fixtures)).output


def test_explain_in_json_and_the_call_chain(in_fixtures: Path) -> None:
    items = json.loads(invoke("check", "--no-cache", "--explain", "--output-format", "json",
                              "notebooks/lstm_sentiment.ipynb").output)
    first = items[0]
    assert (first["cell"], first["location"]["row"]) == (5, 9)
    notebook = "notebooks/lstm_sentiment.ipynb"
    assert first["explain"][0] == {"kind": "module", "value": "self.lstm is nn.LSTM(32, 64, batch_first=True)",
                                   "origin": "in cell 5, line 5", "file": notebook, "line": 5, "cell": 5}
    assert first["explain"][-1] == {"kind": "call", "value": "wide(batch)", "origin": "", "file": notebook,
                                    "line": 2, "cell": 9}


def test_each_line_number_names_its_file(in_fixtures: Path) -> None:
    """A model built in one file and fed in another: the facts say which file each line is in."""
    result = invoke("check", "--no-cache", "--explain", "--select", "RNN001", "project/evaluate_bug.py")
    lines = result.output.splitlines()
    assert lines[1:7] == [
        "    self.gru is nn.GRU(13, 32, batch_first=True), built on line 8 (project/model.py)",
        "    input_size=13: from StackedGRU(input_size=13) on line 6 (project/evaluate_bug.py)",
        "    hidden_size=32: from StackedGRU(hidden_size=32) on line 6 (project/evaluate_bug.py)",
        "    num_layers=1: the default num_layers=1 of StackedGRU",
        "    input shape (4, 50, 12): torch.randn(4, 50, 12) on line 7 (project/evaluate_bug.py)",
        "    reached through model(windows) (project/evaluate_bug.py, line 8)",
    ]
    [item] = json.loads(invoke("check", "--no-cache", "--explain", "--select", "RNN001", "--output-format", "json",
                               "project/evaluate_bug.py").output)
    assert [(f["kind"], f["file"], f["line"]) for f in item["explain"]] == [
        ("module", "project/model.py", 8), ("size", "project/evaluate_bug.py", 6),
        ("size", "project/evaluate_bug.py", 6), ("size", None, None), ("input", "project/evaluate_bug.py", 7),
        ("call", "project/evaluate_bug.py", 8)]
