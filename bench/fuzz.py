"""Fuzzing every reader: mutated checkpoints, model specs, projects and data files.

    .venv/bin/python bench/fuzz.py                       # 10,000 cases per family
    .venv/bin/python bench/fuzz.py --cases 500 --family checkpoint spec
    .venv/bin/python bench/fuzz.py --family csv --seed 1234 --show   # replay one case

Each case is made from its seed alone (`random.Random(seed)`), opened the way a user opens
it, and counted: "loaded", "refused" (a LayerCraftError with a message), "raw" (any other
exception: a bug), "hang" (over `--timeout` seconds: a bug) or "invalid" (a data loader
returned something unusable: a bug). Raw and hung cases are listed
with their seeds, so `--seed N --show` replays one with its traceback. Exit status 1 when any
raw exception or hang was seen. The quick versions of these families run in `make test`
(tests/engine/test_checkpoint_robustness.py, tests/engine/test_loader_fuzz.py,
tests/app/test_project_fuzz.py).
"""

import argparse
import collections
from pathlib import Path
import random
import signal
import sys
import tempfile
import time
import traceback
import warnings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.errors import LayerCraftError  # noqa: E402
from tests import fuzz_engine_files as engine_files  # noqa: E402
from tests import fuzz_mutators as data_files  # noqa: E402


class Hang(Exception):
    """A case ran past the time limit."""


Family = data_files.Family

#: family -> Family(make one case from an rng, write it into a folder, open it)
FAMILIES = {
    "checkpoint": Family(engine_files.checkpoint_case, data_files.write_file(".lcm"),
                         engine_files.open_checkpoint),
    "spec": Family(engine_files.spec_case, lambda spec, folder: spec, engine_files.open_spec),
    "project": Family(engine_files.project_case, data_files.write_file(".lcproj"),
                      engine_files.open_project),
    **data_files.FAMILIES,
}


def run_case(family: str, seed: int, folder: str):
    """Makes and opens case `seed`; returns (outcome, detail). A data loader's result must
    also be usable ("invalid" otherwise: finite numbers, matching lengths...)."""
    chosen = FAMILIES[family]
    case = chosen.write(chosen.make(random.Random(seed)), folder)
    try:
        result = chosen.load(case)
    except Hang:
        return "hang", ""
    except LayerCraftError:
        return "refused", ""
    except Exception as exc:  # noqa: BLE001 - counting what escapes is the point
        return "raw", f"{type(exc).__name__}: {exc}"[:200]
    problem = data_files.problem_with(result) if family in data_files.FAMILIES else None
    return ("invalid", problem) if problem else ("loaded", "")


def _on_alarm(signum, frame):
    raise Hang()


def fuzz_family(family: str, cases: int, first_seed: int, timeout: float) -> dict:
    counts = collections.Counter()
    failures = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(first_seed, first_seed + cases):
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                outcome, detail = run_case(family, seed, folder)
            except Hang:
                outcome, detail = "hang", "while making the case"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            counts[outcome] += 1
            if outcome in ("raw", "hang", "invalid"):
                failures.append((seed, outcome, detail))
    return {"counts": counts, "failures": failures, "seconds": time.perf_counter() - start}


def show(family: str, seed: int) -> None:
    """Replays one case with its full traceback."""
    chosen = FAMILIES[family]
    with tempfile.TemporaryDirectory() as folder:
        case = chosen.write(chosen.make(random.Random(seed)), folder)
        try:
            chosen.load(case)
            print("loaded")
        except LayerCraftError as exc:
            print(f"refused: {exc}")
        except Exception:  # noqa: BLE001
            traceback.print_exc()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", nargs="*", choices=sorted(FAMILIES), default=None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0, help="first seed (or the one to show)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case")
    parser.add_argument("--show", action="store_true", help="replay --seed with a traceback")
    args = parser.parse_args(argv)
    families = args.family or list(FAMILIES)
    warnings.simplefilter("ignore")  # NumPy's RuntimeWarnings on hostile weights are not bugs
    signal.signal(signal.SIGALRM, _on_alarm)
    if args.show:
        for family in families:
            show(family, args.seed)
        return 0
    print(f"{'family':<12}{'cases':>8}{'refused':>9}{'loaded':>8}{'raw':>6}{'hang':>6}"
          f"{'invalid':>9}{'seconds':>9}")
    bad = False
    for family in families:
        result = fuzz_family(family, args.cases, args.seed, args.timeout)
        c = result["counts"]
        print(f"{family:<12}{sum(c.values()):>8}{c['refused']:>9}{c['loaded']:>8}"
              f"{c['raw']:>6}{c['hang']:>6}{c['invalid']:>9}{result['seconds']:>9.1f}",
              flush=True)
        for seed, outcome, detail in result["failures"][:5]:
            print(f"    {outcome} at seed {seed}: {detail}")
        bad = bad or bool(result["failures"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
