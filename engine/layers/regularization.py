"""Regularization layers: Dropout and GaussianNoise, active only when `training=True`.

Random numbers come from the engine's generator (`backend.rng()`, seeded by
`backend.set_seed`) for NumPy inputs and from `cupy.random` (seeded by the same call) for
CuPy inputs, so a seeded run is reproducible. A layer given its own `seed` draws from a
generator of its own instead, as Keras's `seed` argument does.
"""

import numpy as np

from .. import backend, registry
from ..params import FLOAT, INT, Param
from .base import Layer

__all__ = ["Dropout", "GaussianNoise"]


def _seed_param():
    return Param("seed", INT, None, minimum=0, optional=True,
                 help="Seed of this layer's own random generator (None = the engine's).")


class _RandomLayer(Layer):
    """Picks the random source: the layer's own generator when `seed` is set."""

    CATEGORY = "Regularization"
    TRAINING_DEPENDENT = True

    def _init_generator(self):
        self._generator = None if self.seed is None else np.random.default_rng(self.seed)

    def _random(self, x, draw: str, shape=None):
        """Random numbers in x's float dtype, on x's device.

        Args:
            x: The input whose dtype and device the numbers take.
            draw: `"random"` (uniform in [0, 1)) or `"standard_normal"`.
            shape: Shape of the numbers; `None` means `x.shape`.
        """
        shape = x.shape if shape is None else shape
        dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
        if backend.is_gpu_array(x) and self._generator is None:
            return getattr(backend.xp("gpu").random, draw)(size=shape, dtype=dtype)
        # A seeded layer draws on the CPU from its own generator, then moves the numbers.
        source = backend.rng() if self._generator is None else self._generator
        values = getattr(source, draw)(size=shape, dtype=dtype)
        return backend.to_device(values, backend.device_of(x))


@registry.register("layer")
class Dropout(_RandomLayer):
    """Randomly zeroes a fraction `rate` of the inputs during training (inverted dropout).

    Kept units are scaled by `1 / (1 - rate)` so the expected sum is unchanged; at inference
    the layer is the identity. Keras requires `rate`; here it defaults to `0.5` so the GUI
    palette can create the layer without arguments. Keras's `noise_shape` is not supported.

    Args:
        rate: Fraction of units to drop, in `[0, 1)`. Defaults to `0.5`.
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Randomly drops a fraction of the inputs while training (less overfitting)."
    PARAMS = (
        Param("rate", FLOAT, 0.5, minimum=0.0, maximum=1.0, exclusive_maximum=True,
              help="Fraction of the inputs to drop while training, in [0, 1)."),
        _seed_param(),
    )

    def __init__(self, rate=0.5, seed=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(rate=rate, seed=seed)
        self._init_generator()

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        keep = self._random(x, "random") >= self.rate
        # Inverted dropout: y = x * keep / (1 - rate).
        self._mask = keep.astype(x.dtype) * (1.0 / (1.0 - self.rate))
        return x * self._mask

    def backward(self, grad):
        # dy/dx is the same mask used in forward (the identity at inference).
        return grad if self._mask is None else grad * self._mask


@registry.register("layer")
class GaussianNoise(_RandomLayer):
    """Adds zero-mean Gaussian noise during training; the identity at inference.

    Args:
        stddev: Standard deviation of the noise, in `[0, 1]` as Keras checks. Defaults to
            `0.1` (required in Keras).
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Adds random Gaussian noise to the inputs while training (augmentation)."
    PARAMS = (
        Param("stddev", FLOAT, 0.1, minimum=0.0, maximum=1.0,
              help="Standard deviation of the noise added while training."),
        _seed_param(),
    )

    def __init__(self, stddev=0.1, seed=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(stddev=stddev, seed=seed)
        self._init_generator()

    def forward(self, x, training=False):
        if not training or self.stddev == 0.0:
            return x
        noise = self._random(x, "standard_normal")
        return x + (noise * self.stddev).astype(x.dtype, copy=False)

    def backward(self, grad):
        # y = x + noise, so dL/dx = dL/dy.
        return grad
