"""What rnnlint.guard adds to each RNN call, next to the alternatives (not a test).

    pip install -e ".[bench]" && python bench/guard_overhead.py [--rounds 41]

Per forward call (CPU, under torch.no_grad()), for a tiny LSTM (batch 1, seq 1, input and
hidden 8) and a typical one (batch 32, seq 100, input 64, hidden 256):

- rnnlint.guard, called with x and with (x, (h0, c0));
- the two ways to intercept a call, each doing nothing: a forward pre-hook (with kwargs) and
  an instance `forward` wrapper (what rnnlint.guard uses);
- jaxtyping + beartype checking the same call through an annotated wrapper.

Variants run interleaved, round after round; each figure is the median over rounds of the
time a variant adds to the plain call measured in the same round, so drift cancels out.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable, Optional

import torch
from torch import Tensor, nn

import rnnlint


class NoOpForward:
    """A do-nothing instance `forward`: the cost of the interception alone."""

    def __init__(self, module: nn.Module) -> None:
        self.module = module

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return type(self.module).forward(self.module, *args, **kwargs)


def no_op_pre_hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
    return None


def jaxtyping_wrapper(lstm: nn.LSTM) -> Callable[..., Any]:
    """`lstm(x, hx)` behind jaxtyping shape annotations checked by beartype."""
    from beartype import beartype
    from jaxtyping import Float, jaxtyped

    i, h = lstm.input_size, lstm.hidden_size
    state = Float[Tensor, f"1 batch {h}"]

    def call(x, hx=None):  # type: ignore[no-untyped-def]
        return lstm(x, hx)

    # set as objects: this module's postponed (string) annotations could not see the local sizes
    call.__annotations__ = {"x": Float[Tensor, f"seq batch {i}"], "hx": Optional[tuple[state, state]],
                            "return": tuple[Float[Tensor, f"seq batch {h}"], tuple[state, state]]}
    return jaxtyped(typechecker=beartype)(call)


def per_call_us(call: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n * 1e6


def measure(batch: int, seq: int, features: int, hidden: int, rounds: int, n: int) -> dict[str, float]:
    """Median µs each variant adds to the plain call. All variants wrap one LSTM (same weights,
    same caches) and are switched on and off around their timing; odd rounds time the variant
    first, so an order effect cancels out."""
    torch.manual_seed(0)
    lstm = nn.LSTM(features, hidden)
    x = torch.randn(seq, batch, features)
    state = (torch.zeros(1, batch, hidden), torch.zeros(1, batch, hidden))
    guarded = rnnlint.guard(lstm).__dict__.pop("forward")  # switched in and out, its cache kept
    typed = jaxtyping_wrapper(lstm)
    hook: list[Any] = []

    def put(forward: Any) -> Callable[[], None]:
        return lambda: lstm.__dict__.__setitem__("forward", forward)

    def unput() -> None:
        lstm.__dict__.pop("forward")

    def no_switch() -> None:
        return None

    def bare() -> Any:
        return lstm(x)

    def bare_with_state() -> Any:
        return lstm(x, state)

    Switch = Callable[[], None]  # noqa: N806
    variants: dict[str, tuple[Switch, Switch, Callable[[], Any], Callable[[], Any]]] = {
        # name: (switch on, switch off, the plain call, the same call wrapped)
        "rnnlint.guard, lstm(x)": (put(guarded), unput, bare, bare),
        "rnnlint.guard, lstm(x, (h0, c0))": (put(guarded), unput, bare_with_state, bare_with_state),
        "no-op forward pre-hook": (
            lambda: hook.append(lstm.register_forward_pre_hook(no_op_pre_hook, with_kwargs=True)),
            lambda: hook.pop().remove(), bare, bare),
        "no-op instance forward": (put(NoOpForward(lstm)), unput, bare, bare),
        "jaxtyping + beartype, lstm(x, (h0, c0))": (no_switch, no_switch, bare_with_state,
                                                    lambda: typed(x, state)),
    }
    added: dict[str, list[float]] = {name: [] for name in variants}
    base: list[float] = []
    with torch.no_grad():
        for on, off, _, call in variants.values():  # warm up (and fill the guard's cache)
            on()
            call()
            off()
        for i in range(rounds):
            for name, (on, off, plain, call) in variants.items():
                if i % 2:
                    on()
                    wrapped = per_call_us(call, n)
                    off()
                    before = per_call_us(plain, n)
                else:
                    before = per_call_us(plain, n)
                    on()
                    wrapped = per_call_us(call, n)
                    off()
                added[name].append(wrapped - before)
                base.append(before)
    result = {name: statistics.median(values) for name, values in added.items()}
    result["plain call"] = statistics.median(base)
    return result


def check_us(with_state: bool = False, n: int = 20000) -> float:
    lstm, x = nn.LSTM(64, 256), torch.randn(100, 32, 64)
    args = (x, (torch.zeros(1, 32, 256), torch.zeros(1, 32, 256))) if with_state else (x,)
    checker = rnnlint.guard(lstm).forward.checker
    checker.check(lstm, args, {}, "")
    return statistics.median(per_call_us(lambda: checker.check(lstm, args, {}, ""), n) for _ in range(9))


def first_call_us(repeats: int = 200) -> float:
    """A signature the guard has not seen yet runs the contract: the cost of that first call."""
    lstm, x = nn.LSTM(8, 8), torch.randn(1, 1, 8)
    times = []
    with torch.no_grad():
        for _ in range(repeats):
            checker = rnnlint.guard(lstm).forward.checker
            start = time.perf_counter()
            checker.check(lstm, (x,), {}, "")
            times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=41, help="rounds of 400 calls on the tiny LSTM")
    parser.add_argument("--typical-rounds", type=int, default=151, help="rounds of 1 call on the typical LSTM")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU, no_grad")
    for label, shape, rounds, n in [
            ("tiny LSTM (batch 1, seq 1, hidden 8)", (1, 1, 8, 8), args.rounds, 400),
            ("typical LSTM (batch 32, seq 100, input 64, hidden 256)", (32, 100, 64, 256), args.typical_rounds, 1)]:
        result = measure(*shape, rounds=rounds, n=n)
        plain = result.pop("plain call")
        print(f"\n{label}: plain call {plain:.1f} µs")
        print(f"  {'added per call':<42} {'µs':>8} {'%':>8}")
        for name, us in result.items():
            print(f"  {name:<42} {us:8.2f} {100 * us / plain:7.2f}%")
    print(f"\nthe guard's check alone, a signature seen before: {check_us():.2f} µs (x), "
          f"{check_us(with_state=True):.2f} µs (x, (h0, c0)); it reads metadata only, whatever the sizes")
    print(f"first call with a new signature (runs the contract): {first_call_us():.1f} µs")


if __name__ == "__main__":
    main()
