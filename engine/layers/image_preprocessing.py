"""Image preprocessing layers: Resizing and CenterCrop (Keras semantics, channels-last).

Both are deterministic and differentiable: a crop passes gradients back to the pixels it
kept, and a resize is a fixed linear map whose transpose is its backward (see
`image_utils.SeparableResize`).
"""

from .. import backend, registry
from ..errors import SpecError
from ..params import BOOL, FLOAT, STR, Param
from .base import Layer
from .image_utils import (RESIZE_INTERPOLATIONS, SeparableResize, as_float, aspect_crop_box,
                          aspect_pad, channels_last, check_image_shape, data_format_param,
                          size_param)

__all__ = ["CenterCrop", "Resizing"]


class _ImageLayer(Layer):
    CATEGORY = "Preprocessing"

    def compute_output_shape(self, input_shape):
        check_image_shape(self, input_shape)
        return (self.height, self.width, input_shape[2])

    def _resizer(self, in_hw, interpolation="bilinear", antialias=False):
        """One SeparableResize per input size (eager calls may use several)."""
        cache = self.__dict__.setdefault("_resizers", {})
        key = (tuple(in_hw), interpolation, antialias)
        if key not in cache:
            cache[key] = SeparableResize(in_hw, (self.height, self.width), interpolation,
                                         antialias)
        return cache[key]


@registry.register("layer")
class Resizing(_ImageLayer):
    """Resizes images to `(height, width)` (Keras `Resizing`, half-pixel centers).

    Keras requires `height` and `width`; here they default to `224` so the palette can
    create the layer. Integer images are cast to the engine's float type first. Keras's
    `"bicubic"`, `"lanczos3"`, `"lanczos5"` and `"area"` interpolations are not available.

    Args:
        height: Output height. Defaults to `224`.
        width: Output width. Defaults to `224`.
        interpolation: `"bilinear"` or `"nearest"`. Defaults to `"bilinear"`.
        crop_to_aspect_ratio: Crop the largest centered window of the target aspect ratio
            before resizing, so nothing is stretched. Defaults to `False`.
        pad_to_aspect_ratio: Pad (with `fill_value`) to the target aspect ratio before
            resizing instead. Defaults to `False`.
        fill_mode: How padding is filled; only `"constant"`, as in Keras.
        fill_value: The padding value. Defaults to `0.0`.
        antialias: Widen the bilinear kernel when downsampling (less aliasing). Defaults
            to `False`.
        data_format: Only `"channels_last"` (Keras's `None` means the same).

    Input shape:
        `(height, width, channels)`.
    Output shape:
        `(self.height, self.width, channels)`.
    """

    DESCRIPTION = "Resizes images to a fixed height and width (bilinear or nearest)."
    PARAMS = (
        size_param("height", 224),
        size_param("width", 224),
        Param("interpolation", STR, "bilinear", choices=RESIZE_INTERPOLATIONS,
              help="How new pixels are computed from the old ones."),
        Param("crop_to_aspect_ratio", BOOL, False,
              help="Crop to the target aspect ratio first (no stretching)."),
        Param("pad_to_aspect_ratio", BOOL, False,
              help="Pad to the target aspect ratio first (no stretching)."),
        Param("fill_mode", STR, "constant", choices=("constant",),
              help="How padding is filled (constant: fill_value)."),
        Param("fill_value", FLOAT, 0.0, help="Value of the padding pixels."),
        Param("antialias", BOOL, False, help="Smooth before downsampling (bilinear only)."),
        data_format_param(),
    )

    def __init__(self, height=224, width=224, interpolation="bilinear",
                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_mode="constant",
                 fill_value=0.0, antialias=False, data_format=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(height=height, width=width, interpolation=interpolation,
                        crop_to_aspect_ratio=crop_to_aspect_ratio,
                        pad_to_aspect_ratio=pad_to_aspect_ratio, fill_mode=fill_mode,
                        fill_value=fill_value, antialias=antialias,
                        data_format=channels_last(self, data_format))
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise SpecError(
                f"Layer '{self.name}' (Resizing): only one of `crop_to_aspect_ratio` and "
                "`pad_to_aspect_ratio` can be True. Received: both True. Fix: set one of "
                "them to False."
            )

    def forward(self, x, training=False):
        x = as_float(x)
        _, h, w, _ = x.shape
        self._in_shape, self._box, self._pad = x.shape, None, None
        if self.crop_to_aspect_ratio:
            self._box = aspect_crop_box(h, w, self.height, self.width)
            top, left, ch, cw = self._box
            x = x[:, top:top + ch, left:left + cw, :]
        elif self.pad_to_aspect_ratio:
            self._pad = aspect_pad(h, w, self.height, self.width)
            x = _pad(x, *self._pad, self.fill_value)
        self._plan = self._resizer(x.shape[1:3], self.interpolation, self.antialias)
        return self._plan.forward(x)

    def backward(self, grad):
        g = self._plan.backward(grad)
        if self._box is not None:
            top, left, _, _ = self._box
            return _uncrop(g, self._in_shape, top, left)
        if self._pad is not None:
            rows, cols = self._pad
            return g[:, rows:g.shape[1] - rows, cols:g.shape[2] - cols, :]
        return g


@registry.register("layer")
class CenterCrop(_ImageLayer):
    """Crops the central `(height, width)` window of each image (Keras `CenterCrop`).

    When an image is smaller than the target along an axis, Keras's rule applies: the
    largest centered window of the target aspect ratio is cropped and resized (bilinear)
    to `(height, width)`. Keras requires `height` and `width`; here they default to `224`.

    Args:
        height: Output height. Defaults to `224`.
        width: Output width. Defaults to `224`.
        data_format: Only `"channels_last"` (Keras's `None` means the same).

    Input shape:
        `(height, width, channels)`.
    Output shape:
        `(self.height, self.width, channels)`.
    """

    DESCRIPTION = "Crops the center of each image to a fixed height and width."
    PARAMS = (size_param("height", 224), size_param("width", 224), data_format_param())

    def __init__(self, height=224, width=224, data_format=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(height=height, width=width,
                        data_format=channels_last(self, data_format))

    def forward(self, x, training=False):
        x = as_float(x)
        _, h, w, _ = x.shape
        self._in_shape, self._plan = x.shape, None
        if h >= self.height and w >= self.width:
            self._box = ((h - self.height) // 2, (w - self.width) // 2)
            top, left = self._box
            return x[:, top:top + self.height, left:left + self.width, :]
        top, left, ch, cw = aspect_crop_box(h, w, self.height, self.width)
        self._box = (top, left)
        self._plan = self._resizer((ch, cw))
        return self._plan.forward(x[:, top:top + ch, left:left + cw, :])

    def backward(self, grad):
        if self._plan is not None:
            grad = self._plan.backward(grad)
        return _uncrop(grad, self._in_shape, *self._box)


def _uncrop(grad, in_shape, top, left):
    """Zeros of the input's shape with `grad` placed where the crop was taken."""
    xp = backend.get_array_module(grad)
    full = xp.zeros(in_shape, dtype=grad.dtype)
    full[:, top:top + grad.shape[1], left:left + grad.shape[2], :] = grad
    return full


def _pad(x, rows, cols, value):
    xp = backend.get_array_module(x)
    b, h, w, c = x.shape
    out = xp.full((b, h + 2 * rows, w + 2 * cols, c), value, dtype=x.dtype)
    out[:, rows:rows + h, cols:cols + w, :] = x
    return out
