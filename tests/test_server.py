"""`rnnlint server` end to end: the real server process, driven over stdio by pytest-lsp's
LSP client (the one its own projects test with), as an editor would drive it.

The server runs with a `torch` package first on its path that records being imported: it
must never be (neither by the server nor by running the linted code), and the buffers hold
code that would leave a file behind if it ever ran.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import AsyncIterator, Optional

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from cli_support import CLEAN, INPUT_SIZE_BUG
from fixture_marks import FIXTURES

pytestmark = pytest.mark.asyncio

CHECKOUT = Path(__file__).resolve().parents[1]
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
TIMEOUT = 60
# an RNN/GRU given its state in a one-element tuple (RNN006, autofixable), at row 5
STATE_TUPLE_BUG = ("import torch\nimport torch.nn as nn\ngru = nn.GRU(4, 8)\nh0 = torch.zeros(1, 2, 8)\n"
                   "out, h = gru(torch.randn(5, 2, 4), (h0,))\n")


def _tripwires(root: Path) -> dict[str, str]:
    """A `torch` that leaves a file when imported, and the environment that puts it first."""
    shadow = root / "shadow" / "torch"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "import os\nopen(os.environ['RNNLINT_TEST_TORCH_MARK'], 'w').close()\n"
        "raise ImportError('torch must not be imported by the language server')\n")
    path = os.pathsep.join([str(root / "shadow"), str(CHECKOUT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "RNNLINT_TEST_TORCH_MARK": str(root / "torch-imported")}


async def _start(root: Path, editor: str) -> tuple[LanguageClient, types.InitializeResult]:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "rnnlint", "server"],
                                server_env=_tripwires(root))
    lsp = await config.start()
    assert isinstance(lsp, LanguageClient)
    result = await asyncio.wait_for(lsp.initialize_session(types.InitializeParams(
        capabilities=client_capabilities(editor), root_uri=root.as_uri())), TIMEOUT)
    return lsp, result


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[LanguageClient]:
    lsp, _ = await _start(tmp_path, "visual-studio-code")
    yield lsp
    await lsp.shutdown_session()
    await lsp.stop()
    assert not (tmp_path / "torch-imported").exists(), "the server imported torch"
    assert not list(tmp_path.rglob("ran-user-code")), "the server ran the linted code"


def _buffer(text: str, mark_dir: Path) -> str:
    """`text` with a first line that would leave a file in `mark_dir` if the code ran."""
    return f"open({str(mark_dir / 'ran-user-code')!r}, 'w').close()\n" + text


class Editor:
    """One open buffer, edited as an editor does: whole-text changes, versions counting up."""

    def __init__(self, client: LanguageClient, path: Path) -> None:
        self.client = client
        self.uri = path.as_uri()
        self.version = 0
        self.text = ""

    async def _published(self, send: "asyncio.Future[object] | None" = None) -> types.PublishDiagnosticsParams:
        while True:
            params = await asyncio.wait_for(self.client.protocol.wait_for_notification_async(PUBLISH), TIMEOUT)
            if params.uri == self.uri:
                return params

    async def open(self, text: str) -> types.PublishDiagnosticsParams:
        waiting = asyncio.ensure_future(self._published())
        self.version, self.text = 1, text
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri=self.uri, language_id="python", version=1, text=text)))
        return await waiting

    def change(self, text: str) -> None:
        self.version += 1
        self.text = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    async def edit(self, text: str) -> types.PublishDiagnosticsParams:
        waiting = asyncio.ensure_future(self._published())
        self.change(text)
        return await waiting

    async def actions(self, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
        found = await asyncio.wait_for(self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri), range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]))), TIMEOUT)
        return [a for a in found or [] if isinstance(a, types.CodeAction)]

    def apply(self, action: types.CodeAction) -> str:
        """The buffer's text after the action's edits (all ASCII here: UTF-16 offsets are columns)."""
        assert action.edit is not None and action.edit.changes is not None
        lines = self.text.split("\n")
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line) + 1)
        text = self.text
        edits = sorted(action.edit.changes[self.uri], key=lambda e: (e.range.start.line, e.range.start.character))
        for e in reversed(edits):
            start = starts[e.range.start.line] + e.range.start.character
            end = starts[e.range.end.line] + e.range.end.character
            text = text[:start] + e.new_text + text[end:]
        return text


def codes(params: types.PublishDiagnosticsParams) -> list[Optional[object]]:
    return [d.code for d in params.diagnostics]


async def test_open_a_buggy_buffer_then_edit_it_to_the_fix(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(CLEAN)  # the file on disk is clean: the buffer is what counts
    editor = Editor(client, tmp_path / "train.py")
    opened = await editor.open(_buffer(INPUT_SIZE_BUG, tmp_path))
    [found] = opened.diagnostics
    assert (found.code, found.source, found.severity) == ("RNN001", "rnnlint", types.DiagnosticSeverity.Error)
    assert (found.range.start.line, found.range.start.character) == (4, 9)  # row 5, column 10, 0-based
    assert found.message.startswith("input-size-mismatch: rnn (LSTM(10, 20), line 4) expects input_size=10")
    assert found.code_description is not None and found.code_description.href.endswith("RNN001.md")
    fixed = await editor.edit(_buffer(CLEAN, tmp_path))
    assert fixed.diagnostics == () and fixed.version == 2


async def test_typing_is_debounced(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "model.py")
    await editor.open(_buffer(CLEAN, tmp_path))
    waiting = asyncio.ensure_future(editor._published())
    for features in range(1, 6):  # five keystrokes in quick succession
        editor.change(_buffer(INPUT_SIZE_BUG.replace("randn(5, 3, 7)", f"randn(5, 3, {features})"), tmp_path))
    published = await waiting
    assert published.version == 6 and codes(published) == ["RNN001"]  # only the last text was linted
    assert "last dimension is 5" in published.diagnostics[0].message


async def test_the_project_config_and_imported_files_apply(client: LanguageClient, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "legacy").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.rnnlint]\nper-file-ignores = { "legacy/*" = ["RNN001"] }\n')
    (project / "model.py").write_text((FIXTURES / "project" / "model.py").read_text())
    (project / "legacy" / "old.py").write_text("")
    ignored = await Editor(client, project / "legacy" / "old.py").open(_buffer(INPUT_SIZE_BUG, tmp_path))
    assert ignored.diagnostics == ()
    # the buffer imports StackedGRU(13, ...) from model.py, on disk beside it, and feeds it 12 features
    evaluate = await Editor(client, project / "evaluate.py").open(
        _buffer((FIXTURES / "project" / "evaluate_bug.py").read_text(), tmp_path))
    assert codes(evaluate) == ["RNN001"] and "expects input_size=13" in evaluate.diagnostics[0].message


async def test_noqa_code_action_silences_the_finding(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "train.py")
    [found] = (await editor.open(_buffer(INPUT_SIZE_BUG, tmp_path))).diagnostics
    [noqa] = [a for a in await editor.actions(found) if "noqa" in a.title]
    assert noqa.title == "Silence RNN001 on this line (# noqa: RNN001)" and noqa.kind == types.CodeActionKind.QuickFix
    text = editor.apply(noqa)
    assert text.splitlines()[4] == "out, _ = rnn(torch.randn(5, 3, 7))  # noqa: RNN001"
    assert (await editor.edit(text)).diagnostics == ()


async def test_autofix_code_action(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "train.py")
    [found] = (await editor.open(_buffer(STATE_TUPLE_BUG, tmp_path))).diagnostics
    assert found.code == "RNN006"
    actions = await editor.actions(found)
    assert [a.title for a in actions] == ["Fix RNN006: pass h0 alone", "Silence RNN006 on this line (# noqa: RNN006)"]
    assert actions[0].is_preferred
    text = editor.apply(actions[0])
    assert text.splitlines()[5] == "out, h = gru(torch.randn(5, 2, 4), h0)"
    assert (await editor.edit(text)).diagnostics == ()
    assert await editor.actions(found) == []  # nothing left to act on


async def test_closing_a_buffer_clears_its_findings(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "train.py")
    assert (await editor.open(_buffer(INPUT_SIZE_BUG, tmp_path))).diagnostics
    waiting = asyncio.ensure_future(editor._published())
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=editor.uri)))
    assert (await waiting).diagnostics == ()


@pytest.mark.parametrize(("editor", "encoding"), [("visual-studio-code", "utf-16"), ("neovim", "utf-8")])
async def test_positions_count_in_the_encoding_agreed_with_the_client(tmp_path: Path, editor: str,
                                                                      encoding: str) -> None:
    lsp, initialized = await _start(tmp_path, editor)
    try:
        assert initialized.capabilities.position_encoding == encoding
        line = 'note = "naïve 😀"; out, _ = rnn(torch.randn(5, 3, 7))'
        text = _buffer(INPUT_SIZE_BUG.replace("out, _ = rnn(torch.randn(5, 3, 7))", line), tmp_path)
        editor_buffer = Editor(lsp, tmp_path / "train.py")
        [found] = (await editor_buffer.open(text)).diagnostics
        prefix = line[:line.index("rnn(")]
        units = len(prefix.encode("utf-8")) if encoding == "utf-8" else len(prefix.encode("utf-16-le")) // 2
        assert (found.range.start.line, found.range.start.character) == (4, units)
        assert units != len(prefix)  # the encodings really differ on this line
        [noqa] = [a for a in await editor_buffer.actions(found) if "noqa" in a.title]
        assert noqa.edit is not None and noqa.edit.changes is not None
        [edit] = noqa.edit.changes[editor_buffer.uri]
        full = "  # noqa: RNN001"
        assert edit.new_text == full
        assert edit.range.start.character == (len(line.encode("utf-8")) if encoding == "utf-8"
                                              else len(line.encode("utf-16-le")) // 2)
    finally:
        await lsp.shutdown_session()
        await lsp.stop()


async def hover(editor: Editor, line: int, character: int) -> Optional[str]:
    found = await asyncio.wait_for(editor.client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=editor.uri), position=types.Position(line, character))), TIMEOUT)
    if found is None:
        return None
    assert isinstance(found.contents, types.MarkupContent) and found.contents.kind == types.MarkupKind.Markdown
    return found.contents.value


async def test_hover_shows_shapes_and_their_origins(client: LanguageClient, tmp_path: Path) -> None:
    editor = Editor(client, tmp_path / "tutorial.py")
    text = _buffer((FIXTURES / "tutorial" / "simple_rnn_wrong_features.py").read_text(), tmp_path)
    await editor.open(text)
    lines = text.split("\n")
    row = next(i for i, line in enumerate(lines) if "self.rnn = nn.RNN(" in line)
    module = await hover(editor, row, lines[row].index("nn.RNN(") + 3)
    assert module is not None and "nn.RNN(4, 8, batch_first=True)" in module
    assert "- `input_size` = `4` (from SimpleRNN(input_size=4) on line 18)" in module  # the buffer's line numbers
    row = next(i for i, line in enumerate(lines) if "out, _ = self.rnn(x)" in line)
    call = await hover(editor, row, lines[row].index("self.rnn(x)") + 10)
    assert call is not None and "call self.rnn(x)" in call
    assert "- `input` `(2, 5, 3)` (torch.randn(2, 5, 3) on line 19)" in call
    out = await hover(editor, row, lines[row].index("out"))
    assert out is not None and out.startswith("**rnnlint** tensor out") and "`(2, 5, 8)`" in out
    assert await hover(editor, 0, 0) is None  # no RNN, no tensor there


async def test_hover_is_symbolic_where_sizes_are_parameters(client: LanguageClient, tmp_path: Path) -> None:
    from test_shapes import SYMBOLIC

    editor = Editor(client, tmp_path / "encoder.py")
    await editor.open(SYMBOLIC)
    lines = SYMBOLIC.split("\n")
    row = next(i for i, line in enumerate(lines) if "(h_n, c_n) = self.lstm" in line)
    h_n = await hover(editor, row, lines[row].index("h_n"))
    assert h_n is not None and "`(..., hidden)`" in h_n
    call = await hover(editor, row, lines[row].index("self.lstm("))
    assert call is not None and "nn.LSTM(embed_dim, hidden, bidirectional=True, batch_first=True)" in call


async def test_a_path_with_a_space_is_one_buffer(client: LanguageClient, tmp_path: Path) -> None:
    """The URI is quoted (`my%20project`): the buffer is still found for lints and hovers."""
    (tmp_path / "my project").mkdir()
    editor = Editor(client, tmp_path / "my project" / "train.py")
    assert "%20" in editor.uri
    assert codes(await editor.open(_buffer(INPUT_SIZE_BUG, tmp_path))) == ["RNN001"]
    assert await hover(editor, 4, 0) is not None  # the `rnn = nn.LSTM(10, 20)` line
