"""Fused CPU kernels (numba, `engine.kernels`) against the NumPy path, in one run.

    .venv/bin/python bench/kernels.py          # needs numba: pip install -e ".[fast]"

Prints, with the CPU named: one optimizer step on a flat buffer (the MLP 784-128-10's 101,770
parameters and the 512-wide MLP's 1,195,018), the first call's cost with an empty kernel
cache and with a warm one (each in a fresh process), and whole fit() epochs of both MLPs and
of the Keras MNIST convnet with the kernels on and off, alternating epoch by epoch (ratio =
median of per-epoch ratios).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

import machine

SIZES = (101_770, 1_195_018)
OPTIMIZERS = (("Adam", {}), ("SGD", {"momentum": 0.9}), ("RMSprop", {}))
COLD = ("import time, numpy as np; from engine import fpu, kernels, optimizers; "
        "w = np.ones(1000, np.float32); o = optimizers.Adam(); t = time.perf_counter(); "
        "exec('with fpu.flushing(): o.apply_flat(w, w, [(0, 1000)])'); "
        "first = time.perf_counter() - t; kernels.wait_until_ready(); "
        "print(first, time.perf_counter() - t)")


def step_ms(kernels, fpu, optimizers, name, config, size, on) -> float:
    import numpy as np

    kernels.set_cpu_kernels(on)
    rng = np.random.default_rng(0)
    w = rng.normal(size=size).astype(np.float32)
    g = (rng.normal(size=size) * 1e-3).astype(np.float32)
    optimizer = getattr(optimizers, name)(learning_rate=1e-3, **config)
    optimizer.apply_flat(g, w, [(0, size)])  # a first call starts compiling the kernel
    kernels.wait_until_ready()
    best = float("inf")
    with fpu.flushing():
        for repeat in range(8):
            start = time.perf_counter()
            for _ in range(20):
                optimizer.apply_flat(g, w, [(0, size)])
            if repeat:  # the first round compiles and warms up
                best = min(best, (time.perf_counter() - start) / 20)
    return best * 1e3


def first_call_seconds(cache: str) -> tuple[float, float]:
    """(the first Adam step's seconds, seconds until its kernel was ready) in a new process."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    out = subprocess.run([sys.executable, "-c", COLD], env=env, capture_output=True, text=True,
                         check=True)
    first, ready = out.stdout.split()
    return float(first), float(ready)


def fit_speedup(kernels, make_model, x, y, epochs=5):
    import engine_side

    trainers = {}
    for on in (True, False):
        kernels.set_cpu_kernels(on)
        trainers[on] = engine_side.trainer(make_model, x, y, 128)
        trainers[on](0)  # warm-up epoch (it starts compiling the kernels)
    kernels.wait_until_ready()
    times = {True: [], False: []}
    for index in range(1, epochs + 1):
        for on in (True, False):
            kernels.set_cpu_kernels(on)
            start = time.perf_counter()
            trainers[on](index)
            times[on].append(time.perf_counter() - start)
    kernels.set_cpu_kernels(True)
    rates = {on: len(x) / statistics.median(t) for on, t in times.items()}
    return rates[True], rates[False], statistics.median(
        [off / on for on, off in zip(times[True], times[False])])


def main() -> int:
    machine.setup(threads=2, flush=True)
    from engine import fpu, kernels, optimizers

    if kernels.numba_module() is None:
        print("numba is not installed: pip install -e '.[fast]'")
        return 0
    import data
    import models

    print(f"CPU: {machine.cpu_name()}; numba {kernels.numba_module().__version__}; "
          "kernels in the calling thread, BLAS on 2")
    print("\noptimizer step on a flat buffer (ms, best of 7 x 20 steps):")
    for name, config in OPTIMIZERS:
        for size in SIZES:
            fused = step_ms(kernels, fpu, optimizers, name, config, size, True)
            plain = step_ms(kernels, fpu, optimizers, name, config, size, False)
            print(f"  {name:8s} {size:>9,} values: kernel {fused:6.3f}  NumPy {plain:6.3f}  "
                  f"= {plain / fused:4.1f}x")
    with tempfile.TemporaryDirectory() as cache:
        cold, warm = first_call_seconds(cache), first_call_seconds(cache)
    print(f"\nfirst Adam step in a fresh process (NumPy computes it while the kernel compiles): "
          f"{cold[0]:.2f} s with an empty kernel cache, {warm[0]:.2f} s with it filled; the "
          f"kernel was ready after {cold[1]:.2f} s and {warm[1]:.2f} s")
    x, y, _ = data.training_data(60_000)
    print("\nfit(), samples/s (kernels on / off), median of 5 alternating epochs:")
    for label, make, count in (("MLP 784-128-10 b128", models.engine_mlp, 60_000),
                               ("MLP 784-512x3-10 b128",
                                lambda: models.engine_mlp(hidden=(512, 512, 512)), 10_000)):
        on, off, ratio = fit_speedup(kernels, make, x[:count], y[:count])
        print(f"  {label:22s} {on:9,.0f} / {off:9,.0f}  speed-up {ratio:.2f}x")
    images = x[:4096].reshape(-1, 28, 28, 1)
    on, off, ratio = fit_speedup(kernels, models.engine_convnet, images, y[:4096])
    print(f"  {'Keras MNIST convnet b128':22s} {on:9,.0f} / {off:9,.0f}  speed-up {ratio:.2f}x "
          "(one-channel conv, max pooling and its backward, col2im, bias + relu, Adam)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
