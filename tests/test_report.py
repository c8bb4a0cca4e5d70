"""Each output format, on constructed findings and through the command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cli_support import INPUT_SIZE_BUG, SYNTAX_ERROR, invoke, write_project
from rnnlint import rules
from rnnlint.diagnostic import Diagnostic
from rnnlint.report import FORMATS, Options, emitter

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"  # OASIS, errata 01, verbatim

ERROR = Diagnostic("src/model.py", 12, 5, 12, 31, "RNN001", "rnn expects input_size=10, but the input has 3",
                   "error", expected="input_size=10 (line 8)", actual="3 (torch.randn(2, 4, 3), line 12)",
                   hint="make the input's feature dimension match input_size")
WARNING = Diagnostic("src/model.py", 20, 1, 20, 9, "RNN002", "a 2-D input, 50% of rows\nmixed: a, b", "warning")


def render(fmt: str, diagnostics: list[Diagnostic], **options: Any) -> str:
    out = io.StringIO()
    emitter(fmt)(diagnostics, out, Options(**options))
    return out.getvalue()


def test_every_format_is_registered() -> None:
    assert list(FORMATS) == ["text", "json", "sarif", "github"]
    for fmt in FORMATS:
        assert callable(emitter(fmt))


def test_text_lines_and_summary() -> None:
    assert render("text", [ERROR, WARNING]).splitlines() == [
        "src/model.py:12:5: RNN001 rnn expects input_size=10, but the input has 3",
        "src/model.py:20:1: RNN002 a 2-D input, 50% of rows",
        "mixed: a, b",
        "Found 1 error and 1 warning.",
    ]
    assert render("text", [WARNING]).endswith("Found 1 warning.\n")
    assert render("text", [ERROR, ERROR]).endswith("Found 2 errors.\n")
    assert render("text", []) == "All checks passed!\n"
    assert render("text", [], failures=2) == "No findings, but 2 paths could not be checked (see the errors above).\n"


def test_text_statistics() -> None:
    assert render("text", [WARNING, ERROR, WARNING], statistics=True, quiet=True) == (
        "2  RNN002  missing-batch-dim\n1  RNN001  input-size-mismatch\n"
    )


def test_json_has_exactly_the_documented_keys() -> None:
    [item] = json.loads(render("json", [ERROR]))
    assert item == {
        "code": "RNN001",
        "name": "input-size-mismatch",
        "severity": "error",
        "message": ERROR.message,
        "filename": "src/model.py",
        "location": {"row": 12, "column": 5},
        "end_location": {"row": 12, "column": 31},
        "url": rules.BY_CODE["RNN001"].url,
        "fix": None,
        "expected": ERROR.expected,
        "actual": ERROR.actual,
        "hint": ERROR.hint,
    }
    assert json.loads(render("json", [])) == []


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_validates_and_carries_the_catalog(sarif_validator: jsonschema.Draft4Validator) -> None:
    log = json.loads(render("sarif", [ERROR, WARNING]))
    sarif_validator.validate(log)
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == [r.code for r in rules.RULES]
    first, second = run["results"]
    assert driver["rules"][first["ruleIndex"]]["id"] == "RNN001"
    assert driver["rules"][first["ruleIndex"]]["helpUri"] == rules.BY_CODE["RNN001"].url
    assert (first["level"], second["level"]) == ("error", "warning")
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "src/model.py"},
        "region": {"startLine": 12, "startColumn": 5, "endLine": 12, "endColumn": 31},
    }
    assert first["properties"]["expected"] == ERROR.expected


def test_sarif_without_findings_and_odd_paths(sarif_validator: jsonschema.Draft4Validator) -> None:
    sarif_validator.validate(json.loads(render("sarif", [])))
    odd = Diagnostic("my dir/naïve #1.py", 1, 1, 1, 2, "RNN000", "x", "error")
    log = json.loads(render("sarif", [odd]))
    sarif_validator.validate(log)
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "my%20dir/na%C3%AFve%20%231.py"
    )


def test_the_schema_really_rejects_bad_logs(sarif_validator: jsonschema.Draft4Validator) -> None:
    log = json.loads(render("sarif", [ERROR]))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(log)


def test_github_annotations() -> None:
    assert render("github", [ERROR, WARNING]).splitlines() == [
        (
            "::error file=src/model.py,line=12,col=5,endLine=12,endColumn=31,title=RNN001 input-size-mismatch"
            "::rnn expects input_size=10, but the input has 3"
        ),
        (
            "::warning file=src/model.py,line=20,col=1,endLine=20,endColumn=9,title=RNN002 missing-batch-dim"
            "::a 2-D input, 50%25 of rows%0Amixed: a, b"
        ),
    ]


def test_github_escapes_properties() -> None:
    odd = Diagnostic("a,b:c.py", 1, 1, 1, 2, "RNN000", "x", "error")
    assert render("github", [odd]).startswith("::error file=a%2Cb%3Ac.py,line=1,")


def test_formats_through_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     sarif_validator: jsonschema.Draft4Validator) -> None:
    write_project(tmp_path, {"bad.py": SYNTAX_ERROR, "bug.py": INPUT_SIZE_BUG})
    monkeypatch.chdir(tmp_path)
    items = json.loads(invoke("check", "--output-format", "json").output)
    assert [(i["filename"], i["code"]) for i in items] == [("bad.py", "RNN000"), ("bug.py", "RNN001")]
    sarif_validator.validate(json.loads(invoke("check", "--output-format", "sarif").output))
    lines = invoke("check", "--output-format", "github").output.splitlines()
    assert [line.split(",")[0] for line in lines] == ["::error file=bad.py", "::error file=bug.py"]


BAD_NAME = b"mod\xff\x1b[31mred.py"  # not UTF-8, with a terminal escape


def _check_bytes_name(tmp_path: Path, fmt: str) -> "subprocess.CompletedProcess[bytes]":
    write_project(tmp_path, {})
    with open(os.path.join(os.fsencode(tmp_path), BAD_NAME), "wb") as f:
        f.write(INPUT_SIZE_BUG.encode())
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "rnnlint", "check", "--no-cache", "--output-format", fmt, "."],
                          cwd=tmp_path, capture_output=True, env=env, timeout=60)


@pytest.mark.skipif(sys.platform != "linux", reason="a file name of any bytes")
@pytest.mark.parametrize("fmt", ["text", "github", "sarif", "json"])
def test_a_file_name_that_is_not_utf8_is_escaped(tmp_path: Path, fmt: str,
                                                 sarif_validator: jsonschema.Draft4Validator) -> None:
    done = _check_bytes_name(tmp_path, fmt)
    assert done.returncode == 1, done.stderr.decode()
    out = done.stdout.decode("utf-8")  # strict: every format writes valid UTF-8
    assert "\x1b" not in out
    if fmt == "text":
        assert out.startswith("mod\\xff\\x1b[31mred.py:4:")
    elif fmt == "github":
        assert out.startswith("::error file=mod\\xff\\x1b[31mred.py,line=4,")
    elif fmt == "sarif":
        log = json.loads(out)
        sarif_validator.validate(log)
        uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "mod%FF%1B%5B31mred.py"
    else:
        assert os.fsencode(json.loads(out)[0]["filename"]) == BAD_NAME  # JSON keeps the exact name


def test_control_characters_in_names_and_errors_are_not_printed_raw() -> None:
    odd = Diagnostic("a\x1b]0;title\x07b.py", 1, 1, 1, 2, "RNN000", "x", "error")
    text = render("text", [odd])
    assert "\x1b" not in text and "\x07" not in text
    assert text.startswith("a\\x1b]0;title\\x07b.py:1:1: RNN000 x")
