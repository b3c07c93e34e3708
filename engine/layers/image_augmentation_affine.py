"""Random affine augmentation: RandomRotation, RandomZoom, RandomTranslation (Keras).

Each layer draws one transform per image while training and resamples the image with
`image_sampling.SamplingPlan` (Keras's `affine_transform`: output pixel -> input point,
nearest or bilinear, `fill_mode` outside the image). At inference the layer is the identity.
Backward sends each output gradient to the input pixels it was read from, with the same
weights, for the transform drawn in the last forward pass.
"""

import numpy as np

from .. import backend, registry
from ..errors import SpecError
from ..params import FLOAT, FLOATS, STR, Param
from .image_augmentation import RandomImageLayer, seed_param
from .image_sampling import FILL_MODES, INTERPOLATIONS, SamplingPlan, affine_matrix
from .image_utils import as_float, channels_last, data_format_param

__all__ = ["RandomRotation", "RandomTranslation", "RandomZoom"]


def factor_param(name, default, help_text, optional=False) -> Param:
    return Param(name, FLOATS, default, minimum=-1.0, maximum=1.0, length=2,
                 optional=optional, help=help_text)


def as_range(value):
    """Keras's factor rule: a number `f` means `(-|f|, |f|)`; a pair is sorted."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return (-abs(float(value)), abs(float(value)))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return tuple(sorted(value))
    return value  # validate_param reports what is wrong


def _common_params():
    return (
        Param("fill_mode", STR, "reflect", choices=FILL_MODES,
              help="How points outside the image are filled."),
        Param("interpolation", STR, "bilinear", choices=INTERPOLATIONS,
              help="How pixels between grid points are read."),
        seed_param(),
        Param("fill_value", FLOAT, 0.0, help="Value outside the image when fill_mode is "
                                             "constant."),
        data_format_param(),
    )


class _AffineLayer(RandomImageLayer):
    """Draws per-image transforms in `_transforms(batch, height, width)`; resamples."""

    def _configure_common(self, fill_mode, interpolation, seed, fill_value, data_format):
        self._configure(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                        fill_value=fill_value, data_format=channels_last(self, data_format))
        self._init_generator()

    def forward(self, x, training=False):
        x = as_float(x)
        self._plan = None
        if not training:
            return x
        b, h, w, _ = x.shape
        self._plan = SamplingPlan(self._transforms(b, h, w), h, w, self.interpolation,
                                  self.fill_mode, backend.device_of(x))
        return self._plan.forward(x, self.fill_value)

    def backward(self, grad):
        return grad if self._plan is None else self._plan.backward(grad)


@registry.register("layer")
class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle while training (about its center).

    Args:
        factor: Fraction of a full turn: a number `f` means angles in `[-f, f] * 360`
            degrees, a pair `(lower, upper)` means `[lower, upper] * 360`. Positive is
            counter-clockwise. Defaults to `0.1` (required in Keras).
        fill_mode: `"reflect"`, `"wrap"`, `"constant"` or `"nearest"`. Defaults to
            `"reflect"`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        seed: Seed of the layer's own generator; `None` uses the engine's seeded generator.
        fill_value: Value outside the image with `fill_mode="constant"`. Defaults to `0.0`.
        data_format: Only `"channels_last"` (Keras's `None` means the same).

    Input shape:
        `(height, width, channels)`.
    Output shape:
        Same as the input.
    """

    DESCRIPTION = "Randomly rotates images while training (augmentation)."
    PARAMS = (factor_param("factor", (-0.1, 0.1),
                           "Angle range as a fraction of a full turn (0.1 = ±36°)."),
              *_common_params())

    def __init__(self, factor=0.1, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(factor=as_range(factor))
        self._configure_common(fill_mode, interpolation, seed, fill_value, data_format)

    def _transforms(self, batch, height, width):
        lower, upper = self.factor
        angles = self._uniform(lower * 360.0, upper * 360.0, batch)
        return affine_matrix(angles, 1.0, 1.0, 0.0, 0.0, height, width)


@registry.register("layer")
class RandomZoom(_AffineLayer):
    """Zooms each image in or out by a random amount while training (about its center).

    A factor `z` drawn from `[1 + lower, 1 + upper]` scales the sampled area: positive
    factors zoom out (the image looks smaller), negative ones zoom in.

    Args:
        height_factor: A number `f` (range `[-f, f]`) or a pair `(lower, upper)`, each in
            `(-1, 1]`. Defaults to `0.1` (required in Keras).
        width_factor: Same for the width; `None` zooms both axes by the height's draw
            (keeping the aspect ratio). Defaults to `None`.
        fill_mode, interpolation, seed, fill_value, data_format: As in `RandomRotation`.

    Input shape:
        `(height, width, channels)`.
    Output shape:
        Same as the input.
    """

    DESCRIPTION = "Randomly zooms images in or out while training (augmentation)."
    PARAMS = (factor_param("height_factor", (-0.1, 0.1),
                           "Zoom range, e.g. 0.1 = up to 10% in or out."),
              factor_param("width_factor", None, "Zoom range of the width (None = same "
                                                 "zoom as the height).", optional=True),
              *_common_params())

    def __init__(self, height_factor=0.1, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(height_factor=as_range(height_factor),
                        width_factor=as_range(width_factor))
        for key in ("height_factor", "width_factor"):
            value = getattr(self, key)
            if value is not None and value[0] <= -1.0:
                raise SpecError(
                    f"Layer '{self.name}' (RandomZoom): `{key}` must lie in (-1, 1] (a zoom "
                    f"factor of 1 + {value[0]} leaves nothing to show). Received: "
                    f"{key}={value}. Fix: use a lower bound above -1, e.g. -0.5."
                )
        self._configure_common(fill_mode, interpolation, seed, fill_value, data_format)

    def _transforms(self, batch, height, width):
        zoom_y = 1.0 + self._uniform(*self.height_factor, batch)
        zoom_x = zoom_y if self.width_factor is None else \
            1.0 + self._uniform(*self.width_factor, batch)
        return affine_matrix(np.zeros(batch), zoom_x, zoom_y, 0.0, 0.0, height, width)


@registry.register("layer")
class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its size while training.

    Args:
        height_factor: Vertical shift as a fraction of the height: a number `f` means
            `[-f, f]`, a pair `(lower, upper)` that range; positive moves the image down.
            Defaults to `0.1` (required in Keras).
        width_factor: Horizontal shift as a fraction of the width; positive moves the image
            right. Defaults to `0.1` (required in Keras).
        fill_mode, interpolation, seed, fill_value, data_format: As in `RandomRotation`.

    Input shape:
        `(height, width, channels)`.
    Output shape:
        Same as the input.
    """

    DESCRIPTION = "Randomly shifts images while training (augmentation)."
    PARAMS = (factor_param("height_factor", (-0.1, 0.1),
                           "Vertical shift range as a fraction of the height."),
              factor_param("width_factor", (-0.1, 0.1),
                           "Horizontal shift range as a fraction of the width."),
              *_common_params())

    def __init__(self, height_factor=0.1, width_factor=0.1, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(height_factor=as_range(height_factor),
                        width_factor=as_range(width_factor))
        self._configure_common(fill_mode, interpolation, seed, fill_value, data_format)

    def _transforms(self, batch, height, width):
        shift_y = self._uniform(*self.height_factor, batch) * height
        shift_x = self._uniform(*self.width_factor, batch) * width
        # Output (x, y) reads input (x - shift_x, y - shift_y).
        return affine_matrix(np.zeros(batch), 1.0, 1.0, -shift_x, -shift_y, height, width)
