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

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..config import ConfigError, load
from ..diagnostic import Diagnostic
from ..static.fix import Edit
from ..static.runner import lint_buffer
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

    def schedule(self, uri: str, delay: float) -> None:
        """Lint `uri` after `delay` seconds, replacing a lint of it that has not started yet."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._lint_later(uri, delay))

    async def _lint_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self.pending.pop(uri, None)
        document = self.workspace.text_documents.get(uri)
        if document is None or not _is_python(document.language_id, uri):
            return
        version, source = document.version, document.source
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(None, lint_document, source, to_fs_path(uri))
        current = self.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # edited (or closed) meanwhile: a newer lint is on its way
        if isinstance(found, str):
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, found))
            found = ()
        self.linted[uri] = Linted(version, source, tuple(found))
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=[to_lsp(d, source) for d in found]))

    def forget(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.linted.pop(uri, None)
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


def utf16_column(line: str, column: int) -> int:
    """The LSP character offset (UTF-16 code units) of 0-based character `column` of `line`."""
    return len(line[:column].encode("utf-16-le")) // 2


def char_column(line: str, character: int) -> int:
    """The 0-based character column of an LSP offset in UTF-16 code units."""
    units = 0
    for index, char in enumerate(line):
        if units >= character:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)


def _position(lines: Sequence[str], row: int, column: int) -> types.Position:
    """An LSP position from rnnlint's 1-based row and column."""
    line = lines[row - 1] if 1 <= row <= len(lines) else ""
    return types.Position(line=max(row - 1, 0), character=utf16_column(line, max(column - 1, 0)))


def _range(lines: Sequence[str], row: int, column: int, end_row: int, end_column: int) -> types.Range:
    return types.Range(start=_position(lines, row, column), end=_position(lines, end_row, end_column))


def to_lsp(d: Diagnostic, source: str) -> types.Diagnostic:
    lines = source.split("\n")
    rule_url = d.url
    return types.Diagnostic(
        range=_range(lines, d.row, d.column, d.end_row, d.end_column),
        message=d.message,
        severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Warning),
        code=d.code,
        code_description=types.CodeDescription(href=rule_url) if rule_url else None,
        source=SOURCE,
    )


def _text_edit(lines: Sequence[str], edit: Edit) -> types.TextEdit:
    return types.TextEdit(range=_range(lines, edit.row, edit.column, edit.end_row, edit.end_column),
                          new_text=edit.content)


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
    document = ls.workspace.text_documents.get(uri)
    if linted is None or document is None or document.version != linted.version:
        return []  # findings of an older text: their edits would land in the wrong place
    lines = linted.source.split("\n")
    wanted = params.range
    actions = []
    for d in linted.diagnostics:
        where = to_lsp(d, linted.source)
        if (where.range.end.line, where.range.end.character) < (wanted.start.line, wanted.start.character) or \
                (where.range.start.line, where.range.start.character) > (wanted.end.line, wanted.end.character):
            continue
        fix = autofix(linted.source, linted.diagnostics, d)
        if fix is not None:
            actions.append(types.CodeAction(
                title=f"Fix {d.code}: {fix.title}", kind=types.CodeActionKind.QuickFix, diagnostics=[where],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={uri: [_text_edit(lines, e) for e in fix.edits]})))
        edit = noqa_edit(linted.source, d)
        if edit is not None:
            actions.append(types.CodeAction(
                title=f"Silence {d.code} on this line (# noqa: {d.code})", kind=types.CodeActionKind.QuickFix,
                diagnostics=[where], edit=types.WorkspaceEdit(changes={uri: [_text_edit(lines, edit)]})))
    return actions


def serve() -> None:
    server.start_io()
