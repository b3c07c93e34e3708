"""Keras's pooling ops: `max_pool` and `average_pool` over 1, 2 or 3 spatial axes.

They run the pooling layers' machinery (`layers.pooling`): a strided window view, one
vectorised step per window cell, the tiled one-axis-at-a-time max when windows tile the
input, and the same backward (the first maximum of a window gets its gradient; an average
spreads it over the real, non-padded cells). Padding is TensorFlow's; padded cells never win
a max and are not counted by an average, as in Keras.
"""

import itertools

import numpy as np

from ..errors import ShapeError
from .core import array_module, needs_gradient, record
from .nn_common import (
    check_rank,
    float_input,
    from_channels_last,
    spatial_tuple,
    standardize_data_format,
    standardize_padding,
    to_channels_last,
)


def _kernels():
    """The pooling layers' modules, imported on first use (`engine.layers` imports
    `engine.ops`: importing it while `engine.ops` loads would be circular)."""
    from ..layers import pooling, pooling_tiled

    return pooling, pooling_tiled


def _parse(op, inputs, pool_size, strides, padding, data_format):
    fmt = standardize_data_format(data_format)
    x = to_channels_last(float_input(inputs), fmt)
    check_rank(x, (3, 4, 5), "inputs", op)
    rank = x.ndim - 2
    pool = spatial_tuple(pool_size, rank, "pool_size")
    steps = pool if strides is None else spatial_tuple(strides, rank, "strides")
    padding = standardize_padding(padding)
    if padding == "valid" and any(n < p for n, p in zip(x.shape[1:-1], pool)):
        raise ShapeError(f"{op} with padding='valid' needs every spatial size >= pool_size "
                         f"{pool}. Received inputs of shape {tuple(x.shape)}.")
    return fmt, x, _kernels()[0]._geometry(tuple(x.shape[1:-1]), pool, steps, padding)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The largest value of each window, per channel (`strides=None` means `pool_size`)."""
    fmt, x, geo = _parse("max_pool", inputs, pool_size, strides, padding, data_format)
    xp = array_module(x)
    pooling, tiled = _kernels()
    if geo.tiles:
        y, stages = tiled.tiled_max_forward(x, geo.out, geo.pool, keep=needs_gradient(inputs))

        def backward(g):
            return tiled.tiled_max_backward(g, stages, geo.out, geo.pool)
    else:
        windows = pooling._windows(x, geo, -np.inf)
        y = pooling._reduce_cells(windows, geo.pool, xp.maximum)

        def backward(g):
            cells = pooling._first_max_grads(windows, y, g, geo.pool)
            return pooling._fold(cells, geo, x.shape, g)

    def vjp(g):
        g = xp.ascontiguousarray(to_channels_last(g, fmt))
        return (from_channels_last(backward(g), fmt),)

    return record(from_channels_last(y, fmt), (inputs,), vjp)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean of each window, per channel; "same" padding averages only the real cells."""
    fmt, x, geo = _parse("average_pool", inputs, pool_size, strides, padding, data_format)
    xp = array_module(x)
    pooling = _kernels()[0]
    counts = geo.counts()
    if not isinstance(counts, int):
        counts = xp.asarray(counts, dtype=x.dtype)
    y = pooling._reduce_cells(pooling._windows(x, geo, 0.0), geo.pool, xp.add) / counts

    def vjp(g):
        g = to_channels_last(g, fmt)
        dx = pooling._fold(itertools.repeat(g / counts), geo, x.shape, g)
        return (from_channels_last(dx, fmt),)

    return record(from_channels_last(y, fmt), (inputs,), vjp)


__all__ = ["average_pool", "max_pool"]
