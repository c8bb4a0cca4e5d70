"""Generate docs/rules/ from the catalog: one page per rule and an index.

    python -m rnnlint.report.docs            # write docs/rules/ of this checkout
    python -m rnnlint.report.docs --check    # exit 1, naming the files, when they are stale

The pages are what `rnnlint rule CODE` prints, plus what `--fix` does for the rule; the `url` of
each finding in JSON and SARIF points at its page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

from .. import rules
from .ruledoc import markdown

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "rules"
_NOTE = "<!-- generated from rnnlint/rules.py by `python -m rnnlint.report.docs`; do not edit -->\n"
# what `rnnlint check --fix` does, by code (kept beside the catalog's text, checked by tests/test_fix.py)
AUTOFIX = {
    "RNN006": "`rnnlint check --fix` unwraps a one-element tuple or list given to an RNN, GRU, RNNCell or "
              "GRUCell (`rnn(x, (h0,))` becomes `rnn(x, h0)`). A single tensor given to an LSTM is left "
              "alone: which tensor is meant as the cell state is a choice only you can make.",
    "RNN008": "`rnnlint check --fix` replaces `h_n[-1]` with `torch.cat((h_n[-2], h_n[-1]), dim=-1)` when "
              "the summary goes, directly or through one variable used once, into an `nn.Linear` whose "
              "`in_features` is twice the size of one direction (RNN009 on the same layer proves it was "
              "sized for both directions). Other summaries are left alone: `out[:, -1]` and a Linear sized "
              "for one direction need a decision about the model.",
}


def page(rule: rules.Rule) -> str:
    fix = AUTOFIX.get(rule.code, "None: rnnlint reports the finding; the fix above is yours to make.")
    return f"{_NOTE}\n{markdown(rule)}\n## Autofix\n{fix}\n"


def index() -> str:
    rows = "".join(
        f"| [{r.code}]({r.code}.md) | {r.name} | {r.severity} | {r.summary.replace('|', '/')} |\n" for r in rules.RULES
    )
    return (
        f"{_NOTE}\n# rnnlint rules\n\n"
        "Codes are stable: a code never changes meaning. `rnnlint rule CODE` prints a page in the terminal.\n\n"
        "| code | name | severity | what it finds |\n|---|---|---|---|\n" + rows
    )


def pages() -> dict[str, str]:
    """File name -> content, for the whole folder."""
    return {"README.md": index(), **{f"{r.code}.md": page(r) for r in rules.RULES}}


def stale(folder: Path = FOLDER) -> list[str]:
    """The files that differ from what the catalog generates, and pages of codes it lacks."""
    wanted = pages()
    present = {p.name for p in folder.glob("RNN[0-9][0-9][0-9].md")} if folder.is_dir() else set()
    differ = [name for name, text in wanted.items()
              if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]
    return sorted(differ + sorted(present - set(wanted)))


def write(folder: Path = FOLDER) -> list[str]:
    """Bring the folder up to date; returns the files written or removed."""
    changed = stale(folder)
    folder.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for name in changed:
        if name in wanted:
            (folder / name).write_text(wanted[name], encoding="utf-8")
        else:
            (folder / name).unlink()
    return changed


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnlint.report.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the pages are stale")
    parser.add_argument("--folder", type=Path, default=FOLDER, help="where the pages go (default: docs/rules)")
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.folder)
        for name in names:
            print(f"stale: {args.folder / name}")
        if names:
            print("run `python -m rnnlint.report.docs` to regenerate the rule pages", file=sys.stderr)
        return 1 if names else 0
    for name in write(args.folder):
        print(f"wrote {args.folder / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
