"""The benchmark's cases: which model, fit or predict, batch size and how many samples;
and the engine-against-engine pairs (`pairs.py`)."""

from dataclasses import dataclass
from functools import partial

import custom_dense
import engine_side
import models
import tape_loop

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


@dataclass(frozen=True)
class PairCase:
    """Two ways of training one network in the engine; each trainer is
    `(x, y, batch, device, seed) -> epoch(index) -> loss` (`pairs.py`)."""

    name: str
    baseline: str
    baseline_trainer: object
    variant: str
    variant_trainer: object
    batch: int
    samples: int
    target_kind: str  # "speed": variant/baseline rate >= target; "cost": time ratio <= target
    target: float


def pair_cases(scale: int = 1):
    """The issue's targets: a Keras-style Dense (add_weight + ops) at >= 0.7x the built-in
    Dense's speed in fit(); a GradientTape loop's step at <= 1.2x a fit() step."""
    fit_builtin = partial(engine_side.trainer, models.engine_mlp)
    fit_custom = partial(engine_side.trainer, custom_dense.engine_custom_mlp)
    pairs = [
        PairCase("custom Dense MLP 784-128-10 b128", "fit, built-in Dense", fit_builtin,
                 "fit, KerasStyleDense", fit_custom, 128, 60000, "speed", 0.7),
        PairCase("GradientTape loop MLP 784-128-10 b128", "fit", fit_builtin, "tape loop",
                 partial(tape_loop.trainer, models.engine_mlp), 128, 60000, "cost", 1.2),
    ]
    return [PairCase(**{**c.__dict__, "samples": c.samples // scale}) for c in pairs]


def select(cases, only):
    """Cases whose name contains any of the comma-separated texts in `only` (all if empty)."""
    if not only:
        return cases
    parts = [part.strip() for part in only.split(",") if part.strip()]
    return [case for case in cases if any(part in case.name for part in parts)]
