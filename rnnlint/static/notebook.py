"""Jupyter notebooks: the code cells, in order, as one Python program.

IPython syntax is replaced line for line (so rows keep their meaning): a line magic, a shell
escape or a help request (`%matplotlib inline`, `!pip install x`, `obj?`) becomes `pass` at its
indentation, `files = !ls` becomes `files = ...`, and a cell magic makes its cell blank unless
its body is Python run in the kernel (`%%time`). Findings are mapped back to the cell (numbered
among all cells, as the notebook shows them, like ruff) and the row inside it.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from bisect import bisect_left
from dataclasses import dataclass, field as dataclass_field, replace
from functools import cached_property
from itertools import accumulate
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

from ..diagnostic import Diagnostic, Fact

SUFFIX = ".ipynb"
# Cell magics whose body is Python run in the kernel: the body is linted, the magic line blanked.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# IPython's escapes at the start of a logical line: shell, magic, help, and the autocall forms.
_ESCAPES = ("!", "%", "?", "/", ";", ",")
_MAGIC_ASSIGN = re.compile(r"(?P<target>[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[!%]")
_NEWLINES = re.compile(r"\r\n?")


class NotebookError(ValueError):
    """The file is not a notebook rnnlint can read; `row`/`column` point into its JSON."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.row, self.column = row, column


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based position among all the notebook's cells
    source: str  # as written, with "\n" line ends
    python: tuple[str, ...]  # its rows as Python, one for one
    error: Optional[SyntaxError]  # set when the cell is not Python even after the replacements


@dataclass(frozen=True)
class Notebook:
    raw: dict[str, Any]
    # the code cells as written: number, source, rows ("\n" line ends); `cells` is read from them
    written: tuple[tuple[int, str, tuple[str, ...]], ...] = dataclass_field(repr=False)

    @cached_property
    def _ipython(self) -> dict[int, tuple[list[str], Optional[SyntaxError]]]:
        """The cells (by index) that may hold IPython syntax, each read alone: the others are
        their own Python rows whether they parse or not, so the program's text is known
        without parsing them."""
        return {i: _one_cell(list(lines)) for i, (_, source, lines) in enumerate(self.written)
                if _MAYBE_IPYTHON.search(source)}

    @cached_property
    def _parsed(self) -> tuple[tuple[Cell, ...], Optional[ast.Module]]:
        parsed, tree = _as_python([list(lines) for _, _, lines in self.written], self._ipython)
        cells = tuple(Cell(number, source, tuple(python), error)
                      for (number, source, _), (python, error) in zip(self.written, parsed))
        return cells, tree

    @property
    def cells(self) -> tuple[Cell, ...]:
        """The code cells. Parsed on first use: a notebook the prefilter turns away (from
        `program(blank_errors=False)`) is never parsed but for its IPython cells."""
        return self._parsed[0]

    @property
    def tree(self) -> Optional[ast.Module]:
        """The stdlib tree of `program()`, when every cell parses (the parse that checked them)."""
        return self._parsed[1]

    @property
    def is_python(self) -> bool:
        meta = self.raw.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        info, kernel = meta.get("language_info"), meta.get("kernelspec")
        language = (info.get("name") if isinstance(info, dict) else None) or \
            (kernel.get("language") if isinstance(kernel, dict) else None) or "python"
        return str(language).lower() == "python"

    def program(self, blank_errors: bool = True) -> str:
        """The code cells joined. A cell that does not parse is blank (the others still count)
        unless `blank_errors` is off."""
        if not blank_errors:
            return "".join("\n".join(self._ipython[i][0] if i in self._ipython else lines) + "\n"
                           for i, (_, _, lines) in enumerate(self.written))
        return "".join(
            "\n".join("" if cell.error else line for line in cell.python) + "\n"
            for cell in self.cells
        )

    def rows(self) -> list[tuple[int, int]]:
        """Row of the program (0-based index) -> (cell number, row in the cell)."""
        return [(cell.number, row) for cell in self.cells for row in range(1, len(cell.python) + 1)]

    def edited(self, edits: Sequence[tuple[int, int, int, int, str]]) -> "Notebook":
        """The notebook with text replaced at (row, column, end_row, end_column) ranges of the
        program (1-based, end exclusive), each inside one cell, on rows that are Python as
        written (so the columns are the same in the cell)."""
        rows = self.rows()
        by_cell: dict[int, list[tuple[int, int, int, int, str]]] = {}
        for row, column, end_row, end_column, text in edits:
            number, cell_row = rows[row - 1]
            shift = row - cell_row
            by_cell.setdefault(number, []).append((cell_row, column, end_row - shift, end_column, text))
        raw = json.loads(json.dumps(self.raw))  # a deep copy of plain JSON data
        for cell in self.cells:
            if cell.number not in by_cell:
                continue
            source = replace_ranges(cell.source, by_cell[cell.number])
            entry = raw["cells"][cell.number - 1]
            if isinstance(entry["source"], list):  # nbformat's usual form: one string per line, ends kept
                entry["source"] = re.findall(r"[^\n]*\n|[^\n]+$", source)
            else:
                entry["source"] = source
        return from_data(raw)


def replace_ranges(text: str, edits: Iterable[tuple[int, int, int, int, str]]) -> str:
    """Replace non-overlapping (row, column, end_row, end_column) ranges, 1-based, end exclusive."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for row, column, end_row, end_column, new in sorted(edits, reverse=True):
        start, end = starts[row - 1] + column - 1, starts[end_row - 1] + end_column - 1
        text = text[:start] + new + text[end:]
    return text


def splice_sources(text: str, sources: dict[int, str]) -> str:
    """The notebook's JSON text with the sources of some cells (by number) replaced and every
    other byte kept: indentation, key order, number spellings (`1e400` stays `1e400`) and the
    cell's line ends. Raises ValueError when the text is not a notebook's JSON."""
    spans = _source_spans(text)
    for number in sorted(sources, reverse=True):
        start, end = spans[number - 1]
        text = text[:start] + _source_json(text[start:end], sources[number]) + text[end:]
    return text


def _source_json(old: str, source: str) -> str:
    """`source` written as `old`, the JSON of the cell's source, was: a string or a list of
    lines, laid out alike, with the same line ends, escaping non-ASCII when it did."""
    before = json.loads(old)
    joined = "".join(before) if isinstance(before, list) else before
    if "\r\n" in joined:
        source = source.replace("\n", "\r\n")
    ascii_only = old.isascii() and not joined.isascii()
    if not isinstance(before, list):
        return json.dumps(source, ensure_ascii=ascii_only)
    items = [json.dumps(line, ensure_ascii=ascii_only) for line in re.findall(r"[^\n]*\n|[^\n]+$", source)]
    inner = old[1:-1]
    opening = inner[:len(inner) - len(inner.lstrip())]
    if not before or "\n" not in opening:  # `[]` or one line
        return "[" + ("," if ", " not in old else ", ").join(items) + "]"
    closing = inner[len(inner.rstrip()):]
    return "[" + opening + ("," + opening).join(items) + closing + "]"


_DECODER = json.JSONDecoder()


def _skip(text: str, at: int) -> int:
    """The index of the first character at or after `at` that is not JSON whitespace."""
    while text[at:at + 1] in (" ", "\t", "\n", "\r"):
        at += 1
    return at


def _source_spans(text: str) -> dict[int, tuple[int, int]]:
    """Where each cell's `source` value is in the text: cell index -> (start, end). As
    `json.loads` does, the last of a repeated key wins."""
    spans: dict[int, tuple[int, int]] = {}
    for key, start, _ in _members(text, _skip(text, 0)):
        if key != "cells":
            continue
        spans = {}
        for index, cell in enumerate(_elements(text, start)):
            for field, value, end in _members(text, cell):
                if field == "source":
                    spans[index] = (value, end)
    return spans


def _members(text: str, at: int) -> list[tuple[str, int, int]]:
    """(key, start, end of its value) for the object at `at`."""
    if text[at:at + 1] != "{":
        return []
    found = []
    at = _skip(text, at + 1)
    while text[at:at + 1] == '"':
        key, at = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
        at = _skip(text, at)
        if text[at:at + 1] != ":":
            raise ValueError("not an object")
        start = _skip(text, at + 1)
        _, end = _DECODER.raw_decode(text, start)
        found.append((key, start, end))
        at = _skip(text, end)
        if text[at:at + 1] == ",":
            at = _skip(text, at + 1)
    if text[at:at + 1] != "}":
        raise ValueError("not an object")
    return found


def _elements(text: str, at: int) -> list[int]:
    """Where each element of the array at `at` starts."""
    if text[at:at + 1] != "[":
        return []
    found = []
    at = _skip(text, at + 1)
    while text[at:at + 1] not in ("]", ""):
        found.append(at)
        _, end = _DECODER.raw_decode(text, at)
        at = _skip(text, end)
        if text[at:at + 1] == ",":
            at = _skip(text, at + 1)
    return found


def read(data: bytes) -> Notebook:
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise NotebookError(f"the notebook is not UTF-8 ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(f"the notebook is not valid JSON ({exc.msg})", exc.lineno, exc.colno) from None
    except RecursionError:
        raise NotebookError("the notebook's JSON is nested too deeply") from None
    return from_data(raw)


def from_data(raw: Any) -> Notebook:
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        if isinstance(version, int) and version < 4:
            raise NotebookError(f"nbformat {version} notebooks are not read; convert it with "
                                "`jupyter nbconvert --to notebook --nbformat 4`")
        raise NotebookError("not a Jupyter notebook (a JSON object with a `cells` list is expected)")
    written: list[tuple[int, str, tuple[str, ...]]] = []  # the code cells: number, source, rows as written
    for number, entry in enumerate(raw["cells"], start=1):
        if not isinstance(entry, dict):
            raise NotebookError(f"cell {number} is not a JSON object")
        if entry.get("cell_type") != "code":
            continue
        source = entry.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {number}'s source is neither a string nor a list of strings")
        try:
            source.encode("utf-8")
        except UnicodeEncodeError:  # valid JSON (`"\ud800"`), but no Python source can hold it
            raise NotebookError(f"cell {number}'s source is not valid Unicode (it holds a lone surrogate)") from None
        source = _NEWLINES.sub("\n", source)
        lines = source.split("\n")
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()  # the line end of the last line
        written.append((number, source, tuple(lines)))
    return Notebook(raw, tuple(written))


# A line that may be IPython syntax: an escape or a cell magic at its start, a help request
# (`?` before the end or a comment), `x = !ls`. A cell with no such line is its own Python rows
# (`to_python` changes none of them), parsed or not; `\s` is as wide as `str.strip`'s whitespace.
_MAYBE_IPYTHON = re.compile(r"^\s*[!%?/;,]|\?\s*(?:#|$)|=\s*[!%]", re.MULTILINE)


def _as_python(cells: list[list[str]], done: dict[int, tuple[list[str], Optional[SyntaxError]]]
               ) -> tuple[list[tuple[list[str], Optional[SyntaxError]]], Optional[ast.Module]]:
    """Each cell's rows as Python and its syntax error (`_one_cell`), and the stdlib tree of
    the program they make when it parses (`Notebook.tree`).

    One parse of the program stands for most cells' own: a cell that no top-level statement
    of the program crosses into or out of parses alone too, unless its last line (not blank)
    ends in a backslash, which the next cell would continue. Those cells, the ones that may
    hold IPython syntax (`done`, read alone already), and every cell of a program that does
    not parse are parsed alone."""
    shown = [lines if i not in done else done[i][0] if done[i][1] is None else [""] * len(done[i][0])
             for i, lines in enumerate(cells)]  # the rows `Notebook.program` will have, if the rest parse
    tree = _parse("".join("\n".join(rows) + "\n" for rows in shown))
    if not isinstance(tree, ast.Module):
        return [done[i] if i in done else _one_cell(lines) for i, lines in enumerate(cells)], None
    # a backslash at the end of a cell continues into the next one
    alone = [not next((line for line in reversed(rows) if line.strip()), "").endswith("\\") for rows in shown]
    ends = list(accumulate(len(rows) for rows in shown))  # the last row of each cell, from 1
    for stmt in tree.body:
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())])
        cell, last_cell = bisect_left(ends, first), bisect_left(ends, stmt.end_lineno or stmt.lineno)
        if last_cell > cell:  # a statement that crosses cells: none of them is read alone
            for i in range(cell, min(last_cell, len(cells) - 1) + 1):
                alone[i] = False
    parsed: list[tuple[list[str], Optional[SyntaxError]]] = []
    for i, lines in enumerate(cells):
        if i in done or alone[i]:
            parsed.append(done.get(i, (lines, None)))
            continue
        parsed.append(_one_cell(lines))
        if parsed[-1][0] is not lines:
            tree = None  # not Python as written: the program has other rows
    return parsed, tree


def _one_cell(lines: list[str]) -> tuple[list[str], Optional[SyntaxError]]:
    """The cell's rows as Python (`lines` itself when they parse) and its syntax error."""
    error = _parse_error("\n".join(lines))
    if error is None:
        return lines, None
    python = to_python(lines)
    return python, _parse_error("\n".join(python))


def _parse(source: str) -> Union[ast.Module, SyntaxError]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return compile(source, "<cell>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return SyntaxError(str(exc) or type(exc).__name__, ("<cell>", 1, 1, ""))


def _parse_error(source: str) -> Optional[SyntaxError]:
    tree = _parse(source)
    return tree if isinstance(tree, SyntaxError) else None


def to_python(lines: list[str]) -> list[str]:
    """The rows of a cell that does not parse as it is, as Python, one for one (a cell that
    parses is left alone: then no IPython syntax can start a logical line in it)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        name = lines[first][2:].split(maxsplit=1)
        if not name or name[0] not in PYTHON_CELL_MAGICS:
            return [""] * len(lines)  # %%bash, %%html, %%writefile...: not Python of this kernel
        lines = lines[:first] + [""] + lines[first + 1:]
    return _replace_escapes(lines)


def _replace_escapes(lines: list[str]) -> list[str]:
    out: list[str] = []
    depth, quote, continued, escaped = 0, None, False, False
    for line in lines:
        if escaped:  # the backslash-continued rest of an IPython line
            out.append("")
            escaped = line.endswith("\\")
            continue
        at_start = depth == 0 and quote is None and not continued
        after = _scan(line, depth, quote)
        replacement = _replacement(line, after[3]) if at_start else None
        if replacement is None:
            out.append(line)
            depth, quote, continued = after[:3]
        else:
            out.append(replacement)
            escaped = line.endswith("\\")
    return out


def _replacement(line: str, comment: Optional[int]) -> Optional[str]:
    """What a line that starts a logical line becomes, when it is IPython syntax."""
    stripped = line.lstrip()
    indent = line[:len(line) - len(stripped)]
    code = (line[:comment] if comment is not None else line).rstrip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith(_ESCAPES) or code.endswith("?"):
        return indent + "pass"
    assign = _MAGIC_ASSIGN.match(stripped)
    if assign:
        return f"{indent}{assign.group('target')} = ..."  # the command's output: a value not known
    return None


def _scan(line: str, depth: int, quote: Optional[str]) -> tuple[int, Optional[str], bool, Optional[int]]:
    """Brackets and strings after `line`: (bracket depth, open triple quote, ends with a
    backslash continuation, index of a comment)."""
    i, n, comment = 0, len(line), None
    while i < n:
        c = line[i]
        if quote is not None:
            if c == "\\":
                i += 2
            elif line.startswith(quote, i):
                i, quote = i + len(quote), None
            else:
                i += 1
            continue
        if c == "#":
            comment = i
            break
        if c in "'\"":
            quote = line[i:i + 3] if line[i:i + 3] in ('"""', "'''") else c
            i += len(quote)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        i += 1
    if quote is not None and len(quote) == 1:
        quote = None  # a one-quote string cannot span lines (without a backslash, which is rare)
    code = line if comment is None else line[:comment]
    return depth, quote, quote is None and code.endswith("\\"), comment


# ---------------------------------------------------------------------------------- linting

_LINE = re.compile(r"\b(?P<on>on )?line (?P<row>\d+)\b")
_OTHER_FILE = re.compile(r"\S+\.pyi?,? $")  # "in model.py line 4", "(model.py, line 4)": not ours


def to_cells(d: Diagnostic, rows: Sequence[tuple[int, int]]) -> Diagnostic:
    """A finding on the program, placed in its cell; `line N` in its text is rewritten too."""
    if d.cell is not None or not 1 <= d.row <= len(rows):
        return d
    cell, row = rows[d.row - 1]
    end_cell, end_row = rows[d.end_row - 1] if 1 <= d.end_row <= len(rows) else (cell, row)
    if end_cell != cell:
        end_row = row

    def relabel(text: str) -> str:
        def sub(match: re.Match[str]) -> str:
            number = int(match.group("row"))
            if _OTHER_FILE.search(text[:match.start()]) or not 1 <= number <= len(rows):
                return match.group(0)
            return ("in " if match.group("on") else "") + "cell {}, line {}".format(*rows[number - 1])
        return _LINE.sub(sub, text)

    def relabel_fact(fact: Fact) -> Fact:
        if fact.file not in (None, d.path):  # a line of an imported file
            return replace(fact, value=relabel(fact.value))
        placed = rows[fact.line - 1] if fact.line is not None and 1 <= fact.line <= len(rows) else (None, fact.line)
        return replace(fact, value=relabel(fact.value), origin=relabel(fact.origin), cell=placed[0], line=placed[1])

    return replace(d, row=row, end_row=end_row, cell=cell, message=relabel(d.message),
                   expected=relabel(d.expected), actual=relabel(d.actual), hint=relabel(d.hint),
                   explain=tuple(relabel_fact(fact) for fact in d.explain))


def program_bytes(path: Path, data: bytes) -> bytes:
    """What the prefilter should read: a notebook's program, or the file itself."""
    if path.suffix != SUFFIX:
        return data
    try:
        return read(data).program(blank_errors=False).encode("utf-8")
    except NotebookError:
        return data
