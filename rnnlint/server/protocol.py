"""The language server: diagnostics, code actions and hover over LSP (pygls), on stdio.

Each open Python buffer is linted from the editor's text, never from the file on disk, as
`rnnlint check - --stdin-filename PATH` would: with the `[tool.rnnlint]` settings of its
folder, and the classes and constants of the project files it imports (read from disk, never
imported or run). Typing is debounced: a buffer is linted once it has been still for
DEBOUNCE_S; opening and saving lint at once, and a save re-lints the other open buffers too,
since their imports may have changed. The analysis runs on a worker thread, so requests are
answered while it runs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from .. import __version__
from ..config import ConfigError, load
from ..diagnostic import Diagnostic
from ..static.fix import Edit
from ..static.runner import lint_buffer
from ..static.shapes import Record, shapes_of_source
from .actions import autofix, noqa_edit

DEBOUNCE_S = 0.3
SOURCE = "rnnlint"
_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


@dataclass(frozen=True)
class Linted:
    """The findings of one version of a buffer, with the text they were found in."""

    version: Optional[int]
    source: str
    diagnostics: tuple[Diagnostic, ...]


class RNNLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("rnnlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.linted: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.shapes: dict[str, tuple[Optional[int], list[Record]]] = {}  # per buffer, of one version

    def schedule(self, uri: str, delay: float) -> None:
        """Lint `uri` after `delay` seconds, replacing a lint of it that has not started yet."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self.pending.pop(uri, None)
        document = self.document(uri)
        if document is None or not _is_python(document.language_id, uri):
            return
        version, source = document.version, document.source
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, lint_document, source, to_fs_path(uri))
        current = self.document(uri)
        if current is None or current.version != version:
            return  # edited (or closed) meanwhile: a newer lint is on its way
        if isinstance(found, str):
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, found))
            found = ()
        self.linted[uri] = Linted(version, source, tuple(found))
        positions = self.positions(source)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=[to_lsp(d, positions) for d in found]))

    def document(self, uri: str) -> Optional[TextDocument]:
        """The open buffer at `uri` (pygls keys them unquoted), never one read from disk."""
        return self.workspace.text_documents.get(unquote(uri))

    def positions(self, source: str) -> "Positions":
        return Positions(source, self.server_capabilities.position_encoding or types.PositionEncodingKind.Utf16)

    def forget(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.linted.pop(uri, None)
        self.shapes.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _is_python(language_id: Optional[str], uri: str) -> bool:
    return language_id == "python" or uri.endswith(".py")


def lint_document(source: str, path: Optional[str]) -> "Sequence[Diagnostic] | str":
    """The findings of a buffer at `path` (None: not a file), or why there are none."""
    try:
        config = load(cwd=Path(path).parent if path else None)
    except ConfigError as exc:
        return f"rnnlint: {exc}"
    result = lint_buffer(source, path, config)
    if result.errors:
        return f"rnnlint: {'; '.join(result.errors)}"
    return result.diagnostics


# ---------------------------------------------------------------------- positions


class Positions:
    """Converts rnnlint's 1-based rows and character columns to LSP positions and back, in the
    position encoding agreed with the client (UTF-16 code units unless it chose another)."""

    def __init__(self, source: str, encoding: str) -> None:
        self.lines = source.split("\n")
        self.encoding = encoding

    def _units(self, text: str) -> int:
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(text.encode("utf-8"))
        if self.encoding == types.PositionEncodingKind.Utf32:
            return len(text)
        return len(text.encode("utf-16-le")) // 2

    def position(self, row: int, column: int) -> types.Position:
        line = self.lines[row - 1] if 1 <= row <= len(self.lines) else ""
        return types.Position(line=max(row - 1, 0), character=self._units(line[:max(column - 1, 0)]))

    def range(self, row: int, column: int, end_row: int, end_column: int) -> types.Range:
        return types.Range(start=self.position(row, column), end=self.position(end_row, end_column))

    def row_column(self, position: types.Position) -> tuple[int, int]:
        """rnnlint's (row, column) of an LSP position."""
        line = self.lines[position.line] if 0 <= position.line < len(self.lines) else ""
        column = 0
        while column < len(line) and self._units(line[:column + 1]) <= position.character:
            column += 1
        return position.line + 1, column + 1

    def edit(self, edit: Edit) -> types.TextEdit:
        return types.TextEdit(range=self.range(edit.row, edit.column, edit.end_row, edit.end_column),
                              new_text=edit.content)


def to_lsp(d: Diagnostic, positions: Positions) -> types.Diagnostic:
    rule_url = d.url
    return types.Diagnostic(
        range=positions.range(d.row, d.column, d.end_row, d.end_column),
        message=d.message,
        severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Warning),
        code=d.code,
        code_description=types.CodeDescription(href=rule_url) if rule_url else None,
        source=SOURCE,
    )


# ---------------------------------------------------------------------- features

server = RNNLintServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: RNNLintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: RNNLintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, DEBOUNCE_S)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: RNNLintServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, 0)
    for uri in ls.workspace.text_documents:
        if uri != params.text_document.uri:
            ls.schedule(uri, DEBOUNCE_S)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RNNLintServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.forget(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_action(ls: RNNLintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """For each finding in the range: its autofix (when one is provable) and a `# noqa`."""
    uri = params.text_document.uri
    linted = ls.linted.get(uri)
    document = ls.document(uri)
    if linted is None or document is None or document.version != linted.version:
        return []  # findings of an older text: their edits would land in the wrong place
    positions = ls.positions(linted.source)
    wanted = params.range
    actions = []
    for d in linted.diagnostics:
        where = to_lsp(d, positions)
        if (where.range.end.line, where.range.end.character) < (wanted.start.line, wanted.start.character) or \
                (where.range.start.line, where.range.start.character) > (wanted.end.line, wanted.end.character):
            continue
        fix = autofix(linted.source, linted.diagnostics, d)
        if fix is not None:
            actions.append(types.CodeAction(
                title=f"Fix {d.code}: {fix.title}", kind=types.CodeActionKind.QuickFix, diagnostics=[where],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={uri: [positions.edit(e) for e in fix.edits]})))
        edit = noqa_edit(linted.source, d)
        if edit is not None:
            actions.append(types.CodeAction(
                title=f"Silence {d.code} on this line (# noqa: {d.code})", kind=types.CodeActionKind.QuickFix,
                diagnostics=[where], edit=types.WorkspaceEdit(changes={uri: [positions.edit(edit)]})))
    return actions


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: RNNLintServer, params: types.HoverParams) -> Optional[types.Hover]:
    """The shapes at the cursor: of the innermost RNN module, RNN call or tensor name there."""
    document = ls.document(params.text_document.uri)
    if document is None or not _is_python(document.language_id, params.text_document.uri):
        return None
    source, path = document.source, to_fs_path(params.text_document.uri)
    positions = ls.positions(source)
    row, column = positions.row_column(params.position)
    cached = ls.shapes.get(params.text_document.uri)
    if cached is None or cached[0] != document.version:
        loop = asyncio.get_running_loop()
        cached = (document.version, await loop.run_in_executor(None, shapes_of_text, source, path))
        ls.shapes[params.text_document.uri] = cached
    records = innermost(cached[1], row, column)
    if not records:
        return None
    first = records[0]
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=hover_text(records)),
        range=positions.range(first.row, first.column, first.end_row, first.end_column))


def shapes_of_text(source: str, path: Optional[str]) -> list[Record]:
    try:
        return shapes_of_source(source, path or "-", Path(path) if path else None)
    except Exception:  # a bug in rnnlint must not take the editor's hover down with it
        return []


def innermost(records: Sequence[Record], row: int, column: int) -> list[Record]:
    """The records of the innermost node at (row, column): one per distinct reading of it."""
    here = [r for r in records if r.contains(row, column)]
    if not here:
        return []
    inner = min(here, key=lambda r: (r.end_row - r.row, r.end_column - r.column if r.end_row == r.row else 0))
    span = (inner.row, inner.column, inner.end_row, inner.end_column)
    return [r for r in here if (r.row, r.column, r.end_row, r.end_column) == span]


def hover_text(records: Sequence[Record]) -> str:
    """Markdown: the headline, then each fact with its origin (each reading of the node)."""
    blocks = []
    for record in records:
        facts = "\n".join(f"- `{f.name}` {'= ' if not f.value.startswith('(') else ''}`{f.value}`"
                          + (f" ({f.origin})" if f.origin else "") for f in record.facts)
        blocks.append(f"**rnnlint** {record.headline()}\n\n{facts}")
    return "\n\n---\n\n".join(blocks)


def serve() -> None:
    server.start_io()
