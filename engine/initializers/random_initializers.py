"""Random initializers with Keras's formulas, defaults and config keys.

Draws happen on the CPU (NumPy), so a seed gives the same weights on every device.
"""

import math

import numpy as np

from .. import backend, registry
from ..errors import SpecError, describe_choices
from .constant_initializers import KIND, Initializer, _number

# 1 / std of a standard normal truncated to [-2, 2] (Keras VarianceScaling's constant).
TRUNCATION_CORRECTION = 0.87962566103423978
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


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


def truncated_normal(rng, shape, mean, stddev):
    """Normal values redrawn until within two standard deviations (tf/keras's rule)."""
    values = rng.standard_normal(shape)
    bad = np.abs(values) > 2.0
    while bad.any():
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2.0
    return mean + stddev * values


class RandomInitializer(Initializer):
    """Holds the seed: an int gives the same values at every call, as in Keras."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise SpecError(f"{type(self).__name__}: `seed` must be None or an integer >= 0. "
                            f"Received: seed={seed!r}")
        self.seed = None if seed is None else int(seed)
        self._drawn_seed = None

    def _generator(self):
        # Keras gives an unseeded initializer one seed for its life, so calling it twice
        # repeats its values; drawing that seed from the engine's generator (at the first
        # call) lets `set_random_seed` make it repeatable.
        seed = self.seed
        if seed is None:
            if self._drawn_seed is None:
                self._drawn_seed = int(backend.rng().integers(2**31 - 1))
            seed = self._drawn_seed
        return np.random.default_rng(seed)

    def get_config(self):
        return {"seed": self.seed}


@registry.register(KIND, "random_normal", "normal")
class RandomNormal(RandomInitializer):
    """Normal values with `mean` (default `0.0`) and `stddev` (default `0.05`)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = _number(mean, "mean", "RandomNormal")
        self.stddev = _number(stddev, "stddev", "RandomNormal")

    def draw(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@registry.register(KIND, "truncated_normal")
class TruncatedNormal(RandomNormal):
    """Like `RandomNormal`, but values beyond two standard deviations are drawn again."""

    def draw(self, shape, rng):
        return truncated_normal(rng, shape, self.mean, self.stddev)


@registry.register(KIND, "random_uniform", "uniform")
class RandomUniform(RandomInitializer):
    """Uniform values in `[minval, maxval)`; defaults `-0.05` and `0.05`."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = _number(minval, "minval", "RandomUniform")
        self.maxval = _number(maxval, "maxval", "RandomUniform")

    def draw(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@registry.register(KIND, "variance_scaling")
class VarianceScaling(RandomInitializer):
    """Scale over a fan: `n` is fan_in, fan_out or their mean, `variance = scale / n`.

    `truncated_normal` (also spelt `normal`, as Keras accepts) draws with
    `stddev = sqrt(variance) / 0.8796...`; `untruncated_normal` with `sqrt(variance)`;
    `uniform` within `±sqrt(3 * variance)`.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        scale = _number(scale, "scale", type(self).__name__)
        if scale <= 0.0:
            raise SpecError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in MODES:
            raise SpecError(f"Invalid `mode` argument: {mode!r}. Expected one of "
                            f"{describe_choices(MODES)}.")
        distribution = distribution.lower() if isinstance(distribution, str) else distribution
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in DISTRIBUTIONS:
            raise SpecError(f"Invalid `distribution` argument: {distribution!r}. Expected one "
                            f"of {describe_choices(DISTRIBUTIONS)}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def draw(self, shape, rng):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, n[self.mode])
        if self.distribution == "truncated_normal":
            return truncated_normal(rng, shape, 0.0, math.sqrt(variance) / TRUNCATION_CORRECTION)
        if self.distribution == "untruncated_normal":
            return rng.standard_normal(shape) * math.sqrt(variance)
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, shape)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed settings; its only argument is `seed`."""

    SETTINGS: tuple = ()

    def __init__(self, seed=None):
        super().__init__(*self.SETTINGS, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


@registry.register(KIND, "glorot_uniform")
class GlorotUniform(_Preset):
    """Uniform within `±sqrt(6 / (fan_in + fan_out))` (Dense and Conv kernels' default)."""

    SETTINGS = (1.0, "fan_avg", "uniform")


@registry.register(KIND, "glorot_normal")
class GlorotNormal(_Preset):
    """Truncated normal with `stddev = sqrt(2 / (fan_in + fan_out))` before truncation."""

    SETTINGS = (1.0, "fan_avg", "truncated_normal")


@registry.register(KIND, "he_uniform")
class HeUniform(_Preset):
    """Uniform within `±sqrt(6 / fan_in)`."""

    SETTINGS = (2.0, "fan_in", "uniform")


@registry.register(KIND, "he_normal")
class HeNormal(_Preset):
    """Truncated normal with `stddev = sqrt(2 / fan_in)` before truncation."""

    SETTINGS = (2.0, "fan_in", "truncated_normal")


@registry.register(KIND, "lecun_uniform")
class LecunUniform(_Preset):
    """Uniform within `±sqrt(3 / fan_in)`."""

    SETTINGS = (1.0, "fan_in", "uniform")


@registry.register(KIND, "lecun_normal")
class LecunNormal(_Preset):
    """Truncated normal with `stddev = sqrt(1 / fan_in)` before truncation."""

    SETTINGS = (1.0, "fan_in", "truncated_normal")


@registry.register(KIND, "orthogonal", "OrthogonalInitializer")
class Orthogonal(RandomInitializer):
    """An orthogonal matrix times `gain` (default `1.0`): QR of a normal matrix, signs fixed
    by `diag(R)`; conv kernels are flattened to `(prod(shape[:-1]), shape[-1])`."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = _number(gain, "gain", "Orthogonal")

    def draw(self, shape, rng):
        if len(shape) < 2:
            # Keras refuses 1-D shapes; the engine lets a bias use it (the property editor
            # offers it for every initializer field) and draws TruncatedNormal's default.
            return truncated_normal(rng, shape, 0.0, 0.05)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}
