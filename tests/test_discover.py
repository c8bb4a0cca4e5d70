"""Which files a run reads: folders walked, tool and environment folders skipped, excludes."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from rnnlint.config import Config
from rnnlint.static.discover import discover


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = [
        "pkg/a.py", "pkg/b.py", "pkg/notes.txt", "pkg/sub/c.py", "pkg/gen/out_pb2.py",
        ".git/hooks/x.py", ".venv/lib/v.py", "env/lib/w.py", "build/lib/b.py", "dist/d.py",
        "pkg/__pycache__/a.py", "node_modules/n.py", ".tox/t.py", "x.egg-info/e.py",
        ".rnnlint_cache/r.py", "folder.py/inside.py",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "env/pyvenv.cfg").write_text("home = /usr/bin\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def shown(paths: list[str], config: Config) -> list[str]:
    found = discover(paths, config)
    assert found.errors == []
    return [name for _, name in found.files]


def test_walk_skips_tool_and_environment_folders(tree: Path) -> None:
    assert shown(["."], Config(root=tree)) == [
        "folder.py/inside.py", "pkg/a.py", "pkg/b.py", "pkg/gen/out_pb2.py", "pkg/sub/c.py",
    ]


def test_sorted_and_each_file_once(tree: Path) -> None:
    assert shown(["pkg/b.py", "pkg", "./pkg/a.py"], Config(root=tree)) == [
        "pkg/a.py", "pkg/b.py", "pkg/gen/out_pb2.py", "pkg/sub/c.py",
    ]


def test_exclude_globs_match_names_and_relative_paths(tree: Path) -> None:
    config = Config(root=tree, exclude=("*_pb2.py", "pkg/sub/", "folder.py"))
    assert shown(["."], config) == ["pkg/a.py", "pkg/b.py"]
    assert shown(["."], Config(root=tree, exclude=("**/gen",))) == [
        "folder.py/inside.py", "pkg/a.py", "pkg/b.py", "pkg/sub/c.py",
    ]


def test_named_files_are_linted_even_when_excluded_unless_forced(tree: Path) -> None:
    config = Config(root=tree, exclude=("pkg/sub",))
    named = ["pkg/sub/c.py", "build/lib/b.py", ".venv/lib/v.py", "pkg/a.py"]
    assert shown(named, config) == [".venv/lib/v.py", "build/lib/b.py", "pkg/a.py", "pkg/sub/c.py"]
    assert shown(named, replace(config, force_exclude=True)) == ["pkg/a.py"]


def test_force_exclude_never_skips_the_project_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "build"  # a checkout that happens to live in a folder named build
    (root / "m.py").parent.mkdir()
    (root / "m.py").write_text("x = 1\n")
    monkeypatch.chdir(root)
    assert shown([".", "m.py"], Config(root=root, force_exclude=True)) == ["m.py"]


def test_missing_path_is_reported(tree: Path) -> None:
    found = discover(["nope", "pkg/a.py"], Config(root=tree))
    assert found.errors == ["nope: no such file or directory"]
    assert [name for _, name in found.files] == ["pkg/a.py"]


def test_broken_symlink_is_kept_for_the_engine_to_report(tree: Path) -> None:
    os.symlink(tree / "missing.py", tree / "pkg/dangling.py")
    assert "pkg/dangling.py" in shown(["pkg"], Config(root=tree))
    assert shown(["pkg/dangling.py"], Config(root=tree)) == ["pkg/dangling.py"]


def test_symlinked_folders_are_not_followed(tree: Path) -> None:
    os.symlink(tree / "pkg", tree / "loop", target_is_directory=True)
    os.symlink(tree / "pkg", tree / "pkg/sub/back", target_is_directory=True)
    assert shown(["."], Config(root=tree)).count("pkg/a.py") == 1
    assert not any(name.startswith("loop/") for name in shown(["."], Config(root=tree)))


def test_notebooks_are_found_by_name_and_in_folders(tree: Path) -> None:
    for name in ("nb.ipynb", "pkg/sub/train.ipynb", "pkg/.ipynb_checkpoints/train-checkpoint.ipynb"):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("{}")
    assert shown(["nb.ipynb"], Config(root=tree)) == ["nb.ipynb"]
    assert shown(["pkg"], Config(root=tree)) == [
        "pkg/a.py", "pkg/b.py", "pkg/gen/out_pb2.py", "pkg/sub/c.py", "pkg/sub/train.ipynb",
    ]


def _deep_folder(root: Path, depth: int = 20) -> str:
    """A chain of folders whose full path is longer than the system allows (PATH_MAX)."""
    name = "d" * 250
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    return os.path.join(str(root), *[name] * depth)


def test_a_path_too_long_is_one_error_and_the_rest_is_linted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    _deep_folder(tmp_path)
    found = discover(["."], Config(root=tmp_path))
    assert [shown for _, shown in found.files] == ["a.py"]
    assert len(found.errors) == 1 and "too long" in found.errors[0]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root enters any folder")
def test_a_folder_that_cannot_be_entered_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "pgdata").mkdir()
    (tmp_path / "pgdata" / "b.py").write_text("x = 1\n")
    (tmp_path / "pgdata").chmod(0)
    try:
        found = discover(["."], Config(root=tmp_path))
        inside = discover(["pgdata/b.py"], Config(root=tmp_path))
    finally:
        (tmp_path / "pgdata").chmod(0o755)
    assert [shown for _, shown in found.files] == ["a.py"]
    assert found.errors == ["pgdata: Permission denied"]
    assert inside.errors == ["pgdata/b.py: permission denied"]


def test_a_named_path_that_cannot_be_reached_says_why(tree: Path) -> None:
    found = discover(["pkg/a.py/x.py", "x" * 5000], Config(root=tree))
    assert found.errors == ["pkg/a.py/x.py: not a directory", f"{'x' * 5000}: file name too long"]
