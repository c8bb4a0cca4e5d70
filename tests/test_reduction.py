"""What the prefilter leaves out before parsing never changes a finding: every fixture, and
generated programs of every style, give the same findings with the unneeded definitions and
statements blanked as with the whole file parsed; and what is left out is really left out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from generate_programs import programs
from rnnlint.static import engine, prefilter

ROOT = Path(__file__).resolve().parent.parent


def _keep_all(tree: ast.Module, source: str, imported: frozenset[str] = frozenset()) -> prefilter.Relevance:
    """The real verdict on which defs are worth reading on their own, with nothing blanked."""
    found = prefilter.relevance(tree, source, imported)
    defs = frozenset(range(sum(isinstance(s, prefilter.DEFS) for s in tree.body)))
    return prefilter.Relevance(found.defs, defs, found.any_code, frozenset(range(len(tree.body))))


def _both(source: str, path: str, real: Path | None = None) -> tuple[list[tuple], list[tuple]]:
    reduced = engine.lint_source(source, path, real)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "relevance", _keep_all)
        whole = engine.lint_source(source, path, real)
    return [(d.row, d.column, d.code, d.message) for d in reduced], [(d.row, d.column, d.code, d.message) for d in whole]


@pytest.mark.parametrize("path", sorted(ROOT.joinpath("fixtures").rglob("*.py")), ids=lambda p: p.name)
def test_fixtures_find_the_same_when_reduced(path: Path) -> None:
    reduced, whole = _both(path.read_text(encoding="utf-8"), str(path), path)
    assert reduced == whole


def test_generated_programs_find_the_same_when_reduced() -> None:
    for program in programs(300, 7_000):
        reduced, whole = _both(program.source, "program.py")
        assert reduced == whole, program.source


REGISTRY = '''import torch
import torch.nn as nn

BASE = 16
HIDDEN = 2 * BASE
UNUSED = 7


def build_rnn():
    return nn.GRU(8, HIDDEN)


def unrelated(x):
    return x * 2


LAYERS = [
    ("gru", build_rnn),
    ("double", unrelated),
]
LAYERS.append(("triple", unrelated))
torch.manual_seed(0)
cfg = {"features": 8}
cfg["features"] = 9
rnn = build_rnn()
x = torch.randn(5, 3, cfg["features"])
out, h = rnn(x)
head = nn.Linear(HIDDEN, 2)
print(head(out[:, -1]))
'''


def test_a_registry_and_unused_code_are_left_out() -> None:
    tree = ast.parse(REGISTRY)
    found = prefilter.relevance(tree, REGISTRY)
    reduced, _, _ = prefilter.reduced_source(REGISTRY, tree, found.kept, found.statements)
    left = [line for line in reduced.splitlines() if line.strip()]
    for dropped in ("UNUSED = 7", "def unrelated(x):", "LAYERS = [", 'LAYERS.append(("triple", unrelated))',
                    "torch.manual_seed(0)"):
        assert dropped not in left, dropped
    for kept in ("BASE = 16", "HIDDEN = 2 * BASE", "def build_rnn():", 'cfg = {"features": 8}',
                 'cfg["features"] = 9', "out, h = rnn(x)", "print(head(out[:, -1]))"):
        assert kept in left, kept
    codes = [(d.row, d.code) for d in engine.lint_source(REGISTRY, "registry.py")]
    assert codes == [(27, "RNN001"), (29, "RNN007")]  # features 9, not 8; out[:, -1] of a time-first output


def test_an_import_resolves_to_the_first_candidate_that_is_a_file(tmp_path: Path) -> None:
    """The lookup skips the folders whose listing lacks the import's first name, and finds
    what trying every candidate in turn finds: packages, modules, relative imports, a folder
    named like a module, a linked module, names that are nowhere."""
    (tmp_path / "setup.py").write_text("")
    project = tmp_path / "src" / "app"
    (project / "models").mkdir(parents=True)
    (project / "models" / "__init__.py").write_text("")
    (project / "models" / "rnn.py").write_text("")
    (project / "util.py").write_text("")
    (tmp_path / "src" / "shared.py").write_text("")
    (tmp_path / "src" / "data").mkdir()  # a folder, without __init__.py
    (tmp_path / "src" / "linked.py").symlink_to(project / "util.py")
    specs = ["models", "models.rnn", "models.gru", "util", "shared", "data", "linked", "numpy", "os.path",
             ".util", "..shared", ".models.rnn", "...setup", "app.util", "src.shared", "nowhere", "Util", "."]
    for directory in (project, project / "models", tmp_path / "src" / "data", tmp_path / "missing"):
        for spec in specs:
            candidates = prefilter.import_candidates(spec, str(directory))
            tried = next((Path(c) for c in candidates if Path(c).is_file()), None)
            assert prefilter._resolve(spec, str(directory)) == tried, (spec, directory)
    assert prefilter._resolve("models.rnn", str(project)) == project / "models" / "rnn.py"
    assert prefilter._resolve("linked", str(project)) == tmp_path / "src" / "linked.py"
