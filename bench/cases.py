"""The benchmark's cases: which model, fit or predict, batch size and how many samples."""

from dataclasses import dataclass
from functools import partial

import models

WIDE = (512, 512, 512)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "fit" or "predict"
    engine_model: object  # () -> engine model
    torch_model: object  # () -> torch.nn.Module
    batch: int
    samples: int  # per epoch (fit) or per call (predict)
    image: bool = False  # 28x28x1 images instead of flat 784 vectors
    flush_rows: bool = False  # also measured with the engine unflushed and PyTorch flushed


def mlp(name, kind, batch, samples, **extra):
    return Case(name, kind, models.engine_mlp, models.torch_mlp, batch, samples, **extra)


def all_cases(scale: int = 1):
    """Every case; `scale` divides the sample counts (--quick)."""
    wide = (partial(models.engine_mlp, WIDE), partial(models.torch_mlp, WIDE))
    conv = (models.engine_convnet, models.torch_convnet)
    cases = [
        mlp("MLP 784-128-10 fit b32", "fit", 32, 20000, flush_rows=True),
        mlp("MLP 784-128-10 fit b128", "fit", 128, 60000, flush_rows=True),
        mlp("MLP 784-128-10 fit b1024", "fit", 1024, 60000),
        Case("MLP 784-512x3-10 fit b128", "fit", *wide, 128, 10000),
        Case("Keras MNIST convnet fit b128", "fit", *conv, 128, 4096, image=True),
        mlp("MLP 784-128-10 predict b1024", "predict", 1024, 60000),
        Case("Keras MNIST convnet predict b128", "predict", *conv, 128, 4096, image=True),
    ]
    return [Case(**{**c.__dict__, "samples": c.samples // scale}) for c in cases]


def select(cases, only):
    """Cases whose name contains any of the comma-separated texts in `only` (all if empty)."""
    if not only:
        return cases
    parts = [part.strip() for part in only.split(",") if part.strip()]
    return [case for case in cases if any(part in case.name for part in parts)]
