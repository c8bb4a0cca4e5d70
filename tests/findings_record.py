"""The findings rnnlint gives on three bodies of code, as plain data, for
`test_findings_unchanged.py`: every fixture, the generated programs of the differential test,
and torch's own RNN files read with the prefilter open (every definition analyzed as if it
mattered), with the shapes the analysis learns there.

    python tests/findings_record.py     # rewrite tests/data/findings_record.json

Rewrite the record only in a commit that means to change findings, and say which in it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RECORD = HERE / "data" / "findings_record.json"
GENERATED = 400  # the differential test's default count, seeds 0..399
# torch files that build, call or index RNNs, relative to torch's folder
TORCH_FILES = (
    "nn/modules/rnn.py", "nn/utils/rnn.py", "ao/nn/quantized/dynamic/modules/rnn.py",
    "ao/nn/quantizable/modules/rnn.py", "ao/nn/quantized/modules/rnn.py", "nn/modules/transformer.py",
    "testing/_internal/common_modules.py", "testing/_internal/common_quantization.py",
)


def _finding(d: Any) -> str:
    chain = " | ".join(f.text() for f in d.explain)
    cell = f"[{d.cell}]" if d.cell is not None else ""
    return (f"{d.path}{cell}:{d.row}:{d.column}-{d.end_row}:{d.end_column} {d.code} {d.severity} {d.message}"
            f" || expected={d.expected} actual={d.actual} hint={d.hint} || {chain}")


def _result(result: Any) -> list[str]:
    lines = [_finding(d) for d in result.diagnostics]
    if result.stopped is not None:
        lines.append(f"stopped: {result.stopped}")
    if result.error is not None:
        lines.append(f"error: {result.error}")
    return lines


def fixtures() -> dict[str, list[str]]:
    from rnnlint.static.engine import lint_file

    folder = ROOT / "fixtures"
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".ipynb"))
    return {p.relative_to(ROOT).as_posix(): _result(lint_file(p, p.relative_to(ROOT).as_posix())) for p in files}


def generated() -> dict[str, list[str]]:
    sys.path.insert(0, str(HERE))
    from generate_programs import programs

    from rnnlint.static.engine import analyze_source

    return {str(p.seed): _result(analyze_source(p.source, p.filename)) for p in programs(GENERATED)}


def torch_files() -> dict[str, list[str]]:
    """With the prefilter open (each file's every definition is read, as the tests of real trees
    do): the findings, then what `rnnlint shapes` learns of each RNN built or called there."""
    import importlib.util

    spec = importlib.util.find_spec("torch")
    assert spec is not None and spec.origin is not None
    base = Path(spec.origin).parent
    from rnnlint.static import engine, prefilter

    def everything(tree: Any, source: str, imported: frozenset[str] = frozenset()) -> prefilter.Relevance:
        defs = frozenset(range(sum(isinstance(s, prefilter.DEFS) for s in tree.body)))
        return prefilter.Relevance(defs, defs, True, frozenset(range(len(tree.body))))

    from rnnlint.static.shapes import shapes_of_file

    saved = engine.may_matter, engine.relevance
    engine.may_matter, engine.relevance = (lambda data, real=None: True), everything
    try:
        out = {}
        for name in TORCH_FILES:
            if (base / name).exists():
                records = shapes_of_file(base / name, name)
                assert not isinstance(records, str), records
                shapes = [f"{r.headline()}: " + "; ".join(r.lines()) for r in records]
                out[name] = _result(engine.lint_file(base / name, name)) + shapes
        return out
    finally:
        engine.may_matter, engine.relevance = saved


def torch_version() -> str:
    from importlib.metadata import version

    return version("torch")


def record() -> dict[str, Any]:
    return {"torch": torch_version(), "fixtures": fixtures(), "generated": generated(), "torch_files": torch_files()}


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    RECORD.write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {RECORD.relative_to(ROOT)}")
