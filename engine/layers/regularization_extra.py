"""More noise layers, active only when `training=True` and the identity at inference:
SpatialDropout1D, SpatialDropout2D, GaussianDropout and AlphaDropout (Keras's formulas).

They draw their random numbers as Dropout does (`regularization.py`): from the engine's
seeded generator, from CuPy's on the GPU, or from the layer's own generator when `seed` is
set. Keras requires `rate`; here it defaults to `0.5`, as Dropout's does, so the palette can
create the layers without arguments. `rate` must be below 1 (Keras allows 1, where the
formulas divide by zero).
"""

import math

from .. import registry
from ..errors import ShapeError, SpecError
from ..params import FLOAT, INTS, STR, Param
from .base import check_rank, format_shape
from .regularization import _RandomLayer, _seed_param

__all__ = ["AlphaDropout", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D"]

# SELU's constants (Klambauer et al., 2017), as in Keras's AlphaDropout.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
ALPHA_P = -SELU_ALPHA * SELU_SCALE  # SELU's negative saturation value


def _rate_param(help_text: str) -> Param:
    return Param("rate", FLOAT, 0.5, minimum=0.0, maximum=1.0, exclusive_maximum=True,
                 help=help_text)


class _NoiseLayer(_RandomLayer):
    """Draws noise (`_RandomLayer._random`, any shape), and keeps the multiplier backward
    needs."""

    def _inference(self, x):
        """The identity; the next backward is the identity too (unless none follows)."""
        if not self.inference_only:
            self._mask = None
        return x

    def backward(self, grad):
        # y = x * mask (+ a constant), so dL/dx = g * mask; the identity at inference.
        return grad if self._mask is None else grad * self._mask


class _SpatialDropout(_NoiseLayer):
    """Dropout of whole channels: one keep/drop draw per sample and channel."""

    RANK = 2

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.RANK, self.HINT)
        return tuple(input_shape)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            return self._inference(x)
        noise_shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (x.shape[-1],)
        keep = self._random(x, "random", noise_shape) >= self.rate
        # y = x * keep / (1 - rate), keep shared by every position of a channel.
        self._mask = keep.astype(x.dtype) * (1.0 / (1.0 - self.rate))
        return x * self._mask


@registry.register("layer")
class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels (feature maps) of a sequence while training.

    Each sample's channel is kept, scaled by `1 / (1 - rate)`, or zeroed at every step
    together, which regularizes better than Dropout when neighbouring steps are correlated.

    Args:
        rate: Fraction of the channels to drop, in `[0, 1)`. Defaults to `0.5`.
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.

    Input shape:
        `(steps, channels)`.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Drops whole channels of a sequence while training."
    HINT = "It expects (steps, channels) per sample; add a Reshape layer before it."
    PARAMS = (_rate_param("Fraction of the channels to drop while training, in [0, 1)."),
              _seed_param())

    def __init__(self, rate=0.5, seed=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(rate=rate, seed=seed)
        self._init_generator()


@registry.register("layer")
class SpatialDropout2D(_SpatialDropout):
    """Drops whole channels (feature maps) of an image while training.

    Only `data_format="channels_last"` is supported: images are `(rows, cols, channels)`
    throughout the engine. `None` means channels_last, as in a default Keras setup.

    Args:
        rate: Fraction of the channels to drop, in `[0, 1)`. Defaults to `0.5`.
        data_format: `"channels_last"` (or `None`, the same). Defaults to `None`.
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.

    Input shape:
        `(rows, cols, channels)`.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    RANK = 3
    DESCRIPTION = "Drops whole channels of an image while training."
    HINT = ("It expects (height, width, channels) per sample; add a Reshape layer, e.g. to "
            "(28, 28, 1), before it.")
    PARAMS = (
        _rate_param("Fraction of the channels to drop while training, in [0, 1)."),
        Param("data_format", STR, "channels_last", choices=("channels_last",),
              help="Images as (rows, cols, channels); the only layout the engine uses."),
        _seed_param(),
    )

    def __init__(self, rate=0.5, data_format=None, seed=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if data_format == "channels_first":
            raise SpecError(
                f"{self.name}: SpatialDropout2D supports only data_format='channels_last' "
                "(images as rows, cols, channels, the engine's layout). Received: "
                "data_format='channels_first'. Put a Permute((2, 3, 1)) before the layer to "
                "move the channels last."
            )
        self._configure(rate=rate, data_format=data_format or "channels_last", seed=seed)
        self._init_generator()


@registry.register("layer")
class GaussianDropout(_NoiseLayer):
    """Multiplies the inputs by 1-centred Gaussian noise while training.

    `y = x * n` with `n ~ Normal(1, sqrt(rate / (1 - rate)))`: the noise of Dropout with the
    same `rate`, made continuous.

    Args:
        rate: Drop probability as in Dropout, in `[0, 1)`. Defaults to `0.5`.
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Multiplies the inputs by Gaussian noise around 1 while training."
    PARAMS = (_rate_param("Drop probability; the noise has stddev sqrt(rate / (1 - rate))."),
              _seed_param())

    def __init__(self, rate=0.5, seed=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(rate=rate, seed=seed)
        self._init_generator()

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            return self._inference(x)
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        # y = x * n, n = 1 + stddev * N(0, 1).
        self._mask = self._random(x, "standard_normal") * stddev + 1.0
        return x * self._mask


@registry.register("layer")
class AlphaDropout(_NoiseLayer):
    """Dropout that keeps a SELU network self-normalizing (zero mean, unit variance).

    Dropped units are set to SELU's saturation value `alpha_p = -1.7581`, then an affine
    map restores the mean and variance: `y = a * (x * keep + alpha_p * (1 - keep)) + b` with
    `a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5` and `b = -a * alpha_p * rate`.

    Args:
        rate: Fraction of the units to drop, in `[0, 1)`. Defaults to `0.5`.
        noise_shape: Shape of the keep/drop mask, batch axis included, each entry `None`
            (the input's size), `1` (one draw shared along that axis) or the input's size;
            e.g. `(None, 1, features)` for the same mask at every step. Defaults to `None`
            (the input's shape).
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Dropout for SELU networks: keeps mean and variance of the inputs."
    PARAMS = (
        _rate_param("Fraction of the units to drop while training, in [0, 1)."),
        Param("noise_shape", INTS, None, minimum=1, optional=True,
              help="Mask shape with the batch axis, e.g. None, 1, 16 (None = input's)."),
        _seed_param(),
    )

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(rate=rate, seed=seed)
        self.noise_shape = self._checked_noise_shape(noise_shape)
        self._init_generator()

    def _checked_noise_shape(self, noise_shape):
        """Keras's noise shape: entries are None (the input's size) or positive integers."""
        if noise_shape is None:
            return None
        if not isinstance(noise_shape, (list, tuple)) or not all(
                e is None or isinstance(e, int) and not isinstance(e, bool) and e >= 1
                for e in noise_shape):
            raise SpecError(
                f"{self.name}: `noise_shape` must be a tuple of positive integers or None, "
                f"batch axis included, e.g. (None, 1, 16). Received: noise_shape={noise_shape!r}"
            )
        return tuple(noise_shape)

    def compute_output_shape(self, input_shape):
        if self.noise_shape is None:
            return tuple(input_shape)
        sizes = (None,) + tuple(input_shape)
        if len(self.noise_shape) != len(sizes) or any(
                n not in (None, 1, s) for n, s in zip(self.noise_shape[1:], sizes[1:])):
            raise ShapeError(
                f"Layer '{self.name}' (AlphaDropout) has noise_shape={list(self.noise_shape)}, "
                f"which does not fit its input {format_shape(input_shape)}: it needs "
                f"{len(sizes)} entries (batch axis first), each None, 1 or the input's size."
            )
        return tuple(input_shape)

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            return self._inference(x)
        shape = x.shape if self.noise_shape is None else tuple(
            size if n is None else n for n, size in zip(self.noise_shape, x.shape))
        keep = (self._random(x, "random", shape) >= self.rate).astype(x.dtype)
        rate = self.rate
        a = ((1.0 - rate) * (1.0 + rate * ALPHA_P ** 2)) ** -0.5
        b = -a * ALPHA_P * rate
        # y = a * (x * keep + alpha_p * (1 - keep)) + b = x * (a * keep) + constant.
        self._mask = keep * a
        return x * self._mask + ((1.0 - keep) * (a * ALPHA_P) + b)
