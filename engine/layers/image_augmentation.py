"""Random image augmentation: RandomFlip, RandomContrast, RandomCrop (Keras semantics).

Augmentation runs only when `training=True` (inside `fit`); `predict` and `evaluate` see
the identity (RandomCrop: its inference rule). As in Keras, calling one of these layers
directly on an array (`layer(images)`) counts as training, so it augments; pass
`training=False` to see the inference output. The rotation, zoom and translation layers live
in `image_augmentation_affine`.

Random numbers come from the engine's generator (`backend.rng()`, seeded by
`backend.set_seed`), or from the layer's own generator when it has a `seed`. They are drawn
on the CPU (a few per image) so a seeded run gives the same augmentation on CPU and GPU.
"""

import numpy as np

from .. import backend, registry
from ..params import FLOATS, INT, STR, Param
from .base import Layer
from .image_utils import (SeparableResize, as_float, aspect_crop_box, channels_last,
                          check_image_shape, data_format_param, size_param)

__all__ = ["RandomContrast", "RandomCrop", "RandomFlip"]


def seed_param() -> Param:
    return Param("seed", INT, None, minimum=0, optional=True,
                 help="Seed of this layer's own random generator (None = the engine's).")


class RandomImageLayer(Layer):
    """Channels-last images; random numbers from the layer's or the engine's generator."""

    CATEGORY = "Preprocessing"
    TRAINING_DEPENDENT = True

    def _init_generator(self):
        self._generator = None if self.seed is None else np.random.default_rng(self.seed)

    def _uniform(self, low, high, size):
        """`size` uniform numbers in `[low, high)` as a float64 NumPy array."""
        source = backend.rng() if self._generator is None else self._generator
        return source.uniform(low, high, size=size)

    def __call__(self, inputs, training: bool = True):
        # Keras's augmentation layers default to `training=True` when called directly.
        return super().__call__(inputs, training=training)

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        return tuple(input_shape)


@registry.register("layer")
class RandomFlip(RandomImageLayer):
    """Randomly flips each image left-right and/or top-bottom while training.

    Each image is flipped with probability 1/2. In `"horizontal_and_vertical"` mode one
    draw per image decides both flips, as in Keras 3 (so an image is either flipped both
    ways or left as is).

    Args:
        mode: `"horizontal"`, `"vertical"` or `"horizontal_and_vertical"`. Defaults to
            `"horizontal_and_vertical"`.
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.
        data_format: Only `"channels_last"` (Keras's `None` means the same).

    Input shape:
        `(height, width, channels)`.
    Output shape:
        Same as the input.
    """

    DESCRIPTION = "Randomly mirrors images while training (augmentation)."
    PARAMS = (
        Param("mode", STR, "horizontal_and_vertical",
              choices=("horizontal", "vertical", "horizontal_and_vertical"),
              help="Left-right (horizontal), top-bottom (vertical) or both."),
        seed_param(),
        data_format_param(),
    )

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, name=None,
                 trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(mode=mode, seed=seed, data_format=channels_last(self, data_format))
        self._init_generator()

    def forward(self, x, training=False):
        x = as_float(x)
        self._flips = None
        if not training:
            return x
        self._flips = np.flatnonzero(self._uniform(0.0, 1.0, len(x)) <= 0.5)
        return self._flip(x)

    def _flip(self, x):
        if self._flips.size == 0:
            return x
        picks = backend.to_device(self._flips, backend.device_of(x))
        out = x.copy()
        chosen = out[picks]
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            chosen = chosen[:, :, ::-1]
        if self.mode in ("vertical", "horizontal_and_vertical"):
            chosen = chosen[:, ::-1]
        out[picks] = chosen
        return out

    def backward(self, grad):
        # A flip only moves pixels and is its own inverse: flip the gradient back.
        return grad if self._flips is None else self._flip(grad)


@registry.register("layer")
class RandomContrast(RandomImageLayer):
    """Randomly changes each image's contrast while training.

    Per image, a factor `f` is drawn from `[1 - lower, 1 + upper]` and each channel becomes
    `(x - mean) * f + mean` (mean over height and width), clipped to `value_range`. A single
    number `factor` means `lower = upper = factor`, as Keras documents. (Keras 3's code
    turns a single number into `[1, 1 + factor]`; a pair means the same in both.)

    Args:
        factor: A number in `[0, 1]` or a pair `(lower, upper)`. Defaults to `0.2`
            (required in Keras).
        value_range: `(low, high)` range of the pixel values. Defaults to `(0, 255)`.
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.

    Input shape:
        `(height, width, channels)`.
    Output shape:
        Same as the input.
    """

    DESCRIPTION = "Randomly changes image contrast while training (augmentation)."
    PARAMS = (
        Param("factor", FLOATS, (0.2, 0.2), minimum=0.0, maximum=1.0, length=2,
              help="Contrast factor range [1 - lower, 1 + upper]; one number for both."),
        Param("value_range", FLOATS, (0.0, 255.0), length=2,
              help="Range of the pixel values (low, high); outputs are clipped to it."),
        seed_param(),
    )

    def __init__(self, factor=0.2, value_range=(0, 255), seed=None, name=None,
                 trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(factor=factor, value_range=value_range, seed=seed)
        self.factor = tuple(sorted(self.factor))
        self._init_generator()

    def forward(self, x, training=False):
        x = as_float(x)
        self._contrast = None
        if not training:
            return x
        lower, upper = self.factor
        factors = self._uniform(1.0 - lower, 1.0 + upper, (len(x), 1, 1, 1))
        f = backend.to_device(factors, backend.device_of(x), dtype=x.dtype)
        mean = x.mean(axis=(1, 2), keepdims=True)
        y = (x - mean) * f + mean
        low, high = self.value_range
        self._contrast, self._inside = f, (y >= low) & (y <= high)
        xp = backend.get_array_module(x)
        return xp.clip(y, low, high)

    def backward(self, grad):
        if self._contrast is None:
            return grad
        # y = f x + (1 - f) mean(x), clipped: dL/dx = f g + (1 - f) mean(g), g masked by clip.
        g = grad * self._inside
        f = self._contrast
        return f * g + (1.0 - f) * g.mean(axis=(1, 2), keepdims=True)


@registry.register("layer")
class RandomCrop(RandomImageLayer):
    """Crops a random `(height, width)` window while training (one place per batch).

    At inference, and in training when the image is not larger than the target along both
    axes, the largest centered window of the target aspect ratio is cropped and resized
    (bilinear) to `(height, width)`, as Keras documents. (Keras 3's code returns the image
    unchanged at inference, which breaks its own output shape; the engine keeps the shape.)
    Keras requires `height` and `width`; here they default to `224`.

    Args:
        height: Output height. Defaults to `224`.
        width: Output width. Defaults to `224`.
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.
        data_format: Only `"channels_last"` (Keras's `None` means the same).

    Input shape:
        `(height, width, channels)`.
    Output shape:
        `(self.height, self.width, channels)`.
    """

    DESCRIPTION = "Crops a random window of each image while training (augmentation)."
    PARAMS = (size_param("height", 224), size_param("width", 224), seed_param(),
              data_format_param())

    def __init__(self, height=224, width=224, seed=None, data_format=None, name=None,
                 trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(height=height, width=width, seed=seed,
                        data_format=channels_last(self, data_format))
        self._init_generator()

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        return (self.height, self.width, input_shape[2])

    def forward(self, x, training=False):
        x = as_float(x)
        _, h, w, _ = x.shape
        self._in_shape, self._plan = x.shape, None
        if training and h > self.height and w > self.width:
            top = int(self._uniform(0.0, h - self.height + 1, ()))
            left = int(self._uniform(0.0, w - self.width + 1, ()))
            ch, cw = self.height, self.width
        else:
            top, left, ch, cw = aspect_crop_box(h, w, self.height, self.width)
        self._box = (top, left)
        window = x[:, top:top + ch, left:left + cw, :]
        if (ch, cw) == (self.height, self.width):
            return window
        resizers = self.__dict__.setdefault("_resizers", {})
        if (ch, cw) not in resizers:
            resizers[(ch, cw)] = SeparableResize((ch, cw), (self.height, self.width),
                                                 "bilinear")
        self._plan = resizers[(ch, cw)]
        return self._plan.forward(window)

    def backward(self, grad):
        if self._plan is not None:
            grad = self._plan.backward(grad)
        xp = backend.get_array_module(grad)
        full = xp.zeros(self._in_shape, dtype=grad.dtype)
        top, left = self._box
        full[:, top:top + grad.shape[1], left:left + grad.shape[2], :] = grad
        return full
