"""Helpers shared by the image preprocessing and augmentation layers (channels-last only).

Resizing is separable: along height and along width the output is a fixed linear map of the
input, `out = A @ in`, with `A` an `(out_size, in_size)` matrix built here in NumPy (Keras's
NumPy backend builds the same matrices). Forward is two matrix products; backward multiplies
by the transposes, so every resize is exactly differentiable and runs as matmuls on a GPU.
"""

import numpy as np

from .. import backend
from ..errors import ShapeError, SpecError
from ..params import INT, STR, Param
from .base import format_shape

CHANNELS_LAST = "channels_last"
#: Interpolations the resizing layers implement (Keras also has bicubic, lanczos, area).
RESIZE_INTERPOLATIONS = ("bilinear", "nearest")


def data_format_param() -> Param:
    """Keras's `data_format`, shown with its one supported value so configs read the same."""
    return Param("data_format", STR, CHANNELS_LAST, choices=(CHANNELS_LAST,),
                 help="Channels as the last axis, (height, width, channels): the only layout.")


def size_param(name: str, default: int) -> Param:
    return Param(name, INT, default, minimum=1, help=f"Output {name} in pixels.")


def channels_last(layer, data_format) -> str:
    """`"channels_last"` for `None` or `"channels_last"`; a SpecError with the fix otherwise."""
    if data_format is None or data_format == CHANNELS_LAST:
        return CHANNELS_LAST
    raise SpecError(
        f"Layer '{layer.name}' ({type(layer).__name__}) supports only "
        f"data_format='channels_last': images as (height, width, channels). Received: "
        f"data_format={data_format!r}. Fix: leave data_format unset and put a "
        "Permute((2, 3, 1)) before the layer to move the channels last."
    )


def check_image_shape(layer, input_shape) -> tuple:
    """Returns `(height, width, channels)`, or raises a ShapeError naming the layer."""
    if not isinstance(input_shape, tuple) or len(input_shape) != 3:
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects images of shape "
            f"(height, width, channels), but received {format_shape(input_shape)}. Add a "
            "channels axis, e.g. Reshape((28, 28, 1)), or feed (batch, height, width, "
            "channels) images."
        )
    return input_shape


def as_float(x):
    """Integer images (uint8 pixels) become the engine's float type, as Keras casts them."""
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(backend.FLOATX)


# ----- resize matrices ---------------------------------------------------------------------
def resize_matrix(in_size: int, out_size: int, interpolation: str,
                  antialias: bool = False) -> np.ndarray:
    """The `(out_size, in_size)` matrix of a 1-D resize with half-pixel centers.

    Bilinear is Keras's triangle kernel, `w = max(0, 1 - |s - i|)` at the sample position
    `s = (o + 0.5) * in / out - 0.5`, renormalized where the kernel leaves the image (so
    edges repeat the border pixel, as TensorFlow's `resize`). With `antialias`, a
    downsampling kernel is widened by `in / out`. Nearest picks `floor((o + 0.5) * in / out)`.
    """
    if interpolation == "nearest":
        picks = np.floor((np.arange(out_size) + 0.5) * in_size / out_size).astype(np.int64)
        matrix = np.zeros((out_size, in_size))
        matrix[np.arange(out_size), np.minimum(picks, in_size - 1)] = 1.0
        return matrix
    inv_scale = in_size / out_size
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(out_size) + 0.5) * inv_scale - 0.5
    distance = np.abs(sample[:, None] - np.arange(in_size)[None, :]) / kernel_scale
    weights = np.maximum(0.0, 1.0 - distance)
    total = weights.sum(axis=1, keepdims=True)
    return np.where(total > 0, weights / np.where(total > 0, total, 1.0), 0.0)


class SeparableResize:
    """`y = A_h x A_w^T` per image and channel, with its exact transpose for backward."""

    def __init__(self, in_hw, out_hw, interpolation, antialias=False):
        self.in_hw, self.out_hw = tuple(in_hw), tuple(out_hw)
        self._host = (resize_matrix(in_hw[0], out_hw[0], interpolation, antialias),
                      resize_matrix(in_hw[1], out_hw[1], interpolation, antialias))
        self._cache = {}

    def _matrices(self, x):
        key = (backend.device_of(x), np.dtype(x.dtype).str)
        if key not in self._cache:
            self._cache[key] = tuple(backend.to_device(m, key[0], dtype=x.dtype)
                                     for m in self._host)
        return self._cache[key]

    def forward(self, x):
        a_h, a_w = self._matrices(x)
        b, h, w, c = x.shape
        (oh, ow) = self.out_hw
        y = a_h @ x.reshape(b, h, w * c)  # (oh, h) @ (b, h, w*c): rows
        y = a_w @ y.reshape(b * oh, w, c)  # (ow, w) @ (b*oh, w, c): columns
        return y.reshape(b, oh, ow, c)

    def backward(self, grad):
        # y = A_h x A_w^T  =>  dL/dx = A_h^T g A_w (the same two products, transposed).
        a_h, a_w = self._matrices(grad)
        b, oh, ow, c = grad.shape
        h, w = self.in_hw
        g = a_w.T @ grad.reshape(b * oh, ow, c)
        g = a_h.T @ g.reshape(b, oh, w * c)
        return g.reshape(b, h, w, c)


# ----- aspect-ratio boxes (Keras's smart_resize and crop/pad_to_aspect_ratio) -------------
def aspect_crop_box(height, width, target_height, target_width):
    """`(top, left, crop_height, crop_width)`: the largest centered window of the target's
    aspect ratio, with Keras's integer rounding."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


def aspect_pad(height, width, target_height, target_width):
    """`(pad_rows, pad_cols)` added on each side to reach the target's aspect ratio (Keras
    pads one axis only, the same amount on both sides)."""
    pad_height = max(height, int(float(width * target_height) / target_width))
    pad_width = max(width, int(float(height * target_width) / target_height))
    rows = int(float(pad_height - height) / 2)
    cols = int(float(pad_width - width) / 2) if rows == 0 else 0
    return rows, cols
