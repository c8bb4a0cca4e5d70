"""The `rnnlint` command: `check`, `shapes`, `server`, `rule CODE`, `rules`.

Exit codes (rules.md): 0 no findings, 1 findings, 2 usage, configuration or internal error.
Imports stay lazy so `rnnlint --version` and `rnnlint rules` do not load the analyzer, and no
command loads torch.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Optional

import click

from . import __version__, rules
from .config import ConfigError, load, parse_selectors
from .report import FORMATS


class Fatal(click.ClickException):
    """An error the user can act on: printed as `Error: ...`, exit code 2."""

    exit_code = 2


def _selectors(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[tuple[str, ...]]:
    if value is None:
        return None
    codes = [v for v in value.split(",") if v.strip()]
    if not codes and param.name == "select":  # selecting nothing is a typo, not a wish
        raise click.UsageError("--select needs at least one rule code or prefix (e.g. --select RNN001)")
    try:
        return parse_selectors(codes, f"--{param.name}")
    except ConfigError as exc:
        raise Fatal(str(exc)) from None


def _use_color(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or (hasattr(stream, "isatty") and stream.isatty())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="rnnlint", message="%(prog)s %(version)s")
def cli() -> None:
    """Find PyTorch RNN/LSTM/GRU shape bugs without running the code."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--select", callback=_selectors, metavar="CODES",
              help="Comma-separated codes or prefixes to report (replaces the config's select).")
@click.option("--ignore", callback=_selectors, metavar="CODES",
              help="Comma-separated codes or prefixes to leave out (added to the config's ignore).")
@click.option("--output-format", type=click.Choice(list(FORMATS)), default=None,
              help="How findings are printed (default: the config's output-format, else text).")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per code instead of each one.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read settings from this file instead of the nearest pyproject.toml.")
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only, without the summary line.")
@click.option("--force-exclude/--no-force-exclude", default=None,
              help="Apply the exclude globs to files named on the command line too (for pre-commit).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the .rnnlint_cache folder.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes to lint with (default: one per core, for big trees).")
@click.option("--explain", is_flag=True,
              help="With each finding, print the facts it rests on: where each size and shape came from.")
@click.option("--fix", is_flag=True,
              help="Rewrite the findings whose fix is unambiguous (RNN006, RNN008), then report the rest.")
@click.option("--diff", is_flag=True, help="Print the fixes --fix would make as a diff, and change nothing.")
@click.option("--stdin-filename", metavar="PATH", default=None,
              help="Lint standard input (`-` as the path) as if it were this file: its config, "
                   "per-file ignores and imports.")
@click.option("--fail-level", type=click.Choice(["warning", "error"]), default="warning", show_default=True,
              help="The least severe finding that makes the exit code 1 (error: warnings are shown but pass).")
def check(
    paths: tuple[str, ...],
    select: Optional[tuple[str, ...]],
    ignore: Optional[tuple[str, ...]],
    output_format: Optional[str],
    exit_zero: bool,
    statistics: bool,
    config_file: Optional[Path],
    quiet: bool,
    force_exclude: Optional[bool],
    no_cache: bool,
    jobs: Optional[int],
    explain: bool,
    fix: bool,
    diff: bool,
    stdin_filename: Optional[str],
    fail_level: str,
) -> None:
    """Lint Python files, notebooks and folders (default: the current folder); `-` reads
    standard input."""
    from .report import Options, emitter, printable
    from .static.runner import RunResult, lint_buffer, run

    stdin = "-" in paths or (stdin_filename is not None and not paths)
    if stdin and (len(paths) > 1 or fix or diff):
        raise Fatal("`-` (standard input) is linted alone, without --fix or --diff")
    # the buffer's settings are those of the folder it would be in
    at = Path(stdin_filename).absolute().parent if stdin and stdin_filename is not None else None
    try:
        config = load(config_file, cwd=at)
    except ConfigError as exc:
        raise Fatal(str(exc)) from None
    overrides: dict[str, object] = {"ignore": config.ignore + (ignore or ())}
    if select is not None:
        overrides["select"] = select
    if force_exclude is not None:
        overrides["force_exclude"] = force_exclude
    config = dataclasses.replace(config, **overrides)

    targets = paths or (".",)

    def lint() -> RunResult:
        if stdin:
            return lint_buffer(sys.stdin.buffer.read(), stdin_filename, config)
        try:
            return run(targets, config, jobs=jobs, use_cache=not no_cache, progress=not quiet)
        except KeyboardInterrupt:  # the pool's queued work is cancelled and its workers stopped
            click.echo("rnnlint: interrupted", err=True)
            sys.exit(130)

    result = lint()
    fixed = 0
    if fix or diff:
        from .static.fix import FIXABLE, fix_files, write_fixes

        changes = fix_files(targets, config, {d.path for d in result.diagnostics if d.code in FIXABLE})
        count = sum(len(c.fixes) for c in changes)
        if diff:  # like ruff: the diff alone, exit code 1 when there is something to fix
            click.echo("".join(c.diff() for c in changes), nl=False)
            click.echo(f"rnnlint: would fix {count} finding{'' if count == 1 else 's'}", err=True)
            sys.exit(1 if changes else 0)
        fixed, unwritten = write_fixes(changes)
        if fixed:
            result = lint()
        result.errors.extend(unwritten)
    for warning in result.warnings:
        click.echo(f"rnnlint: warning: {printable(warning)}", err=True)
    for error in result.errors:
        click.echo(f"rnnlint: error: {printable(error)}", err=True)
    if not result.files and not result.errors:
        click.echo("rnnlint: warning: nothing was linted: no Python file or notebook under the given paths "
                   "(or all of them skipped or excluded)", err=True)
    options = Options(color=_use_color(sys.stdout), statistics=statistics, quiet=quiet, failures=len(result.errors),
                      explain=explain, fixed=fixed, linted=len(result.files))
    emitter(output_format or config.output_format)(result.diagnostics, sys.stdout, options)
    if result.errors:
        sys.exit(2)
    failing = [d for d in result.diagnostics if fail_level == "warning" or d.severity == "error"]
    sys.exit(1 if failing and not exit_zero else 0)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How the shapes are printed.")
def shapes(paths: tuple[str, ...], output_format: str) -> None:
    """Print each RNN module and call of the files: its configuration, the input, state, output
    and h_n shapes, and where each number came from."""
    import json

    from .static.discover import discover
    from .static.shapes import shapes_of_file

    try:
        config = load()
    except ConfigError as exc:
        raise Fatal(str(exc)) from None
    found = discover(paths or (".",), config)
    records, errors = [], list(found.errors)
    for path, shown in found.files:
        result = shapes_of_file(path, shown)
        if isinstance(result, str):
            errors.append(result)
        else:
            records += [r for r in result if r.kind != "tensor"]
    for error in errors:
        click.echo(f"rnnlint: error: {error}", err=True)
    if output_format == "json":
        click.echo(json.dumps([r.to_dict() for r in records], indent=2))
    else:
        for record in records:
            click.echo("\n".join(record.lines()))
    sys.exit(2 if errors else 0)


@cli.command()
def server() -> None:
    """Run the language server (LSP on stdin/stdout) for editors: diagnostics, fixes, hover."""
    try:
        from .server.protocol import serve
    except ModuleNotFoundError as exc:
        if exc.name not in ("pygls", "lsprotocol"):
            raise
        raise Fatal(f"the language server needs {exc.name}: pip install 'rnnlint[server]'") from None
    serve()


@cli.command()
@click.argument("code")
def rule(code: str) -> None:
    """Explain one rule: what it catches, why, a bad and a fixed example."""
    from .report.ruledoc import markdown

    found = rules.get(code)
    if found is None:
        raise Fatal(f"unknown rule code {code!r}; `rnnlint rules` lists them")
    click.echo(markdown(found), nl=False)


@cli.command(name="rules")
def list_rules() -> None:
    """List every rule: code, name, severity."""
    width = max(len(r.name) for r in rules.RULES)
    for r in rules.RULES:
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity}")


def main(argv: Optional[list[str]] = None) -> None:
    """Console entry point. A bug in rnnlint exits with code 2 (not Python's 1), with the traceback.

    Run as the program (no `argv`: the command line is the process's own), it ends the process
    as soon as its output is flushed, without tearing the interpreter down: freeing each module,
    class and analysis object one by one would cost a one-file run a tenth of its time. Called
    with `argv` (a program, a test), it raises SystemExit like any click command."""
    try:
        cli.main(args=argv, prog_name="rnnlint")
    except SystemExit as done:
        if argv is None:
            _end_process(done.code)
        raise
    except Exception:  # click has already turned usage errors into SystemExit
        import traceback

        traceback.print_exc()
        click.echo("rnnlint: internal error (a bug in rnnlint; please report it with the traceback above)", err=True)
        sys.exit(2)


def _end_process(code: object) -> None:
    """Exit now with `code`, once stdout and stderr are written out. The run has already saved
    the cache and stopped its workers. Returns (leaving the exit to Python) when the code is a
    message to print, when a thread Python would wait for still runs, when a profiler or tracer
    watches the run (it writes its data at exit), or when the output cannot be flushed (a closed
    pipe, which Python reports)."""
    import threading

    if code is not None and not isinstance(code, int):
        return
    if sys.getprofile() is not None or sys.gettrace() is not None:  # cProfile, coverage: they write at exit
        return
    if any(not t.daemon and t is not threading.main_thread() for t in threading.enumerate()):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code or 0)
