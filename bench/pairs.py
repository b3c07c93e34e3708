"""Engine-against-engine cases: two ways of training the same network, timed in one run.

A pair case (`cases.pair_cases`) has a baseline (fit() on built-in layers) and a variant
(Keras-style layers in fit(), or a GradientTape loop). Each repeat trains a fresh model per
side and alternates the two epoch by epoch, so a slow spell on a shared machine falls on both
sides of a ratio. The ratio is the median, over the sustained epochs of all repeats, of the
per-epoch ratios: a "speed" target bounds variant/baseline samples/s from below, a "cost"
target bounds variant/baseline time per step from above.
"""

import statistics
import time
from dataclasses import dataclass, field

import machine
import measure
import report

HEAD = ("pair case", "baseline", "sust.", "variant", "sust.", "spread b/v", "loss b/v",
        "ratio", "target", "")


@dataclass
class PairRates:
    baseline: measure.Rates = field(default_factory=measure.Rates)
    variant: measure.Rates = field(default_factory=measure.Rates)
    epoch_ratios: list = field(default_factory=list)  # variant/baseline time, sustained epochs
    other_cpu: float | None = None


def run_all(args, pair_cases, x, y, device="cpu") -> dict:
    """`{case name: PairRates}`; prints a line as each case ends."""
    results = {}
    for case in pair_cases:
        watch = machine.OtherLoad()
        watch.start()
        rates = run_pair(case, x[:case.samples], y[:case.samples], args.repeats, args.epochs,
                         device)
        rates.other_cpu = watch.share()
        results[case.name] = rates
        if not args.json:
            cells = row(case, rates)
            print(f"{case.name}: {cells[7]} (target {cells[8]}: {cells[9]})" +
                  ("" if rates.other_cpu is None else
                   f"; other processes took {rates.other_cpu:.0f}% of the CPUs"), flush=True)
    return results


def run_pair(case, x, y, repeats, epochs, device) -> PairRates:
    for start in (case.baseline_trainer, case.variant_trainer):  # thread pools, first touches
        start(x, y, case.batch, device, 0)(0)
    rates = PairRates()
    for repeat in range(repeats):
        sides = [(case.baseline_trainer(x, y, case.batch, device, repeat), []),
                 (case.variant_trainer(x, y, case.batch, device, repeat), [])]
        losses = [0.0, 0.0]
        for index in range(epochs):
            for i, (epoch, times) in enumerate(sides):
                time.sleep(measure.PAUSE_S)
                start = time.perf_counter()
                losses[i] = epoch(index)
                times.append(time.perf_counter() - start)
        (_, base_times), (_, variant_times) = sides
        rates.baseline.add(base_times, len(x), losses[0])
        rates.variant.add(variant_times, len(x), losses[1])
        sustained = slice(measure.SUSTAINED_FROM - 1, None)
        rates.epoch_ratios += [v / b for b, v in zip(base_times[sustained],
                                                     variant_times[sustained])]
    return rates


def ratio(case, rates) -> float:
    """Median per-epoch ratio: variant/baseline speed ("speed") or time ("cost")."""
    costs = rates.epoch_ratios
    return statistics.median(costs if case.target_kind == "cost" else [1 / c for c in costs])


def met(case, value) -> bool:
    return value >= case.target if case.target_kind == "speed" else value <= case.target


def row(case, rates):
    value = ratio(case, rates)
    b, v = rates.baseline, rates.variant
    sign = ">=" if case.target_kind == "speed" else "<="
    return [case.name, case.baseline, f"{b.median():,.0f}", case.variant, f"{v.median():,.0f}",
            f"{b.spread():.0f}% / {v.spread():.0f}%", f"{b.loss:.3f} / {v.loss:.3f}",
            f"{case.target_kind} {value:.2f}", f"{sign} {case.target:.2f}",
            "met" if met(case, value) else "MISSED"]


def print_table(args, pair_cases, results):
    rows = [row(case, results[case.name]) for case in pair_cases]
    print("\nEngine against engine (samples/s, sustained; speed = variant/baseline samples/s, "
          "cost = variant/baseline time per step; median of the per-epoch ratios):")
    print((report.markdown if args.markdown else report.text)(HEAD, rows))
    loads = [results[c.name].other_cpu for c in pair_cases]
    if None not in loads and max(loads) > 10:
        print("WARNING: other processes competed for the CPU; rerun when the machine is quiet.")


def to_json(results) -> dict:
    return {name: {"baseline": r.baseline.to_dict(), "variant": r.variant.to_dict(),
                   "epoch_ratios": r.epoch_ratios, "other_cpu": r.other_cpu}
            for name, r in results.items()}
