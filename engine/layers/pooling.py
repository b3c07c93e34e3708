"""Pooling layers (channels-last): max and average over windows, and global pooling.

Window pooling works on a strided *view* of the (padded) input of shape
`(batch, *out_spatial, channels, *pool_size)`, so there is no loop over samples or pixels:
forward and backward loop only over the `prod(pool_size)` cell positions of a window, each
step one vectorised operation over the whole batch. When windows tile the input
(`strides == pool_size`, no padding, as in the 2x2 default) the view is a plain reshape
`(N, H/2, 2, W/2, 2, C)`, and max pooling runs one spatial axis at a time
(`pooling_tiled`). Max pooling finds the winning cell (first one on ties) only in backward,
so inference pays for the max alone.

Padding follows TensorFlow/Keras: `"valid"` drops windows that would leave the input;
`"same"` gives `ceil(size / stride)` outputs, padding `total // 2` before and the rest after.
Padded cells never win a max (they hold -inf) and are not counted by an average.
"""

from dataclasses import dataclass
import itertools
import math

import numpy as np

from .. import backend, registry
from ..errors import ShapeError
from ..params import INT, INTS, STR, Param
from .base import Layer, check_rank, format_shape
from .pooling_tiled import tiled_max_backward, tiled_max_forward

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D"]

PADDING_CHOICES = ("valid", "same")
HINTS = {
    1: "It expects (steps, features) per sample; add a Reshape layer before it.",
    2: "It expects (height, width, channels) per sample; add a Reshape layer, e.g. to "
       "(28, 28, 1), before it.",
}


# ----- window geometry ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Geometry:
    """Where the windows of one input shape lie (all tuples have one entry per spatial axis)."""

    size: tuple  # spatial input size
    pool: tuple
    strides: tuple
    out: tuple
    pads: tuple  # (before, after) per axis

    @property
    def tiles(self) -> bool:
        """Whether windows tile the input without overlap or padding (reshape fast path)."""
        return self.strides == self.pool and not any(b or a for b, a in self.pads)

    def counts(self):
        """Real (non-pad) elements per window, shape `(*out, 1)`, or an int when all are full."""
        if not any(b or a for b, a in self.pads):
            return math.prod(self.pool)
        total = np.ones((), dtype=np.int64)
        for size, pool, stride, out, (before, _) in zip(
                self.size, self.pool, self.strides, self.out, self.pads):
            start = np.arange(out) * stride - before
            count = np.minimum(start + pool, size) - np.maximum(start, 0)
            total = np.multiply.outer(total, count)
        return total[..., None]


def _geometry(size, pool, strides, padding) -> _Geometry:
    out, pads = [], []
    for n, p, s in zip(size, pool, strides):
        if padding == "same":
            o = -(-n // s)  # ceil(n / s)
            total = max((o - 1) * s + p - n, 0)
            pads.append((total // 2, total - total // 2))
        else:
            o = (n - p) // s + 1
            pads.append((0, 0))
        out.append(o)
    return _Geometry(tuple(size), tuple(pool), tuple(strides), tuple(out), tuple(pads))


def _windows(x, geo: _Geometry, pad_value: float):
    """A view of shape `(N, *out, C, *pool)`: `view[n, i, j, c, a, b]` is a window cell."""
    xp = backend.get_array_module(x)
    k = len(geo.pool)
    if geo.tiles:
        crop = (slice(None),) + tuple(slice(0, o * p) for o, p in zip(geo.out, geo.pool))
        blocks = x[crop].reshape((x.shape[0],) + _interleave(geo.out, geo.pool) + x.shape[-1:])
        return blocks.transpose(_tile_order(k))
    if any(b or a for b, a in geo.pads):
        x = xp.pad(x, ((0, 0),) + geo.pads + ((0, 0),), constant_values=pad_value)
    step = x.strides[1:-1]
    shape = (x.shape[0],) + geo.out + (x.shape[-1],) + geo.pool
    strides = ((x.strides[0],) + tuple(s * st for s, st in zip(step, geo.strides))
               + (x.strides[-1],) + step)
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def _offsets(pool) -> list:
    """Cell positions inside a window, in row-major order (index k = flat cell index)."""
    return list(itertools.product(*(range(p) for p in pool)))


def _reduce_cells(windows, pool, ufunc):
    """`ufunc`-reduction (`xp.maximum`, `xp.add`) over the cells of each window: one
    vectorised step per cell position, `(N, *out, C)` result."""
    offsets = _offsets(pool)
    out = windows[(Ellipsis,) + offsets[0]].copy()
    for offset in offsets[1:]:
        ufunc(out, windows[(Ellipsis,) + offset], out=out)
    return out


def _first_max_grads(windows, best, grad, pool):
    """Yields, cell by cell, `grad` where that cell is its window's first maximum, else 0."""
    xp = backend.get_array_module(grad)
    unclaimed = xp.ones(best.shape, dtype=bool)
    for offset in _offsets(pool):
        hit = (windows[(Ellipsis,) + offset] == best) & unclaimed  # a tie goes to the first
        unclaimed ^= hit  # hit is a subset of unclaimed
        yield xp.where(hit, grad, 0)


def _fold(cell_grads, geo: _Geometry, input_shape, like):
    """dL/dx from window-cell gradients.

    Args:
        cell_grads: Iterable of `(N, *out, C)` arrays in `_offsets` order: the gradient
            reaching cell k of every window, added onto the input cell it was read from.
        geo: The windows' geometry.
        input_shape: Shape of x, batch axis included.
        like: An array whose module and dtype dx takes.
    """
    xp = backend.get_array_module(like)
    n, c = input_shape[0], input_shape[-1]
    padded = tuple(s + b + a for s, (b, a) in zip(geo.size, geo.pads))
    # Exact tiles write every cell once, so dx needs no zeroing and no read-modify-write.
    exact = geo.tiles and all(o * p == s for o, p, s in zip(geo.out, geo.pool, geo.size))
    dx = (xp.empty if exact else xp.zeros)((n,) + padded + (c,), dtype=like.dtype)
    for offset, cell_grad in zip(_offsets(geo.pool), cell_grads):
        # Within one offset every window reads a different cell, so `+=` cannot collide.
        cells = (slice(None),) + tuple(slice(o, o + s * (m - 1) + 1, s)
                                       for o, s, m in zip(offset, geo.strides, geo.out))
        if exact:
            dx[cells] = cell_grad
        else:
            dx[cells] += cell_grad
    if padded == geo.size:
        return dx
    real = tuple(slice(b, b + s) for s, (b, _) in zip(geo.size, geo.pads))
    return dx[(slice(None),) + real]


def _interleave(out, pool):
    return tuple(v for pair in zip(out, pool) for v in pair)


def _tile_order(k):
    """Axes of `(N, o1, p1, ..., ok, pk, C)` reordered to `(N, o1..ok, C, p1..pk)`."""
    return (0,) + tuple(1 + 2 * i for i in range(k)) + (1 + 2 * k,) + tuple(
        2 + 2 * i for i in range(k))


# ----- window pooling layers ----------------------------------------------------------------
class _Pooling(Layer):
    """Shared machinery of MaxPooling*/AveragePooling* (`RANK` spatial axes)."""

    CATEGORY = "Pooling"
    RANK = 2

    def __init__(self, pool_size, strides, padding, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(padding, str):
            padding = padding.lower()  # Keras accepts "SAME"
        self._configure(pool_size=_unwrap(pool_size, self.RANK),
                        strides=_unwrap(strides, self.RANK), padding=padding)

    @property
    def pool(self) -> tuple:
        return self.pool_size if self.RANK > 1 else (self.pool_size,)

    @property
    def stride_steps(self) -> tuple:
        """The effective strides (`strides=None` means `pool_size`, as in Keras)."""
        if self.strides is None:
            return self.pool
        return self.strides if self.RANK > 1 else (self.strides,)

    def _geometry_for(self, input_shape) -> _Geometry:
        check_rank(self, input_shape, self.RANK + 1, HINTS[self.RANK])
        # A None (variable) size stands in as one window here; compute_output_shape puts the
        # None back. At run time the data's sizes are known.
        spatial = tuple(p if n is None else n for n, p in zip(input_shape[:-1], self.pool))
        if self.padding == "valid" and any(n < p for n, p in zip(spatial, self.pool)):
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) with padding='valid' needs every "
                f"spatial size >= pool_size {self.pool}, but received shape "
                f"{format_shape(input_shape)}. Use padding='same' or a smaller pool_size."
            )
        return _geometry(spatial, self.pool, self.stride_steps, self.padding)

    def compute_output_shape(self, input_shape):
        out = self._geometry_for(input_shape).out
        out = tuple(None if n is None else o for o, n in zip(out, input_shape[:-1]))
        return out + (input_shape[-1],)


def _unwrap(value, rank):
    """`(2,)` -> `2` for 1-D layers, whose Keras arguments are single ints."""
    if rank == 1 and isinstance(value, (list, tuple)) and len(value) == 1:
        return value[0]
    return value


def _pool_params(rank, default):
    kind, length = (INT, None) if rank == 1 else (INTS, rank)
    return (
        Param("pool_size", kind, default, minimum=1, length=length,
              help="Size of the pooling window."),
        Param("strides", kind, None, minimum=1, length=length, optional=True,
              help="Step between windows (None = pool_size)."),
        Param("padding", STR, "valid", choices=PADDING_CHOICES,
              help="'valid' drops partial windows; 'same' keeps ceil(size / stride)."),
    )


class _MaxPooling(_Pooling):
    def forward(self, x, training=False):
        geo = self._geometry_for(tuple(x.shape[1:]))
        if geo.tiles:  # the common 2x2 case: one axis at a time (pooling_tiled)
            best, stages = tiled_max_forward(x, geo.out, geo.pool, keep=not self.inference_only)
            if not self.inference_only:  # keep the last training forward's state for backward
                self._cache = (geo, stages)
            return best
        windows = _windows(x, geo, -np.inf)  # padding never wins a max
        best = _reduce_cells(windows, geo.pool, backend.get_array_module(x).maximum)
        self._cache = (geo, (x.shape, windows, best))
        return best

    def backward(self, grad):
        # dL/dx is grad at each window's (first) maximal cell, zero elsewhere, summed over
        # the windows that share a cell. The winners are found here, so inference skips it.
        geo, state = self._cache
        if geo.tiles:
            return tiled_max_backward(grad, state, geo.out, geo.pool)
        shape, windows, best = state
        return _fold(_first_max_grads(windows, best, grad, geo.pool), geo, shape, grad)

    def backward_through_relu(self, grad):
        """dL/d(z) where this pooling's input is `relu(z)` (`engine.relu_pool`): each window
        routes its gradient to its largest input, where the relu's mask is `maximum > 0`."""
        geo, state = self._cache
        if geo.tiles:
            return tiled_max_backward(grad, state, geo.out, geo.pool, relu_below=True)
        return self.backward(grad * (state[2] > 0))


class _AveragePooling(_Pooling):
    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        geo = self._geometry_for(tuple(x.shape[1:]))
        windows = _windows(x, geo, 0.0)
        counts = geo.counts()
        if not isinstance(counts, int):
            counts = xp.asarray(counts, dtype=x.dtype)
        self._cache = (geo, x.shape, counts)
        return _reduce_cells(windows, geo.pool, xp.add) / counts

    def backward(self, grad):
        # y = sum(window) / count, so each real cell of a window gets grad / count.
        geo, shape, counts = self._cache
        return _fold(itertools.repeat(grad / counts), geo, shape, grad)


@registry.register("layer")
class MaxPooling1D(_MaxPooling):
    """Max over windows along the steps axis.

    Args:
        pool_size: Window length. Defaults to `2`.
        strides: Step between windows; `None` means `pool_size`. Defaults to `None`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.

    Input shape:
        `(batch, steps, features)`.
    Output shape:
        `(batch, pooled_steps, features)`.
    """

    RANK = 1
    DESCRIPTION = "Keeps the largest value of each window along the steps axis."
    PARAMS = _pool_params(1, 2)

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None, trainable=True,
                 **kwargs):
        super().__init__(pool_size, strides, padding, name=name, trainable=trainable, **kwargs)


@registry.register("layer")
class MaxPooling2D(_MaxPooling):
    """Max over 2-D windows of each channel.

    Args:
        pool_size: Window `(height, width)`; an int means a square. Defaults to `(2, 2)`.
        strides: Step between windows; `None` means `pool_size`. Defaults to `None`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.

    Input shape:
        `(batch, height, width, channels)`.
    Output shape:
        `(batch, pooled_height, pooled_width, channels)`; e.g. (26, 26, 32) -> (13, 13, 32).
    """

    RANK = 2
    DESCRIPTION = "Keeps the largest value of each window: halves height and width by default."
    PARAMS = _pool_params(2, (2, 2))

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", name=None,
                 trainable=True, **kwargs):
        super().__init__(pool_size, strides, padding, name=name, trainable=trainable, **kwargs)


@registry.register("layer")
class AveragePooling1D(_AveragePooling):
    """Mean over windows along the steps axis.

    Keras makes `pool_size` required; here it defaults to `2` so the GUI palette can create
    the layer without arguments.

    Args:
        pool_size: Window length. Defaults to `2` (required in Keras).
        strides: Step between windows; `None` means `pool_size`. Defaults to `None`.
        padding: `"valid"` or `"same"` (averages only the real, non-pad cells).
            Defaults to `"valid"`.

    Input shape:
        `(batch, steps, features)`.
    Output shape:
        `(batch, pooled_steps, features)`.
    """

    RANK = 1
    DESCRIPTION = "Averages each window along the steps axis."
    PARAMS = _pool_params(1, 2)

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None, trainable=True,
                 **kwargs):
        super().__init__(pool_size, strides, padding, name=name, trainable=trainable, **kwargs)


@registry.register("layer")
class AveragePooling2D(_AveragePooling):
    """Mean over 2-D windows of each channel.

    Keras makes `pool_size` required; here it defaults to `(2, 2)` so the GUI palette can
    create the layer without arguments.

    Args:
        pool_size: Window `(height, width)`. Defaults to `(2, 2)` (required in Keras).
        strides: Step between windows; `None` means `pool_size`. Defaults to `None`.
        padding: `"valid"` or `"same"` (averages only the real, non-pad cells).
            Defaults to `"valid"`.

    Input shape:
        `(batch, height, width, channels)`.
    Output shape:
        `(batch, pooled_height, pooled_width, channels)`.
    """

    RANK = 2
    DESCRIPTION = "Averages each window: halves height and width by default."
    PARAMS = _pool_params(2, (2, 2))

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", name=None,
                 trainable=True, **kwargs):
        super().__init__(pool_size, strides, padding, name=name, trainable=trainable, **kwargs)
