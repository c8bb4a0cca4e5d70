"""`[tool.rnnlint]` in the nearest pyproject.toml: which rules run, and on which files.

Keys follow ruff's spelling so a reader of one config reads the other:

    [tool.rnnlint]
    select = ["RNN"]                  # codes or prefixes (default: every rule)
    extend-select = []                # added to select
    ignore = ["RNN011"]               # wins over select
    exclude = ["generated/"]          # globs skipped when walking folders (the built-in list
    extend-exclude = ["*_pb2.py"]     # of .git, venvs, build/, ... always applies)
    per-file-ignores = { "tests/*" = ["RNN002"] }
    force-exclude = false             # also apply excludes to files named on the command line
    output-format = "text"            # text | json | sarif | github

A list key also takes a single string as its one item (`ignore = "RNN011"`, `exclude = "tests"`).
Globs are matched like ruff's: one without a slash (a trailing one aside) against a file or
folder name (`build`, `*_pb2.py`), one with a slash inside against the path relative to the
config file's folder.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Optional

from . import rules
from .records import record
from .report import FORMATS

PYPROJECT = "pyproject.toml"


class ConfigError(Exception):
    """A configuration the user must fix; the CLI prints it and exits with code 2."""


@record(frozen=True)
class Config:
    """The settings of a run: from the nearest pyproject.toml (or --config), then the command line."""

    select: tuple[str, ...] = ("RNN",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    force_exclude: bool = False
    output_format: str = "text"
    root: Path = Path(".")  # relative globs are anchored here: the config file's folder
    source: Optional[Path] = None  # the file the settings came from, if any

    def relative(self, path: Path) -> PurePosixPath:
        """`path` relative to the root, or absolute when it lies outside it."""
        full = os.path.abspath(path)
        rel = os.path.relpath(full, os.path.abspath(self.root))
        outside = rel == os.pardir or rel.startswith(os.pardir + os.sep)
        return PurePosixPath(Path(full if outside else rel).as_posix())

    def is_excluded(self, path: Path) -> bool:
        """True when `path` itself (not its parents) matches an `exclude` glob."""
        if not self.exclude:
            return False
        rel = self.relative(path)
        return any(glob_matches(pattern, rel) for pattern in self.exclude)

    def enabled(self, code: str, path: Path) -> bool:
        """Whether findings with `code` are reported for the file at `path`."""
        if not rules.matches(code, self.select) or rules.matches(code, self.ignore):
            return False
        rel = self.relative(path)
        where = (rel, *tuple(rel.parents)[:-1])  # a file, or any folder above it, may be named
        return not any(
            rules.matches(code, codes)
            for pattern, codes in self.per_file_ignores
            if any(glob_matches(pattern, p) for p in where)
        )


def glob_matches(pattern: str, rel: PurePosixPath) -> bool:
    pattern = pattern.rstrip("/")
    if "/" not in pattern:
        return fnmatchcase(rel.name, pattern)
    pattern = pattern.removeprefix("./")
    # `**/x` also matches `x` at the top, as in gitignore and ruff.
    return fnmatchcase(str(rel), pattern) or (pattern.startswith("**/") and fnmatchcase(str(rel), pattern[3:]))


def parse_selectors(value: Any, where: str) -> tuple[str, ...]:
    """Validate rule codes or prefixes against the catalog; returns them upper-cased."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes, got {value!r}")
    selectors = tuple(v.strip().upper() for v in value)
    for selector in selectors:
        if not selector or not any(code.startswith(selector) for code in rules.BY_CODE):
            raise ConfigError(
                f"{where}: unknown rule code or prefix {selector!r} "
                f"(codes are {rules.RULES[0].code}..{rules.RULES[-1].code}; see `rnnlint rules`)"
            )
    return selectors


def _globs(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):  # one glob, as a lone code is one selector
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: expected a list of glob patterns, got {value!r}")
    return tuple(value)


def _per_file_ignores(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of glob = [codes], got {value!r}")
    return tuple((glob, parse_selectors(codes, f"{where}.{glob!r}")) for glob, codes in value.items())


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _output_format(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in FORMATS:
        raise ConfigError(f"{where}: expected one of {', '.join(FORMATS)}, got {value!r}")
    return value


# key -> (Config field, parser, whether it adds to the field instead of setting it)
_KEYS: dict[str, tuple[str, Callable[[Any, str], Any], bool]] = {
    "select": ("select", parse_selectors, False),
    "extend-select": ("select", parse_selectors, True),
    "ignore": ("ignore", parse_selectors, False),
    "exclude": ("exclude", _globs, False),
    "extend-exclude": ("exclude", _globs, True),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores, False),
    "force-exclude": ("force_exclude", _bool, False),
    "output-format": ("output_format", _output_format, False),
}


def from_table(table: dict[str, Any], source: Path) -> Config:
    """A Config from the settings table of `source`; raises ConfigError on a bad key or value."""
    fields: dict[str, Any] = {}
    extensions: dict[str, tuple] = {}
    for key, value in table.items():
        if key not in _KEYS:
            import difflib  # only for the message

            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(_KEYS)}"
            raise ConfigError(f"{source}: unknown setting {key!r}{hint}")
        name, parse, extends = _KEYS[key]
        parsed = parse(value, f"{source}: {key}")
        if extends:
            extensions[name] = parsed
        else:
            fields[name] = parsed
    defaults = Config()
    for name, extra in extensions.items():
        fields[name] = fields.get(name, getattr(defaults, name)) + extra
    return Config(root=source.parent, source=source, **fields)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: the config file is not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _settings(data: dict[str, Any], path: Path) -> Optional[dict[str, Any]]:
    """The rnnlint table of a parsed file: [tool.rnnlint], or, in a file that is not a
    pyproject.toml and has no such table, the whole file (like ruff.toml)."""
    tool = data.get("tool")
    table = tool.get("rnnlint") if isinstance(tool, dict) else None
    if table is None and path.name != PYPROJECT:
        return data
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.rnnlint] must be a table")
    return table


def find_pyproject(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml at or above `start` that has a [tool.rnnlint] table.

    Like ruff, a pyproject.toml without the table is passed over, so a sub-package's own
    pyproject.toml does not hide the project's settings.
    """
    for folder in (start, *start.parents):
        candidate = folder / PYPROJECT
        if not os.path.isfile(candidate):
            continue
        try:
            text = candidate.read_bytes()
        except OSError as exc:  # it may hold the settings: guessing without them would mislead
            raise ConfigError(f"{candidate}: cannot read the config file ({exc.strerror or exc})") from None
        if b"rnnlint" in text and _settings(_read_toml(candidate), candidate) is not None:  # cheap before parsing
            return candidate
    return None


def load(config_file: Optional[Path] = None, cwd: Optional[Path] = None) -> Config:
    """The settings of `config_file`, or of the nearest pyproject.toml, or the defaults."""
    if cwd is None:
        try:
            cwd = Path.cwd()
        except OSError as exc:  # the working folder was deleted (or cannot be reached)
            raise ConfigError(f"the current folder cannot be read ({exc.strerror or exc}); cd to the project") from None
    cwd = cwd.absolute()
    if config_file is None:
        config_file = find_pyproject(cwd)
        if config_file is None:
            return Config(root=cwd)
    elif not config_file.is_file():
        raise ConfigError(f"{config_file}: no such config file")
    config_file = config_file.absolute()
    table = _settings(_read_toml(config_file), config_file)
    return from_table(table or {}, config_file)
