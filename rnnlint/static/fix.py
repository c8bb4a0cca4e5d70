"""`rnnlint check --fix`: rewrite the findings whose fix is unambiguous, and only those.

A fix is proven from the finding's fields (which RNN, what it expects, what it got) and the
source at its position, located with LibCST; the rest of the file is left byte for byte as
it was (formatting and comments included). After each round of edits the file is linted again,
until no fix is left. What each code's fix does is written in `report.docs.AUTOFIX`.
"""

from __future__ import annotations

import codecs
import difflib
import errno
import io
import os
import re
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider, ScopeProvider

from ..config import Config
from ..diagnostic import Diagnostic
from ..report import printable
from .discover import discover
from .engine import lint_source
from .parsing import decode, read_source
from .notebook import SUFFIX, NotebookError, read, replace_ranges, splice_sources
from .prefilter import source_lines

T = TypeVar("T")

FIXABLE = frozenset({"RNN006", "RNN008"})
MAX_ROUNDS = 8  # each round fixes what does not overlap; a fix never creates another one, so few are needed


@dataclass(frozen=True)
class Edit:
    """Replace the text at 1-based (row, column) .. (end_row, end_column), end exclusive."""

    row: int
    column: int
    end_row: int
    end_column: int
    content: str

    def as_tuple(self) -> tuple[int, int, int, int, str]:
        return self.row, self.column, self.end_row, self.end_column, self.content


@dataclass(frozen=True)
class Fix:
    code: str
    title: str  # what the fix does, for people
    edits: tuple[Edit, ...]


class _Source:
    """A parsed module with node positions, scopes and parents, and lookups by a finding's range."""

    def __init__(self, source: str) -> None:
        self.module = cst.parse_module(source)
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.scopes = wrapper.resolve(ScopeProvider)
        # LibCST drops the whitespace a module-level statement's line starts with (only form
        # feeds can be there) from its code and columns: the findings and the text count it
        lines = source_lines(source)
        self.shifts: dict[int, int] = {}
        for stmt in self.module.body:
            row = self.positions[stmt].start.line
            line = lines[row - 1] if row <= len(lines) else ""
            if "\f" in line[:len(line) - len(line.lstrip())]:
                self.shifts[row] = len(line) - len(line.lstrip())
        self.at: dict[tuple[int, int, int, int], list[cst.CSTNode]] = {}
        for node, where in self.positions.items():
            self.at.setdefault(self.key(where), []).append(node)
        self.parent: dict[cst.CSTNode, cst.CSTNode] = {}
        stack: list[cst.CSTNode] = [self.module]
        while stack:
            node = stack.pop()
            for child in node.children:
                self.parent[child] = node
                stack.append(child)

    def node(self, d: Diagnostic, kind: type) -> Optional[cst.CSTNode]:
        found = [n for n in self.at.get((d.row, d.column, d.end_row, d.end_column), ()) if isinstance(n, kind)]
        return found[0] if len(found) == 1 else None

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def edit(self, row: int, column: int, end_row: int, end_column: int, content: str) -> Edit:
        """An edit of the module's code, placed in the source."""
        return Edit(row, column + self.shifts.get(row, 0), end_row, end_column + self.shifts.get(end_row, 0), content)

    def key(self, where: CodeRange) -> tuple[int, int, int, int]:
        """A node's range in a Diagnostic's terms: 1-based columns, end exclusive."""
        start, end = where.start, where.end
        return (start.line, start.column + 1 + self.shifts.get(start.line, 0),
                end.line, end.column + 1 + self.shifts.get(end.line, 0))


def _replace(src: _Source, old: cst.CSTNode, new: cst.CSTNode) -> Edit:
    """The edit that turns `old` into `new`: LibCST writes the module again (parentheses and
    comments of the nodes kept where they belong), and the text that changed becomes the edit."""
    before, after = src.module.code, src.module.deep_replace(old, new).code  # type: ignore[union-attr]
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[len(before) - 1 - end] == after[len(after) - 1 - end]:
        end += 1
    return src.edit(*_row_column(before, start), *_row_column(before, len(before) - end), after[start:len(after) - end])


def _row_column(text: str, offset: int) -> tuple[int, int]:
    row = text.count("\n", 0, offset) + 1
    return row, offset - (text.rfind("\n", 0, offset) + 1) + 1


def find_fixes(source: str, diagnostics: Sequence[Diagnostic],
               wanted: Callable[[Diagnostic], bool] = lambda d: True) -> list[Fix]:
    """The provable fixes of the `wanted` findings. All of the source's findings (in its own
    coordinates) are given: one finding's fix may rest on another (RNN008 on RNN009)."""
    targets = [d for d in diagnostics if d.code in FIXABLE and d.cell is None and wanted(d)]
    if not targets:
        return []
    try:
        src = _Source(source)
    except (cst.ParserSyntaxError, RecursionError):
        return []
    fixes = []
    for d in targets:
        fix = _fix_hidden_tuple(src, d) if d.code == "RNN006" else _fix_direction_pair(src, d, diagnostics)
        if fix is not None:
            fixes.append(fix)
    return fixes


def apply_fixes(source: str, fixes: Sequence[Fix]) -> tuple[str, list[Fix]]:
    """The source with the fixes applied, each unless it overlaps one taken before it."""
    taken: list[tuple[tuple[int, int], tuple[int, int]]] = []
    applied = []
    for fix in sorted(fixes, key=lambda f: (f.edits[0].row, f.edits[0].column)):
        spans = [((e.row, e.column), (e.end_row, e.end_column)) for e in fix.edits]
        if any(start < other_end and other_start < end for start, end in spans for other_start, other_end in taken):
            continue
        taken += spans
        applied.append(fix)
    return replace_ranges(source, [e.as_tuple() for f in applied for e in f.edits]), applied


# ------------------------------------------------------------------------------------ RNN006

_SINGLE_STATE = re.compile(r"a single tensor h0? for nn\.(?:RNN|GRU|RNNCell|GRUCell)$")
_ONE_ITEM = re.compile(r"a (?P<container>tuple|list) of 1 element\(s\) is given$")


def _fix_hidden_tuple(src: _Source, d: Diagnostic) -> Optional[Fix]:
    """`rnn(x, (h0,))` -> `rnn(x, h0)` for a module that takes one tensor (never an LSTM's)."""
    call = src.node(d, cst.Call)
    one = _ONE_ITEM.match(d.actual)
    if not isinstance(call, cst.Call) or not _SINGLE_STATE.match(d.expected) or one is None:
        return None
    # the finding is about this call's callee (not a call that reached an RNN elsewhere)
    if not d.message.startswith(f"hidden-state-type: {src.code(call.func)} ("):
        return None
    positional = [a for a in call.args if a.keyword is None and not a.star]
    keyword = [a for a in call.args if a.keyword is not None and a.keyword.value == "hx"]
    hx = keyword[0] if keyword else positional[1] if len(positional) == 2 else None
    container = cst.Tuple if one.group("container") == "tuple" else cst.List
    if hx is None or not isinstance(hx.value, container) or len(hx.value.elements) != 1:
        return None
    [element] = hx.value.elements
    if isinstance(element, cst.StarredElement):
        return None
    inner, outer = src.code(element.value), src.code(hx.value)
    if "#" in outer.replace(inner, "", 1):  # a comment inside the brackets would be lost
        return None
    return Fix("RNN006", f"pass {inner} alone", (_replace(src, hx.value, element.value),))


# ------------------------------------------------------------------------------------ RNN008

_BACKWARD_ONLY = re.compile(r"h_n\[-1\] is only layer \d+'s backward direction$")  # the last layer's
_LINEAR = re.compile(r"in_features=(?P<size>\d+)\b")
_RECEIVES = re.compile(r"it receives (?:the output|one row of the final state h_n) of (?P<label>.+?) \(.*"
                       r"(?:, whose feature size is (?P<size>\d+)|, with (?P<row>\d+) features)$")


def _fix_direction_pair(src: _Source, d: Diagnostic, diagnostics: Sequence[Diagnostic]) -> Optional[Fix]:
    """`h_n[-1]` -> `torch.cat((h_n[-2], h_n[-1]), dim=-1)` when it feeds a Linear sized for both
    directions. dim=-1 is the feature axis whether h_n is batched (rows (batch, H)) or not ((H,))."""
    sub = src.node(d, cst.Subscript)
    prefix = "bidirectional-summary: "
    if not isinstance(sub, cst.Subscript) or not _BACKWARD_ONLY.match(d.actual) or not d.message.startswith(prefix):
        return None
    label = d.message[len(prefix):].split(" expects ", 1)[0]
    if not _is_last_row(sub) or not _is_pure(sub.value):
        return None
    consumer = _consumer(src, sub)
    if consumer is None or not _sized_for_both(src, consumer, label, diagnostics):
        return None
    torch = _torch_name(src, sub)
    if torch is None:
        return None
    base = src.code(sub.value)
    pair = cst.parse_expression(f"{torch}.cat(({base}[-2], {base}[-1]), dim=-1)")
    pair = pair.with_changes(lpar=sub.lpar, rpar=sub.rpar)
    return Fix("RNN008", "concatenate the last layer's forward and backward rows", (_replace(src, sub, pair),))


def _is_last_row(sub: cst.Subscript) -> bool:
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return False
    value = sub.slice[0].slice.value
    return (isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus)
            and isinstance(value.expression, cst.Integer) and value.expression.evaluated_value == 1)


def _is_pure(node: cst.BaseExpression) -> bool:
    """A name or attribute chain: evaluating it twice gives the same tensor."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def _consumer(src: _Source, sub: cst.Subscript) -> Optional[cst.Call]:
    """The call that takes the summary as its only argument: directly, or through a variable
    assigned from it once and read once."""
    parent = src.parent.get(sub)
    arg = parent if isinstance(parent, cst.Arg) else None
    if arg is None and isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            arg = _single_use(src, target)
    call = src.parent.get(arg) if arg is not None else None
    if isinstance(call, cst.Call) and len(call.args) == 1 and arg is not None and arg.keyword is None and not arg.star:
        return call
    return None


def _single_use(src: _Source, target: cst.Name) -> Optional[cst.Arg]:
    """The argument that is the only read of `target`, itself the only binding of its name in
    its scope (reads from nested scopes count too)."""
    scope = src.scopes.get(target)
    if scope is None:
        return None
    assignments = scope.assignments[target.value]
    if len(assignments) != 1:
        return None
    [assignment] = assignments
    if getattr(assignment, "node", None) is not target or len(assignment.references) != 1:
        return None
    [access] = assignment.references
    parent = src.parent.get(access.node)
    return parent if isinstance(parent, cst.Arg) else None


def _sized_for_both(src: _Source, call: cst.Call, label: str, diagnostics: Sequence[Diagnostic]) -> bool:
    """RNN009 at this call says: a Linear sized 2 * what one direction of `label` gives it."""
    where = src.key(src.positions[call])
    for d in diagnostics:
        if d.code != "RNN009" or d.cell is not None or where != (d.row, d.column, d.end_row, d.end_column):
            continue
        linear, receives = _LINEAR.match(d.expected), _RECEIVES.match(d.actual)
        if linear and receives and receives.group("label") == label and \
                int(linear.group("size")) == 2 * int(receives.group("size") or receives.group("row")):
            return True
    return False


def _torch_name(src: _Source, node: cst.CSTNode) -> Optional[str]:
    """The name bound to the torch module where `node` is, when imports of torch bind it and
    nothing else does."""
    scope = src.scopes.get(node)
    if scope is None:
        return None
    for name in ("torch", *sorted(_torch_aliases(src.module))):
        bindings = scope[name]
        if bindings and all(isinstance(b.node, cst.Import) and name in _torch_bindings(b.node) for b in bindings):
            return name
    return None


def _torch_aliases(module: cst.Module) -> set[str]:
    return {name for stmt in module.body if isinstance(stmt, cst.SimpleStatementLine)
            for small in stmt.body if isinstance(small, cst.Import) for name in _torch_bindings(small)}


def _torch_bindings(node: cst.Import) -> set[str]:
    """Names an import binds to the torch module: `import torch`, `import torch as t`, and
    `import torch.nn` (which binds `torch`)."""
    names = set()
    for alias in node.names:
        dotted = alias.name
        if alias.asname is not None:
            if isinstance(dotted, cst.Name) and dotted.value == "torch" and isinstance(alias.asname.name, cst.Name):
                names.add(alias.asname.name.value)
            continue
        while isinstance(dotted, cst.Attribute):
            dotted = dotted.value
        if isinstance(dotted, cst.Name) and dotted.value == "torch":
            names.add("torch")
    return names


# ------------------------------------------------------------------------------------ files


@dataclass
class FileFix:
    """The fixes of one file, with its text before and after (a notebook's JSON for .ipynb)."""

    path: Path
    shown: str
    before: str
    after: str
    fixes: list[Fix]
    cells: list[tuple[int, str, str]]  # a notebook's changed cells: (number, before, after)
    encoding: str  # the file's own (a PEP 263 cookie, a BOM)
    root: Optional[Path] = None  # the project: a symlink is never written through to a file outside it

    def diff(self) -> str:
        if self.path.suffix == SUFFIX:  # per changed cell, as ruff shows a notebook's
            return "".join(_unified(old.rstrip("\n") + "\n", new.rstrip("\n") + "\n",
                                    f"{printable(self.shown)}:cell {number}") for number, old, new in self.cells)
        return _unified(self.before, self.after, printable(self.shown))

    def write(self) -> None:
        """Replace the file whole: the new text goes to a new file in the same folder, flushed
        to disk, which then takes the file's name and mode. Raises OSError, the file as it was,
        when that cannot be done."""
        target = os.path.realpath(self.path)
        if self.root is not None and target != os.path.abspath(self.path) and \
                not _inside(target, os.path.realpath(self.root)):
            raise OSError(errno.EPERM, f"it leads (through a symlink) to {target}, outside the project; "
                                       "it was not written", str(self.path))
        replace_file(target, self.after.encode(self.encoding))


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # another drive
        return False


def replace_file(target: str, data: bytes) -> None:
    """Write `data` as the file `target` at once: a failed write (a full disk) leaves it as it was."""
    mode = stat.S_IMODE(os.stat(target).st_mode)
    folder, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".rnnlint-fix")  # created exclusively
    try:
        with open(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_fixes(changes: Sequence[FileFix]) -> tuple[int, list[str]]:
    """Write each file; (findings fixed, an error line for each file that could not be written)."""
    fixed, errors = 0, []
    for change in changes:
        try:
            change.write()
        except OSError as exc:
            errors.append(f"{change.shown}: cannot write the fixes ({exc.strerror or exc})")
            continue
        fixed += len(change.fixes)
    return fixed, errors


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # not str.splitlines: a form feed ends no line


def _unified(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(_LINES.findall(before), _LINES.findall(after), name, name)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def fix_file(path: Path, shown: str, wanted: Callable[[Diagnostic], bool], root: Optional[Path] = None
             ) -> Optional[FileFix]:
    """Fix one file in memory, round after round; None when there is nothing to fix."""
    try:
        data = read_source(path)
    except OSError:
        return None
    if path.suffix == SUFFIX:
        try:
            notebook = read(data)
        except NotebookError:
            return None
        if not notebook.is_python:
            return None
        fixed, fixes = _rounds(notebook, lambda n: n.program(), lambda n, edits: n.edited(edits), shown, path, wanted)
        if not fixes:
            return None
        cells = [(old.number, old.source, new.source) for old, new in zip(notebook.cells, fixed.cells)
                 if old.source != new.source]
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
        try:
            after = splice_sources(text, {number: new for number, _, new in cells})
        except (ValueError, KeyError):  # a changed cell without a `source` key, or JSON this walk does not read
            return None
        return FileFix(path, shown, text, after, fixes, cells, encoding, root)
    try:
        source = decode(data)
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)  # "utf-8-sig" keeps a BOM
    except (SyntaxError, ValueError, LookupError):
        return None
    after, fixes = _rounds(source, lambda s: s, replace_ranges, shown, path, wanted)
    return FileFix(path, shown, source, after, fixes, [], encoding, root) if fixes else None


def _rounds(state: T, program: Callable[[T], str], edit: Callable[[T, list[tuple[int, int, int, int, str]]], T],
            shown: str, real: Path, wanted: Callable[[Diagnostic], bool]) -> tuple[T, list[Fix]]:
    done: list[Fix] = []
    for _ in range(MAX_ROUNDS):
        source = program(state)
        _, applied = apply_fixes(source, find_fixes(source, lint_source(source, shown, real), wanted))
        if not applied:
            break
        state = edit(state, [e.as_tuple() for f in applied for e in f.edits])
        done += applied
    return state, done


def fix_files(paths: Sequence[str], config: Config, only: Optional[set[str]] = None) -> list[FileFix]:
    """The fixes of the selected findings in the files of `paths` (those shown as in `only`,
    when given), not written yet."""
    changes = []
    for path, shown in discover(paths, config).files:
        if only is not None and shown not in only:
            continue
        change = fix_file(path, shown, lambda d: config.enabled(d.code, Path(d.path)), config.root)
        if change is not None:
            changes.append(change)
    return changes
