"""The cache is data that cannot run code, is checked on load, and follows every change that
can change a file's findings; it never writes outside its folder nor blocks on what it finds
there."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnlint.config import Config
from rnnlint.diagnostic import Diagnostic
from rnnlint.static import cache as cache_module
from rnnlint.static import dependencies
from rnnlint.static import runner
from rnnlint.static.cache import CACHE_DIR, FILE

BUG = "import torch\nimport torch.nn as nn\nrnn = nn.LSTM(10, 20)\nout, _ = rnn(torch.randn(5, 3, 7))\n"
CLEAN = BUG.replace("randn(5, 3, 7)", "randn(5, 3, 10)")
MODEL = ("import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n"
         "        self.rnn = nn.GRU(n, 8)\n\n    def forward(self, x):\n        return self.rnn(x)\n")


def _codes(root: Path, *paths: Path, **kwargs: object) -> list[tuple[str, str]]:
    result = runner.run([str(p) for p in paths or (root,)], Config(root=root), **kwargs)  # type: ignore[arg-type]
    assert not result.errors, result.errors
    return [(Path(d.path).name, d.code) for d in result.diagnostics]


def test_the_cache_is_json_and_a_pickle_in_its_place_is_never_loaded(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BUG)
    assert _codes(tmp_path) == [("a.py", "RNN001")]
    data = json.loads((tmp_path / CACHE_DIR / FILE).read_text())
    assert set(data) == {"format", "version", "paths", "hashes", "statuses", "imports", "absent", "anchors",
                         "loose", "folders", "folder_statuses", "files", "shown", "used", "findings"}
    assert "import pickle" not in Path(cache_module.__file__).read_text()

    class Boom:  # a pickle that would create a file when loaded
        def __reduce__(self) -> tuple:
            return (os.mkdir, (str(tmp_path / "pwned"),))

    (tmp_path / CACHE_DIR / FILE).write_bytes(pickle.dumps(Boom()))
    for name in ("results-0.1.0-1.pickle", f"results-{cache_module.__version__}-1.pickle"):
        (tmp_path / CACHE_DIR / name).write_bytes(pickle.dumps(Boom()))
    assert _codes(tmp_path) == [("a.py", "RNN001")]
    assert not (tmp_path / "pwned").exists()
    assert json.loads((tmp_path / CACHE_DIR / FILE).read_text())["files"]  # rebuilt
    assert cache_module.Cache(tmp_path).entries  # and valid
    assert not list((tmp_path / CACHE_DIR).glob("*.pickle"))  # old results are removed


def _findings(d: dict, change: dict) -> dict:
    return {**d, "findings": [[{**f, **change} for f in found] for found in d["findings"]]}


@pytest.mark.parametrize("damage", [
    lambda d: [d],  # valid JSON of the wrong shape
    lambda d: {**d, "findings": [1]},
    lambda d: {**d, "format": True},
    lambda d: {**d, "paths": [1]},
    lambda d: {**d, "paths": d["paths"] + d["paths"]},  # a path twice
    lambda d: {**d, "hashes": [0]},
    lambda d: {**d, "imports": [[10**9]]},
    lambda d: {**d, "imports": d["imports"] + [[]]},  # columns of different lengths
    lambda d: {**d, "absent": [[True]]},
    lambda d: {**d, "statuses": [1]},
    lambda d: {**d, "anchors": [[0]]},  # no such folder
    lambda d: {**d, "loose": [[10**9]]},
    lambda d: {**d, "folders": [10**9], "folder_statuses": ["x"]},
    lambda d: {**d, "folder_statuses": ["x"]},
    lambda d: {**d, "files": [-1]},
    lambda d: {**d, "files": [10**9]},
    lambda d: {**d, "extra": 1},
    lambda d: {**d, "used": ["x"]},
    lambda d: {**d, "shown": []},
    lambda d: _findings(d, {"row": True}),
    lambda d: _findings(d, {"cell": "1"}),
    lambda d: {**d, "findings": [[{"path": "x"}]]},
])
def test_a_cache_of_the_wrong_shape_is_rebuilt(tmp_path: Path, damage: object) -> None:
    (tmp_path / "a.py").write_text(BUG)
    _codes(tmp_path)
    file = tmp_path / CACHE_DIR / FILE
    file.write_text(json.dumps(damage(json.loads(file.read_text()))))  # type: ignore[operator]
    assert _codes(tmp_path) == [("a.py", "RNN001")]
    assert cache_module.Cache(tmp_path).entries  # rebuilt, valid again


def test_a_cache_naming_a_module_no_file_can_have_costs_only_that_entry(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BUG)
    _codes(tmp_path)
    file = tmp_path / CACHE_DIR / FILE
    data = json.loads(file.read_text())
    assert len(data["paths"]) == len(data["hashes"]) == 1
    data.update(paths=data["paths"] + ["/no\0such"], hashes=data["hashes"] + ["x"], statuses=["", ""],
                imports=[[1], []], absent=[[], []], anchors=[[], []])
    file.write_text(json.dumps(data))
    assert _codes(tmp_path) == [("a.py", "RNN001")]


@pytest.mark.parametrize("content", [b"", b"\xff\xfe", b"[" * 100_000, b'{"format": 4', b"null"])
def test_a_cache_that_is_not_json_is_rebuilt(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "a.py").write_text(BUG)
    (tmp_path / CACHE_DIR).mkdir()
    (tmp_path / CACHE_DIR / FILE).write_bytes(content)
    assert _codes(tmp_path) == [("a.py", "RNN001")]


def test_the_validator_knows_every_field_of_a_finding() -> None:
    assert cache_module._DIAGNOSTIC_KEYS == {f.name for f in dataclasses.fields(Diagnostic)}


def test_an_edit_that_keeps_mtime_and_size_is_seen(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text(CLEAN.replace("randn(5, 3, 10)", "randn(5, 3, 17)"))
    st = a.stat()
    assert _codes(tmp_path) == [("a.py", "RNN001")]
    a.write_text(CLEAN)
    assert a.stat().st_size == st.st_size
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _codes(tmp_path) == []


def test_a_change_two_imports_away_is_seen(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "sizes.py").write_text("N = 4\n")
    (tmp_path / "model.py").write_text("from sizes import N\n" + MODEL.replace("nn.GRU(n, 8)", "nn.GRU(N, 8)"))
    (tmp_path / "train.py").write_text(
        "import torch\nfrom model import Net\n\nnet = Net(0)\nnet(torch.randn(5, 2, 4))\n")
    assert _codes(tmp_path) == []
    (tmp_path / "sizes.py").write_text("N = 6\n")
    assert ("train.py", "RNN001") in _codes(tmp_path)


def _cli_codes(root: Path) -> list[tuple[str, str]]:
    """A run in its own process, as a user's runs are (nothing remembered in between)."""
    done = subprocess.run([sys.executable, "-m", "rnnlint", "check", "--output-format", "json", "."], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    return [(Path(d["filename"]).name, d["code"]) for d in json.loads(done.stdout)]


def test_a_module_created_after_the_run_is_seen(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "other.py").write_text("import torch\nimport helpers\n")  # its entry is kept as it was
    (tmp_path / "train.py").write_text(
        "import torch\nfrom model import Net\n\nnet = Net(4)\nnet(torch.randn(5, 2, 6))\n")
    assert _cli_codes(tmp_path) == []
    before = cache_module.Cache(tmp_path).entries
    assert len(before) == 2
    (tmp_path / "model.py").write_text(MODEL)
    assert ("train.py", "RNN001") in _cli_codes(tmp_path)
    after = cache_module.Cache(tmp_path).entries
    key = next(k for k in before if k[0] == str(tmp_path / "other.py"))
    assert after[key] == before[key]


def test_stamps_are_of_the_bytes_linted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit made while the file is linted is linted by the next run."""
    a = tmp_path / "a.py"
    a.write_text(BUG)
    lint_bytes = runner.lint_bytes

    def edited_meanwhile(data: bytes, shown: str, real: Path) -> object:
        result = lint_bytes(data, shown, real)
        a.write_text(CLEAN)
        return result

    monkeypatch.setattr(runner, "lint_bytes", edited_meanwhile)
    assert _codes(tmp_path) == [("a.py", "RNN001")]
    monkeypatch.undo()
    assert _codes(tmp_path) == []


def test_a_symlinked_cache_folder_is_neither_read_nor_written(tmp_path: Path) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir()
    outside.mkdir()
    (tree / "a.py").write_text(BUG)
    (tree / CACHE_DIR).symlink_to(outside)
    assert _codes(tree) == [("a.py", "RNN001")]
    assert list(outside.iterdir()) == []


def test_a_symlinked_cache_file_or_planted_files_are_not_written_through(tmp_path: Path) -> None:
    tree, target = tmp_path / "tree", tmp_path / "target"
    (tree / CACHE_DIR).mkdir(parents=True)
    (tree / "a.py").write_text(BUG)
    target.write_text("keep")
    (tree / CACHE_DIR / FILE).symlink_to(target)
    (tree / CACHE_DIR / ".gitignore").symlink_to(target)
    assert _codes(tree) == [("a.py", "RNN001")]
    assert target.read_text() == "keep"
    assert not (tree / CACHE_DIR / FILE).is_symlink()  # replaced by the cache itself
    assert _codes(tree) == [("a.py", "RNN001")]


def test_a_fifo_at_the_cache_path_does_not_block(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BUG)
    (tmp_path / CACHE_DIR).mkdir()
    os.mkfifo(tmp_path / CACHE_DIR / FILE)
    start = time.monotonic()
    assert _codes(tmp_path) == [("a.py", "RNN001")]
    assert time.monotonic() - start < 10


def test_a_fifo_at_the_cache_folder_does_not_block(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BUG)
    os.mkfifo(tmp_path / CACHE_DIR)
    assert _codes(tmp_path) == [("a.py", "RNN001")]


def test_entries_of_deleted_or_long_unused_files_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.py", "b.py", "c.py"):
        (tmp_path / name).write_text(BUG)
    _codes(tmp_path)
    (tmp_path / "b.py").unlink()
    _codes(tmp_path)
    assert sorted(Path(shown).name for shown in _saved(tmp_path)["shown"]) == ["a.py", "c.py"]
    later = time.time() + cache_module.MAX_AGE_S + 10
    monkeypatch.setattr(cache_module.time, "time", lambda: later)
    runner.run([str(tmp_path / "c.py")], Config(root=tmp_path))  # a.py is not used in this run
    saved = _saved(tmp_path)
    assert [Path(shown).name for shown in saved["shown"]] == ["c.py"]
    assert [Path(p).name for p in saved["paths"][:len(saved["hashes"])]] == ["c.py"]  # and a.py's module
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 1)
    cache = cache_module.Cache(tmp_path)
    entry = next(iter(cache.entries.values()))
    cache.entries.update({(str(tmp_path / "c.py"), f"shown{i}"): entry for i in range(3)})
    cache.prune()
    assert len(cache.entries) == 1


def _saved(root: Path) -> dict:
    return json.loads((root / CACHE_DIR / FILE).read_text())


def test_an_entry_resting_on_a_module_described_anew_by_a_narrower_run_is_dropped(tmp_path: Path) -> None:
    """Two files import one module; a run of one of them sees the module edited: the other's
    entry rested on the old module, so the next run of it lints it again."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "sizes.py").write_text("N = 4\n")
    (tmp_path / "model.py").write_text("from sizes import N\n" + MODEL.replace("nn.GRU(n, 8)", "nn.GRU(N, 8)"))
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text("import torch\nfrom model import Net\n\nnet = Net(0)\nnet(torch.randn(5, 2, 4))\n")
    assert _codes(tmp_path) == []
    (tmp_path / "sizes.py").write_text("N = 6\n")
    assert _codes(tmp_path, tmp_path / "a.py") == [("a.py", "RNN001")]
    assert _codes(tmp_path, tmp_path / "b.py") == [("b.py", "RNN001")]


def test_a_warm_run_judges_each_module_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "sizes.py").write_text("N = 4\n")
    (tmp_path / "model.py").write_text("from sizes import N\n" + MODEL.replace("nn.GRU(n, 8)", "nn.GRU(N, 8)"))
    for i in range(5):
        (tmp_path / f"train{i}.py").write_text("import torch\nfrom model import Net\n\nNet(0)(torch.randn(5, 2, 4))\n")
    assert _codes(tmp_path) == []
    hashed: list[str] = []
    file_digest = cache_module.file_digest
    monkeypatch.setattr(cache_module, "file_digest", lambda path: hashed.append(path) or file_digest(path))
    assert _codes(tmp_path) == []
    assert sorted(Path(p).name for p in hashed) == sorted(["sizes.py", "model.py"] + [f"train{i}.py" for i in range(5)])


def test_a_warm_run_imports_neither_libcst_nor_the_analyzer(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(BUG)
    probe = ("import sys\nfrom rnnlint.cli import main\n"
             "try:\n    main(['check', sys.argv[1]])\nexcept SystemExit as e:\n    assert e.code == 1, e.code\n"
             "heavy = [m for m in sys.modules if m.startswith(('libcst', 'rnnlint.static.analysis', 'rnnlint.contract',"
             " 'rnnlint.static.engine', 'rnnlint.static.prefilter'))]\n"
             "print('heavy:', *heavy)\n")
    cold = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=tmp_path, capture_output=True, text=True)
    assert cold.returncode == 0 and "libcst" in cold.stdout.splitlines()[-1], cold.stderr  # the probe sees it
    warm = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=tmp_path, capture_output=True, text=True)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.splitlines()[-1] == "heavy:"


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file and folder looks settled (changed long enough ago for its status to be kept);
    the edits of a test still change their ctime, a whole lint run later."""
    time_ns = dependencies.time.time_ns
    monkeypatch.setattr(dependencies.time, "time_ns", lambda: time_ns() + 10 * dependencies.SETTLED_NS)


def test_a_settled_file_is_judged_by_its_status_and_an_edit_keeping_mtime_and_size_is_seen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled: None) -> None:
    a = tmp_path / "a.py"
    a.write_text(CLEAN.replace("randn(5, 3, 10)", "randn(5, 3, 17)"))
    st = a.stat()
    assert _codes(tmp_path) == [("a.py", "RNN001")]
    assert all(_saved(tmp_path)["statuses"])
    hashed: list[str] = []
    file_digest = cache_module.file_digest
    monkeypatch.setattr(cache_module, "file_digest", lambda path: hashed.append(path) or file_digest(path))
    assert _codes(tmp_path) == [("a.py", "RNN001")]
    assert hashed == []  # nothing read
    a.write_text(CLEAN)
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _codes(tmp_path) == []
    assert hashed == [str(a)]


def test_no_status_is_relied_on_where_ctime_is_the_creation_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settled: None) -> None:
    monkeypatch.setattr(dependencies, "CTIME_IS_CHANGE_TIME", False)  # Windows
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "train.py").write_text("import torch\nimport helpers\n")
    _codes(tmp_path)
    saved = _saved(tmp_path)
    assert saved["statuses"] == [""] and saved["anchors"] == [[]] and len(saved["loose"][0]) == 2


def test_a_file_changed_a_moment_ago_is_read_again(tmp_path: Path) -> None:
    """A status taken within SETTLED_NS of the file's last change could hide an edit made in
    the same timestamp tick: it is not kept, and the next run reads the file."""
    (tmp_path / "a.py").write_text(BUG)
    _codes(tmp_path)
    assert _saved(tmp_path)["statuses"] == [""]


def test_a_module_created_in_an_anchor_folder_is_seen(tmp_path: Path, settled: None) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "train.py").write_text(
        "import torch\nfrom pkg.model import Net\n\nnet = Net(4)\nnet(torch.randn(5, 2, 6))\n")
    assert _forked_codes(tmp_path) == []
    saved = _saved(tmp_path)
    assert [saved["paths"][f] for f in saved["folders"]] == [str(tmp_path)]  # pkg/ does not exist
    (tmp_path / "pkg").mkdir()
    assert _forked_codes(tmp_path) == []
    saved = _saved(tmp_path)
    assert [saved["paths"][f] for f in saved["folders"]] == [str(tmp_path / "pkg")]  # the deepest one now
    (tmp_path / "pkg" / "model.py").write_text(MODEL)
    assert _forked_codes(tmp_path) == [("train.py", "RNN001")]


def test_a_warm_run_writes_nothing_even_where_a_folder_keeps_changing(tmp_path: Path) -> None:
    """Here every folder changed a moment ago, as /tmp or a home folder keep doing: the missing
    candidates are looked for one by one, and the cache is not rewritten for it."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "train.py").write_text("import torch\nimport helpers\n")
    assert _codes(tmp_path) == []
    saved = _saved(tmp_path)
    assert saved["anchors"] == [[]] and len(saved["loose"][0]) == 2  # helpers.py, helpers/__init__.py
    before = (tmp_path / CACHE_DIR / FILE).stat()
    assert _codes(tmp_path) == []
    after = (tmp_path / CACHE_DIR / FILE).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    (tmp_path / "helpers.py").write_text("")
    assert _forked_codes(tmp_path) == []
    assert _saved(tmp_path)["loose"] == [[], []]  # helpers.py resolves now, and imports nothing


def _forked_codes(root: Path) -> list[tuple[str, str]]:
    """A run in a process of its own, as a user's runs are (the prefilter remembers the files
    it read during a process), that keeps this one's patches."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        return pool.apply(_codes, (root,))
