"""Denormal flushing on and off, for the cases marked `flush_rows` (MLP at batch 32, 128).

The main run has the engine flushing (its default) and PyTorch not (its default). The other
two states run in a child process started with them from the beginning (`--no-flush
--torch-flush`), since BLAS and OpenMP worker threads take the flush setting of the thread
that starts them.
"""

import json
import subprocess
import sys
from pathlib import Path

import measure
import report


def compare(args, cases, results):
    if not cases:
        return
    other, other_cpu = _other_states(args, [c.name for c in cases])
    rows = [report.flush_row(c.name, results[c.name]["engine"], other[c.name]["engine"],
                             results[c.name].get("torch"), other[c.name].get("torch"))
            for c in cases]
    print("\nDenormal flushing (samples/s, first epoch / sustained):")
    print((report.markdown if args.markdown else report.text)(report.FLUSH_HEAD, rows))
    if None not in other_cpu:
        print("CPU used by other processes during the unflushed-engine/flushed-PyTorch run: "
              + ", ".join(f"{v:.0f}%" for v in other_cpu))


def _other_states(args, names):
    """(`{case: {side: Rates}}`, other processes' CPU share per case) from a child run with
    the engine unflushed and PyTorch flushed."""
    command = [sys.executable, str(Path(__file__).with_name("run.py")), "--json", "--no-flush",
               "--torch-flush", "--only", ",".join(names), "--repeats", str(args.repeats),
               "--epochs", str(args.epochs), "--threads", str(args.threads)]
    if args.engine_only:
        command.append("--engine-only")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    raw = json.loads(out.strip().splitlines()[-1])
    rates = {name: {side: _rates(values) for side, values in sides.items()}
             for name, sides in raw["cases"].items()}
    return rates, raw["other_cpu"]


def _rates(values):
    return measure.Rates(values["first"], values["sustained"], values["loss"])
