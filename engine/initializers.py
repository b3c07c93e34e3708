"""Weight initializers by name, with Keras's formulas and defaults.

Each initializer draws on the CPU from the engine's generator (so a seed gives the same
weights on every device) and returns a float32 NumPy array.
"""

import math

import numpy as np

from . import backend
from .errors import SpecError, describe_choices

NAMES = (
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "uniform", "normal",
)
# Keras accepts class names too; map them to our snake names.
_ALIASES = {
    "Zeros": "zeros", "zero": "zeros", "Ones": "ones", "one": "ones", "Constant": "constant",
    "RandomNormal": "random_normal", "RandomUniform": "random_uniform",
    "TruncatedNormal": "truncated_normal", "GlorotUniform": "glorot_uniform",
    "GlorotNormal": "glorot_normal", "HeUniform": "he_uniform", "HeNormal": "he_normal",
    "LecunUniform": "lecun_uniform", "LecunNormal": "lecun_normal", "Orthogonal": "orthogonal",
}
# 1 / std of a standard normal truncated to [-2, 2] (Keras VarianceScaling's constant).
_TRUNCATION_CORRECTION = 0.87962566103423978


def compute_fans(shape) -> tuple[float, float]:
    """Keras's fan rule: 2-D (in, out); conv kernels multiply by the receptive field."""
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _truncated_normal(rng, shape, mean, stddev):
    # Redraw values outside two standard deviations, as tf/keras truncated_normal does.
    values = rng.standard_normal(shape)
    bad = np.abs(values) > 2.0
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2.0
    return mean + stddev * values


def variance_scaling(shape, rng, scale=1.0, mode="fan_in", distribution="truncated_normal"):
    fan_in, fan_out = compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    variance = scale / max(1.0, n)
    if distribution == "truncated_normal":
        return _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / _TRUNCATION_CORRECTION)
    if distribution == "normal":
        return rng.standard_normal(shape) * math.sqrt(variance)
    limit = math.sqrt(3.0 * variance)
    return rng.uniform(-limit, limit, shape)


def orthogonal(shape, rng, gain=1.0):
    """Keras Orthogonal: QR of a normal matrix, signs fixed by diag(R)."""
    if len(shape) < 2:
        return _truncated_normal(rng, shape, 0.0, 0.05)  # Keras falls back for 1-D
    rows, cols = math.prod(shape[:-1]), shape[-1]
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)


_DRAWS = {
    "zeros": lambda shape, rng, **kw: np.zeros(shape),
    "ones": lambda shape, rng, **kw: np.ones(shape),
    "constant": lambda shape, rng, value=0.0: np.full(shape, value),
    "random_normal": lambda shape, rng, mean=0.0, stddev=0.05: rng.normal(mean, stddev, shape),
    "normal": lambda shape, rng, mean=0.0, stddev=0.05: rng.normal(mean, stddev, shape),
    "random_uniform": lambda shape, rng, minval=-0.05, maxval=0.05: rng.uniform(
        minval, maxval, shape),
    "uniform": lambda shape, rng, minval=-0.05, maxval=0.05: rng.uniform(minval, maxval, shape),
    "truncated_normal": lambda shape, rng, mean=0.0, stddev=0.05: _truncated_normal(
        rng, shape, mean, stddev),
    "glorot_uniform": lambda shape, rng: variance_scaling(shape, rng, 1.0, "fan_avg", "uniform"),
    "glorot_normal": lambda shape, rng: variance_scaling(shape, rng, 1.0, "fan_avg"),
    "he_uniform": lambda shape, rng: variance_scaling(shape, rng, 2.0, "fan_in", "uniform"),
    "he_normal": lambda shape, rng: variance_scaling(shape, rng, 2.0, "fan_in"),
    "lecun_uniform": lambda shape, rng: variance_scaling(shape, rng, 1.0, "fan_in", "uniform"),
    "lecun_normal": lambda shape, rng: variance_scaling(shape, rng, 1.0, "fan_in"),
    "orthogonal": lambda shape, rng, gain=1.0: orthogonal(shape, rng, gain),
}


def canonical_name(identifier) -> str:
    """The snake name of an initializer given as a name, Keras class name or config dict."""
    name = identifier.get("class_name") if isinstance(identifier, dict) else identifier
    name = _ALIASES.get(name, name)
    if name not in _DRAWS:
        raise SpecError(
            f"Unknown initializer {identifier!r}. Expected one of: {describe_choices(NAMES)}."
        )
    return name


def initialize(identifier, shape, rng=None) -> np.ndarray:
    """Draws a float32 array of `shape` with the initializer `identifier`.

    Args:
        identifier: A name (`"glorot_uniform"`), a Keras class name (`"GlorotUniform"`) or a
            dict `{"class_name": ..., "config": {...}}` with the initializer's arguments.
        shape: The weight shape.
        rng: A NumPy generator; defaults to the engine's seeded generator.
    """
    name = canonical_name(identifier)
    kwargs = dict(identifier.get("config", {})) if isinstance(identifier, dict) else {}
    kwargs.pop("seed", None)
    draw = _DRAWS[name]
    try:
        values = draw(tuple(shape), rng or backend.rng(), **kwargs)
    except TypeError as exc:
        raise SpecError(f"Initializer {name!r} got unexpected arguments {kwargs}: {exc}") from None
    return np.asarray(values, dtype=np.float32)
