"""The text of the exported train.py: DistributedDataParallel training under torchrun, with the
loss, optimizer, schedule, clipping and regularizers of `pytorch_training`."""

import textwrap
from string import Template

TRAIN = Template('''"""Trains the exported model with DistributedDataParallel, as LayerCraft compiled it.

    torchrun --nproc_per_node=2 train.py --data DATA.npz --epochs 5 --output trained.safetensors

DATA.npz holds `x` (channels-last, as LayerCraft takes it) and `y`.
$summary
--batch-size is the global batch, as in LayerCraft: each of the N processes takes
batch_size / N samples per step, and DistributedDataParallel averages their gradients.
Rank 0 writes the trained weights with LayerCraft's names and Keras layouts; in LayerCraft,
`model.load_weights("trained.safetensors")` reads them. `python train.py ...` runs one process.
"""

import argparse
import math  # noqa: F401 - the learning-rate schedules use it
import os
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from model import build_model, keras_weights

#: The batch size LayerCraft trained with (None: pass --batch-size).
BATCH_SIZE = $batch_size
#: Keras clips probabilities to [EPSILON, 1 - EPSILON] before taking their log.
EPSILON = 1e-7
#: Decoupled weight decay applied before each step, w -= lr * WEIGHT_DECAY * w (Keras's form).
WEIGHT_DECAY = $weight_decay
#: (tensors, l1, l2): the layers' weight regularizers; their penalty joins the loss, as Keras.
REGULARIZERS = $regularizers


$loss

$schedule

$optimizer

$clipping

def regularization(model):
    """l1 * sum(|w|) + l2 * sum(w ** 2) over the regularized weights."""
    parameters = dict(model.named_parameters())
    total = 0.0
    for names, l1, l2 in REGULARIZERS:
        for name in names:
            w = parameters[name]
            total = total + l1 * w.abs().sum() + l2 * w.square().sum()
    return total


def parse_args():
    parser = argparse.ArgumentParser(description="Trains the exported LayerCraft model.")
    parser.add_argument("--data", required=True, help="npz file with arrays x and y")
    parser.add_argument("--validation-data", help="npz file (x, y) to report val_loss on")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        required=BATCH_SIZE is None, help="global batch size")
    parser.add_argument("--output", default="trained.safetensors",
                        help="where rank 0 writes the trained weights")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def setup():
    """Joins the process group torchrun describes: NCCL on GPUs, gloo on CPUs."""
    for key, value in (("RANK", "0"), ("WORLD_SIZE", "1"), ("MASTER_ADDR", "127.0.0.1"),
                       ("MASTER_PORT", "29500")):
        os.environ.setdefault(key, value)  # `python train.py`: one process
    if torch.cuda.is_available():
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
        dist.init_process_group("nccl")
        return device
    dist.init_process_group("gloo")
    return torch.device("cpu")


def load_data(path, batch_size, shuffle, seed):
    """A DataLoader over this process's share of the npz file's (x, y)."""
    with np.load(path, allow_pickle=False) as data:
        x = torch.from_numpy(np.asarray(data["x"], dtype=np.float32))
        y = torch.from_numpy(np.asarray(data["y"], dtype=np.$y_dtype))
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)


def mean_over_processes(total, count, device) -> float:
    sums = torch.tensor([total, count], dtype=torch.float64, device=device)
    dist.all_reduce(sums)
    return (sums[0] / sums[1]).item()


def train_epoch(model, loader, optimizer, device, step):
    """One pass over this process's share; returns (mean loss over all processes, step)."""
    model.train()
    parameters = [p for p in model.parameters() if p.requires_grad]
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        prepare_step(optimizer, step)
        rate = learning_rate(step)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y) + regularization(model.module)
        loss.backward()
        clip_gradients(parameters)
        if WEIGHT_DECAY:
            with torch.no_grad():
                for p in parameters:
                    p.mul_(1.0 - rate * WEIGHT_DECAY)
        optimizer.step()
        step += 1
        total, count = total + loss.item() * len(x), count + len(x)
    return mean_over_processes(total, count, device), step


@torch.no_grad()
def evaluate(model, loader, device) -> float:
    model.eval()
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = loss_fn(model(x), y) + regularization(model)
        total, count = total + loss.item() * len(x), count + len(x)
    return mean_over_processes(total, count, device)


def save(weights: dict, path: str) -> None:
    """Writes the safetensors file next to `path`, then renames it: never half a file."""
    temporary = f"{path}.tmp{os.getpid()}"
    save_file(weights, temporary)
    os.replace(temporary, path)


def main():
    args = parse_args()
    device = setup()
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(args.seed)
    per_process = max(1, args.batch_size // world)
    if rank == 0 and args.batch_size % world:
        print(f"Note: batch size {args.batch_size} is not a multiple of {world} processes; "
              f"each takes {per_process}.", flush=True)
    model = build_model().to(device)
    if device.type == "cuda":  # batch statistics over the whole global batch, as one process
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = DistributedDataParallel(model, device_ids=[device.index] if device.index is not None
                                  else None)
    optimizer = make_optimizer([p for p in ddp.parameters() if p.requires_grad])
    train = load_data(args.data, per_process, True, args.seed)
    validation = args.validation_data and load_data(args.validation_data, per_process, False, 0)
    step = 0
    for epoch in range(args.epochs):
        train.sampler.set_epoch(epoch)
        start = time.perf_counter()
        loss, step = train_epoch(ddp, train, optimizer, device, step)
        logs = f"loss: {loss:.4f}"
        if validation:
            logs += f" - val_loss: {evaluate(model, validation, device):.4f}"
        if rank == 0:
            print(f"Epoch {epoch + 1}/{args.epochs} - {time.perf_counter() - start:.1f}s - "
                  f"{logs}", flush=True)
    if rank == 0:
        save(keras_weights(model), args.output)
        print(f"Saved the trained weights to {args.output}", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
''')


def train_source(code, batch_size) -> str:
    """train.py from a `pytorch_training.TrainingCode` and the known batch size (or None)."""
    regularizers = "[\n" + "".join(f"    ({names!r}, {l1}, {l2}),\n"
                                   for names, l1, l2 in code.regularizers) + "]" \
        if code.regularizers else "[]"
    return TRAIN.substitute(
        summary=textwrap.fill(f"Compiled with: {code.summary}.", 92),
        batch_size=repr(batch_size), weight_decay=code.weight_decay,
        regularizers=regularizers, loss=code.loss.rstrip("\n") + "\n",
        schedule=code.schedule.rstrip("\n") + "\n", optimizer=code.optimizer.rstrip("\n") + "\n",
        clipping=code.clipping.rstrip("\n") + "\n", y_dtype=code.y_dtype)
