"""rnnlint against torch on generated programs (tests/generate_programs.py).

Each program is run under torch in a fresh namespace, linted, and run again with its model
guarded by `rnnlint.guard` (the program's setup builds the model; the guard goes on before the
rest runs, so the linted text knows nothing of it). For every program:

- torch raises (the injected bug is an error) => the linter reports that code, error severity,
  on the bug's line (or at the call that passed the bad value in, naming that line), and
  nothing else; the guard raises RNNShapeError with that code before
  torch's forward starts. Two kinds of error sit outside what a guard on RNN calls can see,
  and there only the linter is asked: constructor arguments torch rejects while the model is
  built (RNN010), and a head sized for another feature size (RNN009, raised by nn.Linear).
- torch runs and no bug was injected => no finding, and no guard error (strict or not).
- a silent bug was injected (RNN002, RNN004, RNN007, RNN008; RNN011 warns) => torch runs, and
  the linter reports that code on the bug's line, and nothing else; the guard stays silent,
  except that strict mode raises on RNN002.
- the program is what it claims: torch raises from the line the generator says, or runs.

RNNLINT_FUZZ_COUNT=5000 runs more programs (default 400), RNNLINT_FUZZ_SEED=N starts elsewhere.
"""

from __future__ import annotations

import os
import re
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pytest

from generate_programs import CODES, IMPORT_STYLES, KINDS, STYLES, Program, generate, programs
from rnnlint.diagnostic import Diagnostic
from rnnlint.static.engine import lint_source

torch = pytest.importorskip("torch")
from rnnlint.runtime.guard import RNNShapeError, guard  # noqa: E402  (imports torch)

COUNT = int(os.environ.get("RNNLINT_FUZZ_COUNT", "400"))
START = int(os.environ.get("RNNLINT_FUZZ_SEED", "0"))
# programs on which longer runs found disagreements (fixed since): always part of the run
REGRESSIONS = (
    5448, 6481, 7296,  # an LSTM whose proj_size torch rejects: the state was then checked as if unprojected
)
PROGRAMS = programs(COUNT, START) + [generate(s) for s in REGRESSIONS if not START <= s < START + COUNT]

# bugs torch raises on where no guard on an RNN call can speak first: a Linear raises (RNN009)
GUARD_BLIND = ("RNN009",)


class Disagreement(AssertionError):
    """The linter or the guard disagrees with torch on a program the generator got right."""


# Disagreements this test found that the analyzer does not resolve yet. Each is a strict xfail
# on exactly those programs: the day the analyzer is fixed, they pass and the test says so.
KNOWN: list[tuple[Callable[[Program], bool], str]] = []


@dataclass
class Outcome:
    error: Optional[BaseException] = None
    line: Optional[int] = None  # the program's deepest line in the traceback
    in_setup: bool = False  # raised while the model was built
    caught: list[warnings.WarningMessage] = field(default_factory=list)  # warnings torch gave


def execute(program: Program, wrap: Optional[Callable[[Any], Any]] = None) -> Outcome:
    """Run the program in a fresh namespace; `wrap` replaces the model once it is built."""
    setup, rest = program.split()
    namespace: dict[str, Any] = {"__name__": "__generated__"}
    torch.manual_seed(program.seed)
    outcome = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(setup, program.filename, "exec"), namespace)
            outcome.in_setup = False
        except Exception as exc:
            outcome.error, outcome.in_setup = exc, True
        if outcome.error is None:
            if wrap is not None:
                namespace[program.model_name] = wrap(namespace[program.model_name])
            try:
                exec(compile(rest, program.filename, "exec"), namespace)
            except Exception as exc:
                outcome.error = exc
    outcome.caught = list(caught)
    if outcome.error is not None:
        rows = [f.lineno for f in traceback.extract_tb(outcome.error.__traceback__) if f.filename == program.filename]
        outcome.line = rows[-1] if rows else None
    return outcome


def describe(program: Program, findings: list[Diagnostic], ran: Optional[Outcome] = None,
             guarded: Optional[Outcome] = None) -> str:
    """Everything a reader needs to judge a disagreement: the program, the findings, torch's verdict."""
    numbered = "\n".join(f"{i:3} | {line}" for i, line in enumerate(program.source.splitlines(), start=1))
    said = "\n".join(f"  {d.row}:{d.column} {d.code} {d.severity} {d.message}" for d in findings) or "  (none)"
    text = (f"\n{program.name}: injected {program.bug or 'nothing'} ({program.variant or '-'}) "
            f"at line {program.bug_line}\n{numbered}\nrnnlint:\n{said}\n")
    if ran is not None:
        text += f"torch: {ran.error!r} at line {ran.line}\n"
    if guarded is not None:
        text += f"guarded: {guarded.error!r} at line {guarded.line}\n"
    return text


def torch_frames(error: BaseException) -> bool:
    return any(f.filename.replace("\\", "/").endswith("torch/nn/modules/rnn.py")
               for f in traceback.extract_tb(error.__traceback__))


def agree(condition: bool, message: str) -> None:
    if not condition:
        raise Disagreement(message)


def check(program: Program) -> None:
    findings = lint_source(program.source, program.filename)
    ran = execute(program)
    info = describe(program, findings, ran)

    # the program is what the generator says it is
    if program.raise_line is not None:
        assert ran.error is not None, f"generator: torch ran a program meant to raise{info}"
        assert (ran.line, ran.in_setup) == (program.raise_line, program.raises_in_setup), f"generator{info}"
    else:
        assert ran.error is None, f"generator: torch raised on a program meant to run{info}"
    if program.bug == "RNN011":
        assert any(issubclass(w.category, UserWarning) and "dropout" in str(w.message) for w in ran.caught), info

    # the linter
    if program.bug is None:
        agree(not findings, f"a finding on a clean program that torch runs{info}")
    else:
        agree({d.code for d in findings} == {program.bug}, f"expected exactly {program.bug}{info}")
        # a bad value passed into a correct model is reported at the call that passed it,
        # naming the model's line
        passed_in = re.compile(rf"^[\w-]+: in \w+(?:\.\w+)? \(line {program.bug_line}\), ")
        on_line = [d for d in findings if d.row == program.bug_line or passed_in.match(d.message)]
        agree(bool(on_line), f"{program.bug} not on line {program.bug_line}{info}")
        if program.raise_line is not None:
            agree(any(d.severity == "error" for d in on_line), f"torch raises: the finding must be an error{info}")
        else:
            agree(all(d.severity == "warning" for d in on_line), f"torch runs: the finding must be a warning{info}")

    # the guard
    guarded = execute(program, guard)
    info = describe(program, findings, ran, guarded)
    if program.raises_in_setup or program.bug in GUARD_BLIND:
        # nothing guarded has run yet (a constructor), or the error is not in an RNN call
        agree(type(guarded.error) is type(ran.error) and str(guarded.error) == str(ran.error), info)
    elif program.raise_line is not None:
        agree(isinstance(guarded.error, RNNShapeError), f"the guard let torch raise{info}")
        agree(guarded.error.code == program.bug, f"the guard said {guarded.error.code}{info}")  # type: ignore
        agree(guarded.line == ran.line and not torch_frames(guarded.error), f"not before torch's forward{info}")
    else:
        agree(guarded.error is None, f"the guard raised where torch runs{info}")
        strict = execute(program, lambda model: guard(model, strict=True))
        if program.bug == "RNN002":
            agree(isinstance(strict.error, RNNShapeError) and strict.error.code == "RNN002", info)  # type: ignore
        elif program.bug is None:
            agree(strict.error is None, f"the strict guard raised on a clean program{info}")


def _param(program: Program) -> Any:
    reasons = [reason for applies, reason in KNOWN if applies(program)]
    marks = [pytest.mark.xfail(strict=True, raises=Disagreement, reason=reasons[0])] if reasons else []
    return pytest.param(program, marks=marks, id=program.name)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("program", [_param(p) for p in PROGRAMS])
def test_linter_and_guard_agree_with_torch(program: Program) -> None:
    check(program)


def test_the_generated_programs_cover_every_code_kind_style_and_import() -> None:
    """The default set is not degenerate: each bug code, kind, style and import style is drawn,
    clean programs are a good share, and both raising and silent bugs are there."""
    sample = programs(300, 0)
    bugs = Counter(p.bug for p in sample)
    assert set(CODES) <= set(bugs), bugs
    assert bugs[None] >= 60
    assert {p.kind for p in sample} == set(KINDS)
    assert {p.style for p in sample} == set(STYLES)
    assert {p.imports for p in sample} == set(IMPORT_STYLES)
    assert sum(p.raise_line is not None for p in sample) >= 100
    assert sum(p.bug in ("RNN004", "RNN007", "RNN008") for p in sample) >= 20
    assert sum(p.raises_in_setup for p in sample) >= 5
    assert sum(p.bug == "RNN010" and not p.raises_in_setup for p in sample) >= 2  # raises at the first call


def test_the_generator_is_deterministic() -> None:
    assert [generate(s) for s in range(40)] == [generate(s) for s in range(40)]
    assert len({generate(s).source for s in range(40)}) == 40
