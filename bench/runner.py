"""One benchmark run: header, every selected case in both frameworks, the tables."""

import json
import os

import cases
import data
import engine_side
import flush
import machine
import measure
import pairs
import report
import torch_side

WIDTHS = (34, 11, 12, 10, 11, 9, 11, 13, 13)


def run(args) -> int:
    device = "gpu" if args.gpu else "cpu"
    if args.gpu and not _gpu_ready():
        return 0
    torch = _torch(args, device)
    scale = 4 if args.quick else 1
    selected = cases.select(cases.all_cases(scale), args.only)
    paired = cases.select(cases.pair_cases(scale), args.only)
    if not (selected or paired):
        print(f"No case name contains any of {args.only!r}.")
        return 1
    x, y, source = data.training_data(max(c.samples for c in [*selected, *paired]))
    if not args.json:
        _print_header(args, torch, device, source, bool(selected))
    loads = []
    results = {c.name: _run_case(args, c, x, y, torch, device, loads) for c in selected}
    pair_results = pairs.run_all(args, paired, x, y, device)
    if args.json:
        print(json.dumps({"cases": {name: {side: r.to_dict() for side, r in rates.items()}
                                    for name, rates in results.items()}, "other_cpu": loads,
                          "pairs": pairs.to_json(pair_results)}))
        return 0
    _print_load(args, loads)
    rows = [report.main_row(name, r["engine"], r.get("torch")) for name, r in results.items()]
    if args.markdown and rows:
        print("\n" + report.markdown(report.HEAD, rows))
    if paired:
        pairs.print_table(args, paired, pair_results)
    if not (args.gpu or args.no_flush or args.torch_flush or args.no_flush_table):
        flush.compare(args, [c for c in selected if c.flush_rows], results)
    return 0


def _run_case(args, case, x, y, torch, device, loads):
    watch = machine.OtherLoad()
    watch.start()
    xs = x.reshape(len(x), 28, 28, 1) if case.image else x
    sides = {"engine": engine_side} | ({"torch": torch_side} if torch else {})
    rates = measure.run_case(case, xs, y, sides, args.repeats, args.epochs, device)
    if not args.json:
        row = report.main_row(case.name, rates["engine"], rates.get("torch"))
        print(_line(row), flush=True)
    loads.append(watch.share())
    return rates


def _line(cells):
    return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                     for i, (c, w) in enumerate(zip(cells, WIDTHS)))


def _print_load(args, loads):
    """Other processes' share of the CPUs during each case: above a few percent they took
    time from the benchmark and its rates are low and noisy."""
    if not loads or None in loads:
        return
    print(f"CPU used by other processes during each case: {', '.join(f'{v:.0f}%' for v in loads)}")
    if max(loads) > 10:
        print("WARNING: other processes competed for the CPU; rerun when the machine is quiet.")


def _gpu_ready() -> bool:
    from engine import backend

    if backend.gpu_available():
        return True
    print(f"GPU benchmark skipped: {backend.gpu_status()}. On a machine with an NVIDIA GPU: "
          "`.venv/bin/pip install -e .[gpu]` (CuPy), optionally a CUDA build of PyTorch, "
          "then `make gpu-check`.")
    return False


def _torch(args, device):
    """The torch module set up like the engine (threads, flushing), or None to leave it out."""
    torch = None if args.engine_only else torch_side.load()
    if torch is None:
        return None
    torch.set_num_threads(args.threads)
    if args.torch_flush:
        torch.set_flush_denormal(True)
    if device == "gpu" and not torch.cuda.is_available():
        print("PyTorch has no CUDA device here: its columns stay empty.")
        return None
    return torch


def _print_header(args, torch, device, source, main_table=True):
    print(f"CPU: {machine.cpu_name()}; {args.threads} threads for each framework")
    if device == "gpu":
        print(f"GPU: {_gpu_name()}" + (f" (PyTorch: {torch.cuda.get_device_name(0)})"
                                        if torch else ""))
    print(machine.versions(torch or torch_side.load()))
    engine_flush = "off" if args.no_flush else "on"
    torch_flush = "on" if args.torch_flush else "off (default)"
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print(f"data: {source}; denormal flushing: engine {engine_flush}, PyTorch {torch_flush}")
    print(f"samples/s; 1st = first epoch (or predict call), sust. = median of epochs "
          f"{measure.SUSTAINED_FROM}-{args.epochs}; median of {args.repeats} repeat(s); ratio = "
          f"engine/PyTorch (median of per-repeat ratios); spread = (max-min)/median of the sustained rates\n")
    if main_table:
        print(_line(report.HEAD), flush=True)


def _gpu_name():
    from engine import backend

    return backend.gpu_status()
