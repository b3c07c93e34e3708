"""PyTorch's half of each case, mirroring `engine_side`: same optimizer (Adam, lr 1e-3,
eps 1e-7 as the engine's defaults), same loss (cross-entropy; PyTorch takes logits where the
engine's model ends in softmax), a fresh shuffle each epoch, data on the device once."""

import time

NAME = "torch"


def load():
    """The `torch` module, or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def device_name(device: str) -> str:
    return "cuda" if device == "gpu" else "cpu"


def to_tensor(torch, x, device):
    t = torch.from_numpy(x)
    if t.ndim == 4:
        t = t.permute(0, 3, 1, 2).contiguous()  # NCHW, PyTorch's native layout
    return t.to(device_name(device))


def fit(make_net, x, y, batch, epochs, device="cpu", seed=0):
    """Trains a fresh network; returns (epoch times in seconds, last epoch's mean loss).

    The first epoch's time includes putting the data on the device, as the engine's does."""
    torch = load()
    torch.manual_seed(seed)
    net = make_net().to(device_name(device))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    start = time.perf_counter()
    xt, yt = to_tensor(torch, x, device), to_tensor(torch, y, device)
    times, loss = [], float("nan")
    for _ in range(epochs):
        loss = _epoch(torch, net, opt, xt, yt, batch)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
    return times, loss


def _epoch(torch, net, opt, xt, yt, batch):
    net.train()
    loss_fn = torch.nn.functional.cross_entropy
    order = torch.randperm(len(xt), device=xt.device)
    total = 0.0
    for start in range(0, len(xt), batch):
        index = order[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(xt[index]), yt[index])
        loss.backward()
        opt.step()
        total += loss.item() * len(index)  # the engine reports its running loss every batch
    return total / len(xt)


def predictor(make_net, x, batch, device="cpu"):
    """A function that predicts all of `x` once (softmax outputs copied back to NumPy)."""
    torch = load()
    net = make_net().to(device_name(device)).eval()
    xt = to_tensor(torch, x, device)

    def run():
        with torch.no_grad():
            for start in range(0, len(xt), batch):
                torch.softmax(net(xt[start:start + batch]), dim=1).cpu().numpy()

    return run
