"""LibCST's parse as rnnlint runs it (`parse_cst`): the same tree as `libcst.parse_module`,
with the collector and node validation paused for that call only, and for its thread only."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import libcst
import pytest
from libcst._nodes.base import CSTNode

from rnnlint.static import parsing
from rnnlint.static.parsing import parse_cst

ROOT = Path(__file__).resolve().parents[1]
HOOK = CSTNode.__dict__["__post_init__"]  # LibCST's own, before any parse
SOURCES = sorted(ROOT.joinpath("fixtures").rglob("*.py")) + sorted(ROOT.joinpath("rnnlint", "static").glob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_the_tree_is_the_one_libcst_builds(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = parse_cst(source)
    assert tree.deep_equals(libcst.parse_module(source))
    assert tree.code == source


def test_a_syntax_error_is_libcsts() -> None:
    with pytest.raises(libcst.ParserSyntaxError):
        parse_cst("def f(:\n    pass\n")


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        parse_cst("x = 1\n")
        assert gc.isenabled() is enabled
        with pytest.raises(libcst.ParserSyntaxError):
            parse_cst("x = (\n")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_nodes_built_by_hand_are_validated_again_after_a_parse() -> None:
    assert parsing._validating_base() is CSTNode  # this LibCST's validation can be skipped
    parse_cst("x = 1\n")
    with pytest.raises(libcst.CSTValidationError):
        libcst.Name("")
    assert CSTNode.__dict__["__post_init__"] is HOOK


def test_validation_is_skipped_only_in_the_parsing_thread() -> None:
    raised: list[bool] = []

    def build() -> None:
        try:
            libcst.Name("")
            raised.append(False)
        except libcst.CSTValidationError:
            raised.append(True)

    def build_while_skipping() -> None:
        with parsing._unvalidated():  # another thread skips already: this one validates
            build()

    with parsing._unvalidated():
        libcst.Name("")  # not checked here
        for target in (build, build_while_skipping):
            other = threading.Thread(target=target)
            other.start()
            other.join()
    assert raised == [True, True]
    with pytest.raises(libcst.CSTValidationError):
        libcst.Name("")


def test_other_libcst_internals_leave_validation_on(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    def counts(self: CSTNode) -> None:  # a hook that does more than validate
        built.append(type(self).__name__)
        self._validate()

    monkeypatch.setattr(CSTNode, "__post_init__", counts)
    parsing._validating_base.cache_clear()
    try:
        assert parsing._validating_base() is None
        with parsing._unvalidated(), pytest.raises(libcst.CSTValidationError):
            libcst.Name("")
        assert parse_cst("x = 1\n").code == "x = 1\n"
        assert "Integer" in built  # the hook ran for the parsed nodes
    finally:
        parsing._validating_base.cache_clear()


def test_the_collector_waits_until_the_file_is_analyzed(monkeypatch: pytest.MonkeyPatch) -> None:
    from rnnlint.static import engine, interpreter

    seen: list[bool] = []
    analyze = interpreter.analyze_module

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return analyze(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(interpreter, "analyze_module", watched)
    source = "import torch\nimport torch.nn as nn\nrnn = nn.LSTM(4, 8)\nrnn(torch.randn(5, 2, 3))\n"
    assert gc.isenabled()
    assert [d.code for d in engine.lint_source(source, "m.py")] == ["RNN001"]
    assert seen == [False] and gc.isenabled()
    with pytest.raises(KeyError):  # a bug in the analysis leaves the collector on too
        engine.lint_source(source, "m.py", observer=_Broken())  # type: ignore[arg-type]
    assert gc.isenabled()


class _Broken:
    def __getattr__(self, name: str) -> object:
        raise KeyError(name)
