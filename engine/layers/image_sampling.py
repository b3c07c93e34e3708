"""Affine resampling of image batches, with its backward (RandomRotation, Zoom, Translation).

Each image `b` has a transform `[a0, a1, a2, b0, b1, b2]` (Keras's and TensorFlow's
`ImageProjectiveTransform` layout, last two entries 0) mapping an OUTPUT pixel `(x, y)` to
the INPUT point it samples: `x_in = a0*x + a1*y + a2`, `y_in = b0*x + b1*y + b2`. Points are
read by nearest or bilinear interpolation; outside the image, `fill_mode` decides (Keras's
`map_coordinates` rules): `"reflect"` (d c b a | a b c d | d c b a), `"wrap"`
(a b c d | a b c d), `"nearest"` (a a | a b c d | d d) or `"constant"` (`fill_value`).

The output is a fixed linear map of the input plus a constant, so a `SamplingPlan` keeps the
corner indices and weights: forward gathers, backward scatter-adds the same weights.
"""

import math

import numpy as np

from .. import backend

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def affine_matrix(angle_deg, scale_x, scale_y, translate_x, translate_y, height, width):
    """`(batch, 8)` transforms in Keras's layout: rotate by `angle_deg` (counter-clockwise)
    and scale about the image center, then shift by `translate_*` pixels (all per image)."""
    theta = np.asarray(angle_deg, dtype=np.float64) * (math.pi / 180.0)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    cos, sin = np.cos(theta), np.sin(theta)
    a0, a1 = scale_x * cos, -scale_x * sin
    b0, b1 = scale_y * sin, scale_y * cos
    a2 = translate_x + cx - cx * a0 - cy * a1
    b2 = translate_y + cy - cx * b0 - cy * b1
    zeros = np.zeros_like(a0)
    return np.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def _mirror(index, size, xp):
    # Triangle wave of half-period size - 1: ... 2 1 0 1 2 ... (size - 1) ...
    s = size - 1
    if s == 0:
        return xp.zeros_like(index)
    return xp.abs((index + s) % (2 * s) - s)


def _fix_index(index, size, fill_mode, xp):
    """In-range indices for `fill_mode` (constant clips; validity is tracked separately)."""
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":  # mirror about the pixel edge: d c b a | a b c d
        return (_mirror(2 * index + 1, 2 * size + 1, xp) - 1) // 2
    return xp.clip(index, 0, size - 1)


def _corners(coordinate, interpolation, xp):
    """`[(index, weight), ...]` along one axis (Keras: round half to even, or floor/+1)."""
    if interpolation == "nearest":
        return [(xp.rint(coordinate).astype(xp.int64), xp.ones_like(coordinate))]
    lower = xp.floor(coordinate)
    upper_weight = coordinate - lower
    lower = lower.astype(xp.int64)
    return [(lower, 1.0 - upper_weight), (lower + 1, upper_weight)]


class SamplingPlan:
    """Where each output pixel reads from, for a batch of `(height, width)` images.

    Args:
        transforms: `(batch, 8)` NumPy array of output-to-input transforms.
        height, width: Image size (the output has the same size).
        interpolation: `"nearest"` or `"bilinear"`.
        fill_mode: One of `FILL_MODES`.
        device: Where the plan's arrays live (the images' device).
    """

    def __init__(self, transforms, height, width, interpolation, fill_mode, device):
        xp = backend.xp(device)
        self.shape = (len(transforms), height, width)
        t = backend.to_device(np.asarray(transforms, dtype=np.float64), device)
        ys, xs = xp.meshgrid(xp.arange(height, dtype=xp.float64),
                             xp.arange(width, dtype=xp.float64), indexing="ij")
        xs, ys = xs.reshape(1, -1), ys.reshape(1, -1)
        x_in = t[:, 0:1] * xs + t[:, 1:2] * ys + t[:, 2:3]
        y_in = t[:, 3:4] * xs + t[:, 4:5] * ys + t[:, 5:6]
        self.indices, self.weights = [], []
        self.outside = xp.zeros_like(x_in)  # total weight of corners outside (constant mode)
        for row, row_w in _corners(y_in, interpolation, xp):
            for col, col_w in _corners(x_in, interpolation, xp):
                weight = row_w * col_w
                if fill_mode == "constant":
                    inside = (row >= 0) & (row < height) & (col >= 0) & (col < width)
                    self.outside += xp.where(inside, 0.0, weight)
                    weight = xp.where(inside, weight, 0.0)
                flat = (_fix_index(row, height, fill_mode, xp) * width
                        + _fix_index(col, width, fill_mode, xp))
                self.indices.append(flat)
                self.weights.append(weight)

    def forward(self, images, fill_value=0.0):
        """`(batch, height, width, channels)` images resampled by the plan."""
        xp = backend.get_array_module(images)
        b, h, w, c = images.shape
        flat = images.reshape(b, h * w, c)
        out = xp.zeros_like(flat)
        for index, weight in zip(self.indices, self.weights):
            gathered = xp.take_along_axis(flat, index[:, :, None], axis=1)
            out += weight[:, :, None].astype(images.dtype) * gathered
        if fill_value:
            out += (fill_value * self.outside[:, :, None]).astype(images.dtype)
        return out.reshape(b, h, w, c)

    def backward(self, grad):
        """dL/d(images): each output gradient goes back to the corners it read, weighted."""
        xp = backend.get_array_module(grad)
        b, h, w, c = grad.shape
        g = grad.reshape(b, h * w, c)
        base = (xp.arange(b).reshape(b, 1) * (h * w))
        total = xp.zeros(b * h * w * c, dtype=grad.dtype)
        channels = xp.arange(c).reshape(1, 1, c)
        for index, weight in zip(self.indices, self.weights):
            target = ((base + index)[:, :, None] * c + channels).ravel()
            values = (weight[:, :, None] * g).ravel()
            total += xp.bincount(target, weights=values, minlength=total.size).astype(
                grad.dtype, copy=False)
        return total.reshape(b, h, w, c)
