"""Deciding cheaply which files, and which definitions in them, can matter.

Stage 1 works on raw bytes: a file that names no RNN class or packing function, and imports
no module of the tree that does, cannot produce a finding and is never parsed. Stage 2 uses
the stdlib `ast` (several times faster than LibCST) to find the top-level classes and
functions whose code really refers to an RNN (not in a docstring or comment), directly or
through another relevant definition; the interpreter reads the others only when called.
"""

from __future__ import annotations

import ast
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import AbstractSet, Any, Optional

from ..records import record

RNN_WORDS: tuple[bytes, ...] = (b"RNN", b"LSTM", b"GRU", b"pack_padded_sequence", b"pack_sequence")
_NAMES = frozenset({"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "pack_padded_sequence",
                    "pad_packed_sequence", "pack_sequence", "pad_sequence",
                    # opacus' drop-in layers
                    "DPRNN", "DPLSTM", "DPGRU", "DPRNNCell", "DPLSTMCell", "DPGRUCell"})


# An RNN name in call position (`nn.LSTM(`), imported under an alias, bound to a name, or a
# packing call: prose that only names an RNN ("an LSTM layer") does not count.
_ACTIVE = re.compile(rb"\b(?:DP)?(?:RNN|LSTM|GRU)(?:Cell)?\s*\(|\b(?:RNN|LSTM|GRU)(?:Cell)?\s+as\s"
                     rb"|=\s*[\w.]*\b(?:RNN|LSTM|GRU)(?:Cell)?\s*$"
                     # a class chosen at run time: a registry's value, one arm of a conditional
                     rb"|:\s*[\w.]*\b(?:RNN|LSTM|GRU)(?:Cell)?\s*[,}]"
                     rb"|\b(?:RNN|LSTM|GRU)(?:Cell)?\s+if\s|\belse\s+[\w.]*\b(?:RNN|LSTM|GRU)(?:Cell)?\b"
                     rb"|\bpack_(?:padded_)?sequence\s*\(|\bpad_packed_sequence\s*\(", re.MULTILINE)
# An RNN name followed by `)` or `,` is a base class only inside `class Name(...`; elsewhere
# (`isinstance(m, (nn.LSTM, nn.GRU))`, tables of layer types, import lists) it builds nothing
_LISTED = re.compile(rb"\b(?:RNN|LSTM|GRU)(?:Cell)?\s*[),]")
_CLASS_OPEN = re.compile(rb"\bclass\s+\w+\s*\([\w.,\s\[\]=]*\Z")


def mentions_rnn(data: bytes) -> bool:
    """An RNN name in active position somewhere in the bytes. The regexes run only on short
    windows around each occurrence: most files never name an RNN, and those that do mostly
    do so in prose."""
    if b"getattr(" in data and _GETATTR_NN.search(data) is not None:
        return True
    for word in RNN_WORDS:
        start = data.find(word)
        while start != -1:
            if _ACTIVE.search(data, max(start - 40, 0), start + len(word) + 24) is not None:
                return True
            if _LISTED.match(data, start) is not None and _CLASS_OPEN.search(data, max(start - 400, 0), start):
                return True
            start = data.find(word, start + len(word))
    return False


# `getattr(nn, name)`: an nn class picked by name, maybe an RNN
_GETATTR_NN = re.compile(rb"\bgetattr\(\s*(?:torch\.)?nn\s*,")

_BUILDS_RNN = re.compile(rb"\b(?:RNN|LSTM|GRU)(?:Cell)?\(")


@lru_cache(maxsize=4096)
def _file_mentions_rnn(path: str) -> bool:
    """Whether an imported file builds or subclasses an RNN (`nn.LSTM(`, `class M(nn.GRU)`)."""
    try:
        with open(path, "rb") as f:
            data = f.read(2_000_000)
    except OSError:
        return False
    return any(word in data for word in (b"RNN", b"LSTM", b"GRU")) and _BUILDS_RNN.search(data) is not None


_IMPORT_LINE = re.compile(rb"[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import|import[ \t]+([\w.]+))")


def imported_files(data: bytes, directory: Path) -> list[Path]:
    """Files beside `directory` (or in its parent packages) that the source imports."""
    found = (_resolve(spec, str(directory)) for spec in import_specs(data))
    return [hit for hit in found if hit is not None]


def import_specs(data: bytes) -> list[str]:
    """The modules the source imports, as written (`.model`, `pkg.util`), from its import lines."""
    specs: list[str] = []
    seen_lines: set[int] = set()
    at = data.find(b"import")
    while at != -1:
        # only the line an `import` word is on is matched: a bytes search, then one anchored match
        line = data.rfind(b"\n", 0, at) + 1
        if line not in seen_lines:
            seen_lines.add(line)
            match = _IMPORT_LINE.match(data, line)
            if match is not None:
                specs.append((match.group(1) or match.group(2) or b"").decode("ascii", "replace"))
        at = data.find(b"import", at + 6)
    return specs


MAX_PARENTS = 3  # an absolute import may name a module up to three folders above the importer
# a folder that holds one of these is a project's (or an environment's) root: imports do not
# resolve above it, so linting a library never reads the stdlib or another package as its own
_ROOT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")


@lru_cache(maxsize=4096)
def import_roots(directory: str) -> tuple[str, ...]:
    """Where an absolute import from a module in `directory` may be found: the folder and its
    parents, up to MAX_PARENTS, stopping at a project root or an installed-packages folder."""
    roots = [directory]
    while len(roots) <= MAX_PARENTS and not _is_root(roots[-1]):
        parent = os.path.dirname(roots[-1])
        if parent == roots[-1]:
            break
        roots.append(parent)
    return tuple(roots)


def _is_root(directory: str) -> bool:
    if os.path.basename(directory) in ("site-packages", "dist-packages"):
        return True
    return any(os.path.exists(os.path.join(directory, marker)) for marker in _ROOT_MARKERS)


@lru_cache(maxsize=16384)
def _resolve(spec: str, directory: str) -> Optional[Path]:
    """The module file `spec` names from `directory`: the first of `import_candidates` that
    is a file, skipping the roots whose folder lists no entry of the import's first name
    (most imports are of installed packages, looked for in every root)."""
    where = _import_places(spec, directory)
    if where is None:
        return None
    roots, parts = where
    rel = os.path.join(*parts)
    for root in roots:
        if _may_hold(root, parts[0]):
            for candidate in (os.path.join(root, rel + ".py"), os.path.join(root, rel, "__init__.py")):
                if os.path.isfile(candidate):
                    return Path(candidate)
    return None


def import_candidates(spec: str, directory: str) -> tuple[str, ...]:
    """The files that would satisfy the import `spec` from a module in `directory`, in the
    order they are tried; the first that exists is the module."""
    where = _import_places(spec, directory)
    if where is None:
        return ()
    roots, parts = where
    rel = os.path.join(*parts)
    return tuple(c for root in roots for c in (os.path.join(root, rel + ".py"), os.path.join(root, rel, "__init__.py")))


def _import_places(spec: str, directory: str) -> Optional[tuple[tuple[str, ...], list[str]]]:
    """The folders an import `spec` is looked for in, and its dotted parts; None for an import
    that is never the tree's own."""
    dots = len(spec) - len(spec.lstrip("."))
    parts = [p for p in spec.lstrip(".").split(".") if p]
    if not parts or parts[0] in _NOT_LOCAL:
        return None
    if dots:
        base = directory
        for _ in range(dots - 1):
            base = os.path.dirname(base)
        return (base,), parts
    return import_roots(directory), parts


def _may_hold(folder: str, name: str) -> bool:
    """Whether `folder` may hold `name` or `name.py`: false only when its listing lacks both
    (compared case-folded, as a case-insensitive file system would find them)."""
    listed = _listing(folder)
    name = name.casefold()
    return listed is None or not name.isascii() or name in listed or name + ".py" in listed


@lru_cache(maxsize=4096)
def _listing(folder: str) -> Optional[frozenset[str]]:
    """The names in a folder, case-folded; empty for a missing folder, None when it cannot be
    listed (then every name is looked for)."""
    try:
        with os.scandir(folder) as entries:
            return frozenset(e.name.casefold() for e in entries)
    except (FileNotFoundError, NotADirectoryError):
        return frozenset()
    except OSError:
        return None


_NOT_LOCAL = frozenset({"torch", "numpy", "typing", "os", "sys", "collections", "functools", "itertools",
                        "math", "re", "abc", "dataclasses", "argparse", "logging", "warnings", "__future__"})


def may_matter(data: bytes, path: Optional[Path]) -> bool:
    """Stage 1: can this file produce a finding at all?"""
    if mentions_rnn(data):
        return True
    if path is None or b"import" not in data:
        return False
    return any(_file_mentions_rnn(str(p)) for p in imported_files(data, path.parent))


@record(frozen=True)
class Relevance:
    """Which top-level definitions (by their order among the module's top-level defs) and
    statements matter."""

    defs: frozenset[int]  # refer to an RNN, directly or through another relevant def
    kept: frozenset[int]  # relevant defs and the defs they use (bases, helpers, configs)
    any_code: bool  # some real code (not text) refers to an RNN, here or through imports
    # the other top-level statements that matter (by index in the module's body): imports, code
    # that uses an RNN, and what binds the names those use; a registry table does not
    statements: frozenset[int] = frozenset()


def relevance(tree: ast.Module, source: str, imported_names: frozenset[str] = frozenset()) -> Relevance:
    """Stage 2: the top-level defs that build, call or subclass an RNN (a name in call or base
    position: a mention as data, like a dict key, does not count), or that refer to defs that
    do (a fixpoint)."""
    uses = _Uses(tree.body, source)
    def_index = [i for i, s in enumerate(tree.body) if isinstance(s, DEFS)]  # a def's order -> its statement
    defs = [tree.body[i] for i in def_index]
    module_code = [i for i, s in enumerate(tree.body) if not isinstance(s, DEFS)]
    by_name = {d.name: def_index[i] for i, d in enumerate(defs)}
    wanted = set(imported_names) | _aliases(tree)  # names whose values are (or hold, or build) RNNs
    needed: set[str] = set()  # names the kept code reads
    relevant: set[int] = set()
    kept: set[int] = set()
    statements: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, d in enumerate(defs):
            if i not in relevant and uses.refers(def_index[i], wanted):
                relevant.add(i)
                wanted.add(d.name)
                changed = True
        defined = {defs[i].name for i in relevant}
        for i in module_code:
            if i in statements:
                continue
            if uses.refers(i, wanted, called_only=defined):
                # module-level code that uses an RNN (`out, _ = rnn(x)`, `model = Net()`,
                # `step(rnn, x)`): what it binds carries the RNN on
                wanted |= uses.binds(i)
            elif not (isinstance(tree.body[i], (ast.Import, ast.ImportFrom)) or uses.binds_any(i, needed, by_name)):
                continue  # imports always stay: they are cheap and name modules
            statements.add(i)
            needed |= uses.of(i)[1]
            changed = True
        for i, d in enumerate(defs):
            if i not in kept and (i in relevant or d.name in needed):
                kept.add(i)
                needed |= uses.of(def_index[i])[1]
                changed = True
    any_code = bool(relevant) or any(uses.refers(i, wanted) for i in module_code)
    return Relevance(frozenset(relevant), frozenset(kept), any_code, frozenset(statements))


_WORD = re.compile(r"[^\W\d]\w*")
# stands for the words of a statement that names an RNN or calls getattr: it may use any name
_ANY_NAME: frozenset[str] = frozenset({""})


class _Uses:
    """The names each top-level statement uses, from its ast. The words of its text (names,
    but also prose) come first: a statement whose text lacks every name asked about cannot use
    one, and its ast is never walked, which is most of a big module's."""

    def __init__(self, body: list[ast.stmt], source: str) -> None:
        self.body = body
        self.lines = source_lines(source)
        self.words: dict[int, frozenset[str]] = {}
        self.walked: dict[int, tuple[set[str], set[str]]] = {}
        self.bound: dict[int, set[str]] = {}
        self.changes: dict[int, set[str]] = {}
        self.modules = {(a.asname or a.name).split(".")[0] for s in body if isinstance(s, ast.Import) for a in s.names}

    def may_name(self, i: int, names: AbstractSet[str]) -> bool:
        words = self.words.get(i)
        if words is None:
            stmt = self.body[i]
            text = "\n".join(self.lines[_first_line(stmt) - 1:stmt.end_lineno or stmt.lineno])
            words = frozenset(_WORD.findall(text))
            if not words.isdisjoint(_NAMES) or "getattr" in words:  # `getattr(nn, name)(...)`
                words = _ANY_NAME
            self.words[i] = words
        return words is _ANY_NAME or not words.isdisjoint(names)

    def of(self, i: int) -> tuple[set[str], set[str]]:
        if i not in self.walked:
            self.walked[i] = _uses_in(self.body[i])
        return self.walked[i]

    def binds(self, i: int) -> set[str]:
        """What statement `i` binds or changes; not the imported modules (`torch.manual_seed(0)`
        changes no size)."""
        if i not in self.bound:
            self.bound[i] = _binds(self.body[i]) - self.modules
        return self.bound[i]

    def binds_any(self, i: int, names: set[str], defs: Optional[dict[str, int]] = None) -> bool:
        """Statement `i` assigns (or changes an attribute or item of) one of `names`, itself or
        through a def of the module it calls (`grow()` whose body does `sizes.append(10)`)."""
        if self.may_name(i, names) and not self.binds(i).isdisjoint(names):
            return True
        if not defs or not self.may_name(i, defs.keys()):
            return False
        return any(not self.effects(defs[name]).isdisjoint(names) for name in self.of(i)[0] if name in defs)

    def effects(self, i: int) -> set[str]:
        """The module names a def (statement `i`) may change when called."""
        if i not in self.changes:
            self.changes[i] = _global_effects(self.body[i]) - self.modules
        return self.changes[i]

    def refers(self, i: int, wanted: set[str], called_only: AbstractSet[str] = frozenset()) -> bool:
        """Statement `i` calls or subclasses an RNN, or names something in `wanted`; the names
        in `called_only` (defs) count only when called: a registry that lists a model builder
        among hundreds of others does not run it."""
        if not self.may_name(i, wanted):
            return False
        active, names = self.of(i)
        return bool(active & _NAMES or active & wanted or names & (wanted - called_only))


DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # what can be blanked out


def reduced_source(source: str, tree: ast.Module, kept: frozenset[int],
                   statements: Optional[frozenset[int]] = None) -> tuple[str, ast.Module, frozenset[int]]:
    """The source with the top-level defs that cannot matter blanked out, line for line, so
    LibCST parses only what the analysis reads and every position stays the same; with the
    matching ast and the defs actually kept (a def sharing a line with another statement
    stays). With `statements`, the other top-level statements not in it are blanked too."""
    parts = _LINE_END.split(source)  # lines and their ends, alternating
    lines, ends = parts[0::2], parts[1::2] + [""]
    body: list[ast.stmt] = []
    left: set[int] = set()
    index = 0
    for j, stmt in enumerate(tree.body):
        is_def = isinstance(stmt, DEFS)
        if is_def:
            i, index = index, index + 1
            wanted = i in kept
        else:
            wanted = statements is None or j in statements
        if not wanted and stmt.end_lineno is not None and not _shares_a_line(tree.body, j):
            for row in range(_first_line(stmt) - 1, min(stmt.end_lineno, len(lines))):
                lines[row] = ""
            continue
        if is_def:
            left.add(i)
        body.append(stmt)
    return "".join(a + b for a, b in zip(lines, ends)), ast.Module(body=body, type_ignores=tree.type_ignores), \
        frozenset(left)


def _shares_a_line(body: list[ast.stmt], j: int) -> bool:
    """`a = 1; b = 2`: blanking one line would take its neighbour with it."""
    stmt = body[j]
    before = body[j - 1] if j > 0 else None
    after = body[j + 1] if j + 1 < len(body) else None
    return (before is not None and before.end_lineno is not None and before.end_lineno >= _first_line(stmt)) or \
        (after is not None and stmt.end_lineno is not None and _first_line(after) <= stmt.end_lineno)


# ast numbers lines as the tokenizer does: "\r\n", "\r" and "\n" each end one (str.splitlines
# would split at more characters, str.split("\n") at fewer)
_LINE_END = re.compile(r"(\r\n|\r|\n)")


def source_lines(source: str) -> list[str]:
    """The lines of `source`, numbered as ast numbers them (from 0)."""
    return _LINE_END.split(source)[0::2]


def _first_line(stmt: ast.stmt) -> int:
    return min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])


def _aliases(tree: ast.Module) -> set[str]:
    """Module-level names bound to an RNN class: `from torch.nn import GRU as Layer`,
    `Layer = nn.GRU`; code that calls them builds an RNN."""
    found: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom):
            found.update(a.asname for a in stmt.names if a.asname and a.name in _NAMES)
        elif isinstance(stmt, ast.Assign) and (_last_name(stmt.value) in _NAMES or isinstance(
                stmt.value, (ast.Dict, ast.IfExp)) and _callee_names(stmt.value) & _NAMES):
            # `Layer = nn.GRU`, a registry `{"lstm": nn.LSTM, "gru": nn.GRU}`, `nn.LSTM if c else nn.GRU`
            found.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return found


# Fields that never hold a node that names something: strings, numbers, load/store markers,
# operators. A walk reads only the others, found once per node type (`_fields_of`).
_NOT_CHILDREN = frozenset({"ctx", "op", "ops", "id", "attr", "name", "arg", "asname", "module", "level", "kind",
                           "conversion", "type_comment", "is_async", "simple", "rest", "kwd_attrs", "tag"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields_of(kind: type) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes; none for a constant (nothing named below
    it), for `global`/`nonlocal` (names as strings) and for what is not a node (a value of
    `match None:`, a dict's missing key)."""
    if not issubclass(kind, ast.AST) or issubclass(kind, (ast.Constant, ast.Global, ast.Nonlocal)):
        fields: tuple[str, ...] = ()
    else:
        fields = tuple(f for f in kind._fields if f not in _NOT_CHILDREN)
    _CHILD_FIELDS[kind] = fields
    return fields


def _uses_in(node: ast.AST) -> tuple[set[str], set[str]]:
    """(names in call or base position, every name referred to) inside `node`. A walk by hand:
    ast.walk visits every leaf through generators, and this runs on whole classes."""
    active: set[str] = set()
    names: set[str] = set()
    stack: list[Any] = [node]
    children = _CHILD_FIELDS
    while stack:
        sub = stack.pop()
        kind = type(sub)
        if kind is ast.Name:
            names.add(sub.id)
            continue
        if kind is ast.Attribute:
            names.add(sub.attr)
            stack.append(sub.value)
            continue
        if kind is ast.Call:
            func = sub.func
            if type(func) is ast.Attribute:  # `nn.LSTM(...)`, `self.rnn(...)`: most calls
                active.add(func.attr)
            elif type(func) is ast.Name:
                active.add(func.id)
            else:
                active.update(_callee_names(func))
        elif kind is ast.ClassDef:
            active.update(_last_name(b) for b in sub.bases)
        elif kind is ast.Dict or kind is ast.IfExp:
            # an RNN class as a registry's value or a conditional's arm is one a call may build
            # (a list of classes is most often a table of layer types, which builds nothing)
            active.update(_callee_names(sub) & _NAMES)
        elif kind is ast.alias:
            if sub.asname:  # `import LSTM as L`: L is called
                active.add(sub.name.split(".")[-1])
            continue
        fields = children.get(kind)
        for name in _fields_of(kind) if fields is None else fields:
            value = getattr(sub, name)
            if type(value) is list:
                stack.extend(value)
            elif value is not None:
                stack.append(value)
    return active, names


def _nodes(node: ast.AST) -> list[ast.AST]:
    """The nodes under `node`, itself included, as `ast.walk` gives them but for the leaves
    that name nothing (constants, load/store markers, operators), in any order: a walk by
    hand, without `ast.walk`'s generators."""
    found: list[ast.AST] = []
    stack: list[Any] = [node]
    children = _CHILD_FIELDS
    while stack:
        sub = stack.pop()
        kind = type(sub)
        fields = children.get(kind)
        if fields is None:
            fields = _fields_of(kind)
        if kind is not ast.Constant and isinstance(sub, ast.AST):
            found.append(sub)
        for name in fields:
            value = getattr(sub, name)
            if type(value) is list:
                stack.extend(value)
            elif value is not None:
                stack.append(value)
    return found


def _binds(node: ast.AST) -> set[str]:
    """The names a statement binds: assignment, loop and `with` targets, walrus, nested defs,
    the object under an attribute or item it assigns (`cfg.hidden = 64` changes cfg), and the
    object whose method it calls (`sizes.append(10)` may change sizes)."""
    found: set[str] = set()
    for sub in _nodes(node):
        if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
            found.add(sub.id)
        elif isinstance(sub, (ast.Attribute, ast.Subscript)) and not isinstance(sub.ctx, ast.Load) or \
                isinstance(sub, ast.Expr) and isinstance(sub.value, ast.Call) and isinstance(sub.value.func,
                                                                                          ast.Attribute):
            # an item or attribute set, or a method called for its effect (`sizes.append(10)`)
            base: ast.AST = sub.value.func if isinstance(sub, ast.Expr) else sub  # type: ignore[attr-defined]
            while isinstance(base, (ast.Attribute, ast.Subscript, ast.Call)):
                base = base.func if isinstance(base, ast.Call) else base.value
            if isinstance(base, ast.Name):
                found.add(base.id)
        elif isinstance(sub, DEFS):
            found.add(sub.name)
    return found


def _global_effects(node: ast.AST) -> set[str]:
    """What a def changes outside itself: names it declares global or nonlocal and assigns,
    and objects it changes in place that are neither its parameters nor its own locals."""
    params: set[str] = set()
    declared: set[str] = set()
    stores: set[str] = set()
    for sub in _nodes(node):
        if isinstance(sub, ast.arg):
            params.add(sub.arg)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            declared.update(sub.names)
        elif isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
            stores.add(sub.id)
        elif isinstance(sub, DEFS):
            stores.add(sub.name)  # the def itself and those nested in it
    changed = _binds(node)
    return (changed - stores - params) | (stores & declared)


def _callee_names(func: ast.AST) -> set[str]:
    """The names a call may call: `nn.LSTM(...)`, a class chosen by a conditional or from a
    registry literal (`{"lstm": nn.LSTM}[k](...)`); `getattr(nn, name)(...)` may be any RNN."""
    if isinstance(func, ast.IfExp):
        return _callee_names(func.body) | _callee_names(func.orelse)
    if isinstance(func, ast.Subscript):
        return _callee_names(func.value)
    if isinstance(func, ast.Dict):
        return set().union(*(_callee_names(v) for v in func.values)) if func.values else set()
    if isinstance(func, (ast.List, ast.Tuple)):
        return set().union(*(_callee_names(v) for v in func.elts)) if func.elts else set()
    if isinstance(func, ast.Call) and _last_name(func.func) == "getattr" and func.args and \
            _last_name(func.args[0]) == "nn":
        return {"RNN"}
    return {_last_name(func)}


def _last_name(expr: ast.AST) -> str:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return ""


def sibling_import_names(tree: ast.Module, directory: Optional[Path]) -> frozenset[str]:
    """Names imported from files of the tree that mention an RNN: they may build one."""
    if directory is None:
        return frozenset()
    names: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module not in (None,) and not (stmt.module or "").startswith(
                "torch") or isinstance(stmt, ast.ImportFrom) and stmt.level:
            spec = "." * stmt.level + (stmt.module or "")
            files = imported_files(f"from {spec} import x".encode(), directory)
            if any(_file_mentions_rnn(str(f)) for f in files):
                names.update(a.asname or a.name for a in stmt.names if a.name != "*")
                if any(a.name == "*" for a in stmt.names):  # what `*` brings: the module's top-level names
                    names.update(name for f in files for name in _top_level_names(str(f)))
    return frozenset(names)


# a def, a class or an assignment at a line start: the names a star import may bring
_TOP_LEVEL = re.compile(rb"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)|^(\w+)[ \t]*(?::[^=\n]*)?=(?!=)", re.MULTILINE)


@lru_cache(maxsize=1024)
def _top_level_names(path: str) -> frozenset[str]:
    try:
        with open(path, "rb") as f:
            data = f.read(2_000_000)
    except OSError:
        return frozenset()
    return frozenset((m.group(1) or m.group(2)).decode("ascii", "replace") for m in _TOP_LEVEL.finditer(data))


def forget() -> None:
    """Drop what was learned of files on disk (which build an RNN, where an import resolves,
    what a folder holds, a file's top-level names): a long-lived process lints a tree that
    changes."""
    for memo in (_file_mentions_rnn, import_roots, _resolve, _listing, _top_level_names):
        memo.cache_clear()
