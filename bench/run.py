"""Benchmark: LayerCraft's engine against PyTorch on the same models, data and settings.

    .venv/bin/pip install torch==2.13.0      # once; PyTorch is only needed for the comparison
    .venv/bin/python bench/run.py [--quick] [--markdown]
    .venv/bin/python bench/run.py --gpu      # the same cases on CuPy (and PyTorch CUDA)

Trains on learnable MNIST-like data (`data.py`) and prints, per case and framework, the first
epoch's throughput and the sustained one (median of epochs 4-6) in samples per second, and
the engine/PyTorch ratios (> 1 means the engine is faster). Both frameworks get the same
thread count, Adam (lr 1e-3), cross-entropy and a fresh shuffle each epoch. A second table
shows denormal flushing on and off for the MLP at batch 32 and 128 (`flush.py`).
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import machine  # imports no NumPy


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a quarter of the data, 4 epochs, one repeat")
    parser.add_argument("--repeats", type=int, default=3, help="fresh trainings per case")
    parser.add_argument("--epochs", type=int, default=6, help="epochs (or predict calls)")
    parser.add_argument("--threads", type=int,
                        default=int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1)))
    parser.add_argument("--only", help="comma-separated texts; runs cases whose name has one")
    parser.add_argument("--gpu", action="store_true",
                        help="engine on CuPy (device='gpu'), PyTorch on CUDA when it has it")
    parser.add_argument("--no-flush", action="store_true",
                        help="the engine keeps denormals (LAYERCRAFT_FLUSH_DENORMAL=0)")
    parser.add_argument("--torch-flush", action="store_true",
                        help="PyTorch flushes denormals (torch.set_flush_denormal(True))")
    parser.add_argument("--no-flush-table", action="store_true",
                        help="skip the flushing on/off table")
    parser.add_argument("--engine-only", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="tables in Markdown")
    parser.add_argument("--json", action="store_true", help="raw rates as JSON, no tables")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.epochs = 1, 4
    return args


def main(argv=None):
    args = parse_args(argv)
    machine.setup(args.threads, flush=not args.no_flush)
    import runner  # NumPy-using modules load after the engine set up flushing

    return runner.run(args)


if __name__ == "__main__":
    sys.exit(main())
