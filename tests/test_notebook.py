"""Notebooks: code cells as one program, IPython syntax replaced row for row, findings placed
in their cells (text, JSON, SARIF), `# noqa` in cells, one RNN000 for a broken notebook or cell,
and the marks of the notebook fixtures checked against rnnlint and against torch."""

from __future__ import annotations

import json
import re
import traceback
import warnings
from pathlib import Path

import pytest

from cli_support import invoke, write_project
from fixture_marks import FIXTURES
from rnnlint.config import Config
from rnnlint.static import runner
from rnnlint.static.engine import lint_file, lint_notebook
from rnnlint.static.notebook import read, to_python

NOTEBOOKS = sorted((FIXTURES / "notebooks").glob("*.ipynb"))
_MARK = re.compile(r"#\s*expect:\s*(?P<codes>RNN\d{3}(?:\s*,\s*RNN\d{3})*)")


def notebook(*cells: str, language: str = "python") -> str:
    """nbformat 4 JSON with these code cells, a markdown cell first (so code cells start at 2)."""
    entries = [{"cell_type": "markdown", "metadata": {}, "source": ["# title\n"]}]
    entries += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                 "source": cell.splitlines(keepends=True)} for cell in cells]
    meta = {"language_info": {"name": language}}
    return json.dumps({"cells": entries, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def cell_marks(path: Path) -> set[tuple[int, int, str]]:
    marks = set()
    for cell in read(path.read_bytes()).cells:
        for row, line in enumerate(cell.source.split("\n"), start=1):
            match = _MARK.search(line)
            if match:
                marks.update((cell.number, row, c.strip()) for c in match.group("codes").split(","))
    return marks


def findings(text: str, name: str = "nb.ipynb") -> list[tuple[int | None, int, str]]:
    return [(d.cell, d.row, d.code) for d in lint_notebook(text.encode(), name).diagnostics]


LSTM_BUG = "import torch\nimport torch.nn as nn\nrnn = nn.LSTM(10, 20)\nout, _ = rnn(torch.randn(5, 3, 7))\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_findings_match_cell_marks(path: Path) -> None:
    result = lint_file(path, str(path))
    assert result.error is None
    assert {(d.cell, d.row, d.code) for d in result.diagnostics} == cell_marks(path)


def test_fixture_notebooks_exist_with_and_without_findings() -> None:
    assert len(NOTEBOOKS) >= 4
    assert any(not cell_marks(p) for p in NOTEBOOKS) and any(cell_marks(p) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_agrees_with_torch(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells run in order in one namespace, going on after an error as `--allow-errors` does:
    every error-severity mark raises in its cell, at a marked row, and nothing else raises."""
    torch = pytest.importorskip("torch")
    from rnnlint import rules

    monkeypatch.chdir(tmp_path)  # %%writefile and friends are blanked, but stay out of the tree anyway
    torch.manual_seed(0)
    marks = {(cell, row) for cell, row, code in cell_marks(path)
             if code != "RNN000" and rules.BY_CODE[code].severity == "error"}
    namespace: dict[str, object] = {"__name__": "__main__"}
    hit: set[tuple[int, int]] = set()
    for cell in read(path.read_bytes()).cells:
        if cell.error is not None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile("\n".join(cell.python), f"<cell {cell.number}>", "exec"), namespace)
        except Exception as exc:
            frames = {(int(f.filename[6:-1]), f.lineno) for f in traceback.extract_tb(exc.__traceback__)
                      if f.filename.startswith("<cell ")}
            assert frames & marks, f"cell {cell.number} raised {exc!r} away from every marked row"
            hit |= frames & marks
    assert hit == marks, "a marked error did not raise under torch"


def test_ipython_syntax_is_replaced_row_for_row() -> None:
    cell = [
        "!pip install torch \\",
        "    numpy",
        "%matplotlib inline",
        "for i in range(3):",
        "    !echo {i}",
        "    x = (1,",
        "    % 2)",
        "files = !ls data",
        "a, b = %who_ls",
        "torch.randn?",
        "??torch",
        "print('why?')  # really?",
        's = """',
        "!inside a string",
        '"""',
    ]
    assert to_python(cell) == [
        "pass", "", "pass", "for i in range(3):", "    pass", "    x = (1,", "    % 2)", "files = ...",
        "a, b = ...", "pass", "pass", "print('why?')  # really?", 's = """', "!inside a string", '"""',
    ]


def test_cell_magics() -> None:
    assert to_python(["%%time", "x = 1", "%timeit x"]) == ["", "x = 1", "pass"]
    assert to_python(["", "%%capture out", "y = 2"]) == ["", "", "y = 2"]
    assert to_python(["%%bash", "ls -la", "echo done"]) == ["", "", ""]
    assert to_python(["%%writefile m.py", "import torch"]) == ["", ""]
    assert to_python(["x = 5 % 2", "y = x"]) == ["x = 5 % 2", "y = x"]  # Python is left alone


def test_findings_in_later_cells_use_earlier_cells() -> None:
    text = notebook("import torch\nimport torch.nn as nn", "%matplotlib inline\nrnn = nn.GRU(10, 20)",
                    "!nvidia-smi\nx = torch.randn(5, 3, 7)\nout, h = rnn(x)")
    assert findings(text) == [(4, 3, "RNN001")]


def test_noqa_in_a_cell() -> None:
    assert findings(notebook(LSTM_BUG)) == [(2, 4, "RNN001")]
    assert findings(notebook(LSTM_BUG.replace("7))\n", "7))  # noqa: RNN001\n"))) == []
    assert findings(notebook(LSTM_BUG.replace("7))\n", "7))  # noqa: RNN005\n"))) == [(2, 4, "RNN001")]


def test_line_numbers_in_messages_name_the_cell() -> None:
    text = notebook("import torch\nimport torch.nn as nn\nrnn = nn.LSTM(10, 20)", "out, _ = rnn(torch.randn(5, 3, 7))")
    [d] = lint_notebook(text.encode(), "nb.ipynb").diagnostics
    assert "(LSTM(10, 20), cell 2, line 3)" in d.message
    assert "torch.randn(5, 3, 7) in cell 3, line 1" in d.message
    assert "built in cell 2, line 3 (nb.ipynb)" in d.explain[0].text() and (d.explain[0].cell, d.explain[0].line) == (2, 3)


def test_a_cell_that_is_not_python_is_one_finding_and_the_others_are_checked() -> None:
    text = notebook("import torch.nn as nn\nrnn = nn.LSTM(10, 20)", "def f(:\n    pass", LSTM_BUG)
    [bad, bug] = lint_notebook(text.encode(), "nb.ipynb").diagnostics
    assert (bad.cell, bad.row, bad.column, bad.code) == (3, 1, 7, "RNN000")
    assert bad.message == "cannot parse cell 3: invalid syntax"
    assert (bug.cell, bug.row, bug.code) == (4, 4, "RNN001")


def test_cells_are_parsed_one_by_one() -> None:
    # joined, the two cells would be one valid call; Jupyter runs (and fails) them apart
    text = notebook("import torch.nn as nn\nrnn = nn.LSTM(10,", "20)")
    assert [(c, code) for c, _, code in findings(text)] == [(2, "RNN000"), (3, "RNN000")]


@pytest.mark.parametrize("data, message, position", [
    (b'{"cells": [\n nn.LSTM(3, 4)', "the notebook is not valid JSON (Expecting value)", (2, 2)),
    (b'{"nbformat": 4, "x": "nn.LSTM(3, 4)"}', "not a Jupyter notebook (a JSON object with a `cells` list", (1, 1)),
    (b'{"nbformat": 3, "worksheets": ["nn.LSTM(3, 4)"]}', "nbformat 3 notebooks are not read", (1, 1)),
    (b'{"cells": [{"cell_type": "code", "source": 3}], "x": "nn.LSTM(3, 4)"}', "cell 1's source is neither", (1, 1)),
    (b'\xff{"cells": [], "x": "nn.LSTM(3, 4)"}', "the notebook is not UTF-8", (1, 1)),
    (b'{"cells": [{"cell_type": "code", "source": ["rnn = nn.LSTM(3, 4)\\n", "s = \\"\\ud800\\""]}]}',
     "cell 1's source is not valid Unicode (it holds a lone surrogate)", (1, 1)),
    (b'{"x": "nn.LSTM(3, 4)", "y": ' + b"[" * 100_000, "nested too deeply", (1, 1)),
])
def test_a_malformed_notebook_is_one_clear_finding(data: bytes, message: str, position: tuple[int, int]) -> None:
    # each names an RNN: as for a .py file, one that cannot matter is skipped
    [d] = lint_notebook(data, "nb.ipynb").diagnostics
    assert (d.code, d.cell, (d.row, d.column)) == ("RNN000", None, position)
    assert message in d.message and d.message.startswith("cannot parse the file: ")
    assert lint_notebook(b'{"cells": [', "nb.ipynb").diagnostics == []


def test_other_languages_are_skipped() -> None:
    assert findings(notebook(LSTM_BUG, language="R")) == []


def test_command_output_formats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, {"nb.ipynb": notebook("%pip install torch", LSTM_BUG), "bug.py": LSTM_BUG})
    monkeypatch.chdir(tmp_path)
    text = invoke("check")
    assert text.exit_code == 1
    assert text.output.splitlines()[:2] == [
        f"bug.py:4:10: RNN001 {lint_file(tmp_path / 'bug.py', 'bug.py').diagnostics[0].message}",
        f"nb.ipynb:cell 3:4:10: RNN001 {findings_message(tmp_path / 'nb.ipynb')}",
    ]
    [_, item] = json.loads(invoke("check", "--output-format", "json").output)
    assert (item["filename"], item["cell"], item["location"], item["end_location"]["row"]) == (
        "nb.ipynb", 3, {"row": 4, "column": 10}, 4)
    sarif = json.loads(invoke("check", "--output-format", "sarif").output)
    [_, result] = sarif["runs"][0]["results"]
    [location] = result["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "nb.ipynb"
    assert location["physicalLocation"]["region"]["startLine"] == 4
    assert location["logicalLocations"] == [{"name": "cell 3", "kind": "module"}]
    assert result["properties"]["cell"] == 3
    github = invoke("check", "--output-format", "github").output.splitlines()
    assert "title=RNN001 input-size-mismatch (cell 3)" in github[1]


def findings_message(path: Path) -> str:
    return lint_file(path, path.name).diagnostics[0].message


def test_runs_in_process_on_a_pool_and_from_the_cache_agree(tmp_path: Path) -> None:
    root = write_project(tmp_path, {f"nb{i}.ipynb": notebook(LSTM_BUG) for i in range(runner.PARALLEL_MIN)})

    def found(**kwargs: object) -> list[tuple[str, int | None, int, str]]:
        result = runner.run([str(root)], Config(root=root), **kwargs)  # type: ignore[arg-type]
        assert not result.errors
        return [(Path(d.path).name, d.cell, d.row, d.code) for d in result.diagnostics]

    serial = found(jobs=1, use_cache=False)
    assert len(serial) == runner.PARALLEL_MIN and serial[0][1:] == (2, 4, "RNN001")
    assert found(jobs=2, use_cache=False) == serial
    assert found(jobs=2) == serial  # fills the cache
    assert found(jobs=1) == serial  # from the cache


def test_the_cache_follows_a_module_the_notebook_imports(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("import torch.nn as nn\n\ndef make():\n    return nn.GRU(4, 8)\n")
    (tmp_path / "train.ipynb").write_text(notebook("import torch\nfrom model import make",
                                                   "make()(torch.randn(5, 2, 4))"))

    def codes() -> list[str]:
        return [d.code for d in runner.run([str(tmp_path)], Config(root=tmp_path)).diagnostics]

    assert codes() == []
    (tmp_path / "model.py").write_text("import torch.nn as nn\n\ndef make():\n    return nn.GRU(5, 8)\n")
    assert codes() == ["RNN001"]


def test_a_lone_surrogate_in_a_cell_costs_only_its_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = ('{"cells": [{"cell_type": "code", "source": '
              '["import torch.nn as nn\\n", "rnn = nn.LSTM(3, 4)\\n", "s = \\"\\ud800\\""]}]}')
    write_project(tmp_path, {"a.ipynb": source, "b.py": LSTM_BUG})
    monkeypatch.chdir(tmp_path)
    for args in (("check",), ("check", "--fix")):
        result = invoke(*args, "--output-format", "json")
        assert result.exit_code == 1, result.output
        found = [(i["filename"], i["code"]) for i in json.loads(result.output)]
        assert found == [("a.ipynb", "RNN000"), ("b.py", "RNN001")]


# Rows that make cells parse or not, alone or together: brackets, strings, blocks and
# decorators that a later cell closes, backslashes at a cell's end, IPython syntax
_ROWS = ["x = 1", "y = (", "1)", ")", "if x:", "    pass", "  z = 2", "else:", "@dec", "def f():", "    return 1",
         "s = '''", "'''", "a = 1 \\", "\\", "", "   ", "# note \\", "# why?", "%matplotlib inline",
         "!pip install x", "obj?", "files = !ls", "%%time", "%%bash", "    x = [", "]", "\tx = 2", "print 1",
         "x = 1;", "class A:", "async def g():", "    await h()", ", 2", "t = f'{x}'", "u = 'a\\", "b'",
         "obj?  # help", "\x0c%time x", "y =\t!ls"]


def _alone(lines: list[str]) -> tuple[tuple[str, ...], object]:
    """A cell read on its own, as the notebook format says: parsed as written, else with its
    IPython syntax replaced and parsed again."""
    def error(text: str) -> object:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(text, "<cell>", "exec", 0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
        except SyntaxError as exc:
            return (exc.msg, exc.lineno, exc.offset)
        return None

    if error("\n".join(lines)) is None:
        return tuple(lines), None
    python = to_python(lines)
    return tuple(python), error("\n".join(python))


def _check_cells_read_alone(cells: list[list[str]]) -> None:
    from rnnlint.static.notebook import from_data

    texts = ["\n".join(lines) for lines in cells]
    book = from_data(json.loads(notebook(*texts)))
    # the prefilter's text comes before, and without, the parse of the cells that hold no IPython
    unparsed = book.program(blank_errors=False)
    assert "_parsed" not in vars(book)
    assert unparsed == "".join("\n".join(cell.python) + "\n" for cell in book.cells)
    cells = [text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") for text in texts]  # as read
    got = [(cell.python, cell.error and (cell.error.msg, cell.error.lineno, cell.error.offset)) for cell in book.cells]
    assert got == [_alone(lines) for lines in cells]
    if book.tree is not None:  # the tree kept is the program's
        import ast

        assert ast.dump(book.tree) == ast.dump(ast.parse(book.program()))


def test_each_cell_is_read_as_if_alone_though_the_program_is_parsed_once() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    cell = st.lists(st.sampled_from(_ROWS), min_size=1, max_size=5)

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(cell, min_size=1, max_size=5))
    def check(cells: list[list[str]]) -> None:
        _check_cells_read_alone(cells)

    check()
    # the cases the single parse must not take for cells that parse alone
    for cells in ([["y = ("], ["1)"]], [["if x:"], ["    pass"]], [["@dec"], ["def f():", "    return 1"]],
                  [["a = 1 \\", ""], ["x = 1"]], [["\\"], ["x = 1"]], [["s = '''"], ["x"], ["'''"]],
                  [["x = 1"], ["%matplotlib inline", "y = 2"], ["z = 3"]]):
        _check_cells_read_alone(cells)
