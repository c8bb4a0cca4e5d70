"""pytest plugin: guard every RNN call a test suite makes.

    pytest --rnn-guard              # or, in the ini file: rnn_guard = true
    pytest --rnn-guard-strict       # also raise on RNN002; ini: rnn_guard_strict = true

For one test: the `rnn_guard` fixture (which also hands the test `rnnlint.guard` with the
configured strictness, for messages that name module paths) or `@pytest.mark.rnn_guard`
(`@pytest.mark.rnn_guard(strict=True)`). A violation fails the test with the RNNShapeError.

Off (the default), the plugin registers its options and nothing else: torch is imported only
once guarding is on; turned on where torch is missing, it is a usage error that says so.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from functools import partial
from typing import Any, Callable, Optional

import pytest

_RESTORE = pytest.StashKey[Callable[[], None]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rnnlint", "rnnlint runtime guard")
    group.addoption("--rnn-guard", action="store_true", default=False,
                    help="check every RNN/LSTM/GRU call against rnnlint's contract (RNNShapeError on a violation)")
    group.addoption("--rnn-guard-strict", action="store_true", default=False,
                    help="like --rnn-guard, and also raise on RNN002 (2-D input to a batch_first module)")
    parser.addini("rnn_guard", "guard every RNN call (like --rnn-guard)", type="bool", default=False)
    parser.addini("rnn_guard_strict", "guard strictly (like --rnn-guard-strict)", type="bool", default=False)


def _guard_classes(strict: bool) -> Callable[[], None]:
    """`patch.guard_classes`, importing torch; without torch a usage error, not a traceback."""
    try:
        from .patch import guard_classes
    except ImportError as exc:
        raise pytest.UsageError(
            f"rnnlint's RNN guard needs torch, which cannot be imported ({exc}): pip install torch") from None
    return guard_classes(strict=strict)


def _strict(config: pytest.Config) -> bool:
    return bool(config.getoption("rnn_guard_strict") or config.getini("rnn_guard_strict"))


def _session_guard(config: pytest.Config) -> bool:
    return bool(config.getoption("rnn_guard") or config.getini("rnn_guard") or _strict(config))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "rnn_guard(strict=False): guard every RNN call in this test (see rnnlint.guard)")
    if _session_guard(config):
        config.stash[_RESTORE] = _guard_classes(_strict(config))


def pytest_unconfigure(config: pytest.Config) -> None:
    restore = config.stash.get(_RESTORE, None)
    if restore is not None:
        restore()
        del config.stash[_RESTORE]


def pytest_report_header(config: pytest.Config) -> Optional[str]:
    if _session_guard(config):
        return f"rnnlint: guarding RNN calls{' (strict)' if _strict(config) else ''}"
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    marker = item.get_closest_marker("rnn_guard")
    if marker is None:
        yield
        return
    restore = _guard_classes(bool(marker.kwargs.get("strict", _strict(item.config))))
    try:
        yield
    finally:
        restore()


@pytest.fixture
def rnn_guard(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Guard every RNN call in this test; yields `rnnlint.guard` with the configured strictness."""
    strict = _strict(request.config)
    restore = _guard_classes(strict)
    from .guard import guard

    try:
        yield partial(guard, strict=strict)
    finally:
        restore()
