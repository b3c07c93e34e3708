"""Runs one case in both frameworks, repeats interleaved, and sums up the rates.

A fit repeat trains a fresh model for `epochs` epochs; a predict repeat calls `predict` on a
fresh model `epochs` times. "First" is the first epoch (or call), data placement included;
"sustained" is the median over epochs 4 and later, once denormals and the like have set in.
One throwaway epoch per framework comes first, so one-time process costs (thread pools,
lazy imports) fall on neither, and each timed run starts after a short pause.
"""

import statistics
import time
from dataclasses import dataclass, field

SUSTAINED_FROM = 4  # 1-based epoch where the sustained rate starts
PAUSE_S = 0.2  # before each timed run: the other framework's spinning worker threads go idle


@dataclass
class Rates:
    """One framework's rates on one case, one entry per repeat."""

    first: list = field(default_factory=list)
    sustained: list = field(default_factory=list)
    loss: float = float("nan")

    def add(self, times, samples, loss=float("nan")):
        later = times[SUSTAINED_FROM - 1:] or times[-1:]
        self.first.append(samples / times[0])
        self.sustained.append(samples / statistics.median(later))
        self.loss = loss

    def median(self, which="sustained"):
        values = getattr(self, which)
        return statistics.median(values) if values else float("nan")

    def spread(self):
        """(max - min) / median of the sustained rates, in percent."""
        values = self.sustained
        return 100 * (max(values) - min(values)) / statistics.median(values) if values else 0.0

    def to_dict(self):
        return {"first": self.first, "sustained": self.sustained, "loss": self.loss}


def run_case(case, x, y, sides, repeats, epochs, device="cpu"):
    """`{side name: Rates}` for each framework module in `sides` (engine_side, torch_side)."""
    x, y = x[:case.samples], y[:case.samples]
    for side in sides.values():
        _warm_up(case, side, x, y, device)
    rates = {name: Rates() for name in sides}
    for repeat in range(repeats):
        for name, side in sides.items():
            _one_repeat(case, side, x, y, epochs, device, repeat, rates[name])
    return rates


def _one_repeat(case, side, x, y, epochs, device, seed, rates):
    time.sleep(PAUSE_S)
    if case.kind == "fit":
        times, loss = side.fit(_maker(case, side), x, y, case.batch, epochs, device, seed)
        rates.add(times, len(x), loss)
    else:
        rates.add(call_times(_predictor(case, side, x, device), epochs), len(x))


def _predictor(case, side, x, device):
    return side.predictor(_maker(case, side), x, case.batch, device)


def _maker(case, side):
    return case.engine_model if side.NAME == "engine" else case.torch_model


def call_times(run, calls):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def _warm_up(case, side, x, y, device):
    """One epoch (or call) on a throwaway model: thread pools start, memory gets mapped."""
    if case.kind == "fit":
        side.fit(_maker(case, side), x, y, case.batch, 1, device)
    else:
        _predictor(case, side, x, device)()
