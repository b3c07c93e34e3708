"""CPU benchmark: LayerCraft's engine against PyTorch on the same models and data, one run.

    .venv/bin/pip install torch==2.13.0      # once; PyTorch is only needed for the comparison
    .venv/bin/python bench/run.py [--quick]

Each case warms up first, then times several repeats and reports the median throughput in
samples per second and the engine/PyTorch ratio (> 1 means the engine is faster).
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import models  # noqa: E402

THREADS = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))


def median_rate(run, samples, repeats):
    run()  # warm-up (first-call costs, allocator, BLAS threads)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return samples / statistics.median(times)


def engine_fit(model, x, y, batch):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", device="cpu")
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)


def torch_fit(net, x, y, batch):
    import torch

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    if xt.ndim == 4:
        xt = xt.permute(0, 3, 1, 2).contiguous()  # NCHW, PyTorch's native layout
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run():
        net.train()
        order = torch.randperm(len(xt))
        for start in range(0, len(xt), batch):
            index = order[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xt[index]), yt[index])
            loss.backward()
            opt.step()
            loss.item()  # the engine reports the running loss every batch too

    return run


def engine_predict(model, x, batch):
    return lambda: model.predict(x, batch_size=batch)


def torch_predict(net, x, batch):
    import torch

    xt = torch.from_numpy(x)
    if xt.ndim == 4:
        xt = xt.permute(0, 3, 1, 2).contiguous()

    def run():
        net.eval()
        with torch.no_grad():
            for start in range(0, len(xt), batch):
                torch.softmax(net(xt[start:start + batch]), dim=1).numpy()

    return run


def cases(quick):
    scale = 4 if quick else 1
    mlp_x, mlp_y = models.mnist_like(60000 // scale)
    conv_x, conv_y = models.mnist_like(2048 // scale, shape=(28, 28, 1))
    return [
        ("MLP 784-128-10 fit b32", models.engine_mlp, models.torch_mlp, mlp_x[:20000 // scale],
         mlp_y[:20000 // scale], 32, "fit"),
        ("MLP 784-128-10 fit b128", models.engine_mlp, models.torch_mlp, mlp_x, mlp_y, 128, "fit"),
        ("MLP 784-128-10 fit b1024", models.engine_mlp, models.torch_mlp, mlp_x, mlp_y, 1024,
         "fit"),
        ("MLP 784-512x3-10 fit b128", lambda: models.engine_mlp((512, 512, 512)),
         lambda: models.torch_mlp((512, 512, 512)), mlp_x[:20000 // scale],
         mlp_y[:20000 // scale], 128, "fit"),
        ("Keras MNIST convnet fit b128", models.engine_convnet, models.torch_convnet, conv_x,
         conv_y, 128, "fit"),
        ("MLP 784-128-10 predict b1024", models.engine_mlp, models.torch_mlp, mlp_x, mlp_y, 1024,
         "predict"),
        ("Keras MNIST convnet predict b128", models.engine_convnet, models.torch_convnet, conv_x,
         conv_y, 128, "predict"),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer repeats")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run only cases whose name contains this text")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(THREADS)
    repeats = 3 if args.quick else args.repeats
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"torch {torch.__version__} ({THREADS} threads); numpy {np.__version__}")
    print(f"{'case':36} {'engine/s':>12} {'torch/s':>12} {'ratio':>7}")
    for name, make_engine, make_torch, x, y, batch, kind in cases(args.quick):
        if args.only and args.only not in name:
            continue
        if kind == "fit":
            ours = median_rate(engine_fit(make_engine(), x, y, batch), len(x), repeats)
            theirs = median_rate(torch_fit(make_torch(), x, y.astype(np.int64), batch), len(x),
                                 repeats)
        else:
            ours = median_rate(engine_predict(make_engine(), x, batch), len(x), repeats)
            theirs = median_rate(torch_predict(make_torch(), x, batch), len(x), repeats)
        print(f"{name:36} {ours:12,.0f} {theirs:12,.0f} {ours / theirs:7.2f}", flush=True)


if __name__ == "__main__":
    main()
