"""Max pooling when windows tile the input (`strides == pool_size`, no padding).

This is the common case (MaxPooling2D(2)). A k-D window max is computed one spatial axis at a
time, the last axis first: `max over (a, b) = max over a of (max over b)`. Each stage is one
elementwise `maximum` of whole slices of the previous stage (after the first stage, over
long contiguous rows), instead of `prod(pool)` strided passes with a short inner loop; the
same goes for backward, which routes each stage's gradient to the winning slice.

Ties go to the first cell in row-major order, as in TensorFlow and PyTorch: every stage
gives a tie to its first slice, and because the last axis is reduced first, the winner is
the row-major-first maximum of the whole window. Rows or columns left over when a size is
not a multiple of the pool (11 -> 5 windows of 2) are dropped, and get zero gradient.

A numba kernel doing each direction in one pass (keeping each window's winner) was tried and
removed: on 128x26x26x32 it took 4.7-8.9 ms forward where these stages take 1.8-2.6 ms, and
fit and predict of the Keras MNIST convnet ran 4% and 15% faster without it (AMD EPYC).
A kernel that computes these same two stages sample by sample (`engine.kernels.max_pool_2x2`,
bit for bit the same) takes 0.70 ms where they take 1.37 ms (Intel Xeon Sapphire Rapids).
Backward, the stages' compare, product and difference passes over strided views cost 4.6 ms
on that array, and a kernel that repeats their arithmetic per element
(`engine.kernels.max_pool_2x2_backward`, bit for bit the same result) 1.5 ms. The kernels
take the 2x2 case on float32 CPU arrays; the rest runs the stages.
"""

from .. import backend, kernels


def _split(a, axis: int, out: int, pool: int):
    """A view of `a` with array axis `axis` cropped to `out * pool` and split into (out, pool).

    Splitting one axis never needs a copy, so writes through the view reach `a`.
    """
    index = [slice(None)] * a.ndim
    index[axis] = slice(0, out * pool)
    cropped = a[tuple(index)]
    return cropped.reshape(cropped.shape[:axis] + (out, pool) + cropped.shape[axis + 1:])


def _cell(split, axis: int, i: int):
    """Slice `i` of the pool axis that `_split` inserted after `axis`."""
    index = [slice(None)] * split.ndim
    index[axis + 1] = i
    return split[tuple(index)]


def _stage_axes(out: tuple, pool: tuple):
    """`(array axis, windows, pool)` per spatial axis, last axis first (forward order)."""
    return [(axis + 1, out[axis], pool[axis]) for axis in reversed(range(len(pool)))]


def tiled_max_forward(x, out: tuple, pool: tuple, keep: bool = True):
    """Window maxima `(N, *out, C)` of `x` `(N, *size, C)` with tiling windows.

    Returns:
        `(result, stages)`; `stages` holds each stage's input for `tiled_max_backward`
        (an empty list when `keep` is False: inference needs no backward).
    """
    if pool == (2, 2) and x.ndim == 4:
        pooled = kernels.max_pool_2x2(x)
        if pooled is not None:
            rows_max, result = pooled
            return result, [(x, rows_max), (rows_max, result)] if keep else []
    xp = backend.get_array_module(x)
    stages, current = [], x
    for axis, windows, size in _stage_axes(out, pool):
        split = _split(current, axis, windows, size)
        if size == 1:
            result = _cell(split, axis, 0).copy()  # a new array, never a view of the input
        else:
            result = xp.maximum(_cell(split, axis, 0), _cell(split, axis, 1))
            for i in range(2, size):
                xp.maximum(result, _cell(split, axis, i), out=result)
        if keep:
            stages.append((current, result))
        current = result
    return current, stages


def tiled_max_backward(grad, stages, out: tuple, pool: tuple, relu_below: bool = False):
    """dL/dx for `tiled_max_forward`, given dL/d(result) and the kept stages.

    `relu_below`: x is a relu's output, and the gradient goes through that relu too
    (`engine.relu_pool`): a window whose maximum is not positive passes none.
    """
    if pool == (2, 2) and len(stages) == 2:
        (x, rows_max), (_, result) = stages
        routed = kernels.max_pool_2x2_backward(x, rows_max, result, grad, relu_below)
        if routed is not None:
            return routed
    if relu_below:
        grad = grad * (stages[-1][1] > 0)
    xp = backend.get_array_module(grad)
    for (source, result), (axis, windows, size) in zip(reversed(stages),
                                                      reversed(_stage_axes(out, pool))):
        cropped = source.shape[axis] != windows * size
        d_source = (xp.zeros if cropped else xp.empty)(source.shape, dtype=grad.dtype)
        cells = _split(source, axis, windows, size)
        d_cells = _split(d_source, axis, windows, size)
        last = _cell(d_cells, axis, size - 1)
        remaining = grad  # what no earlier slice has claimed: zero once one has won
        for i in range(size - 1):
            d_cell = _cell(d_cells, axis, i)
            xp.multiply(remaining, _cell(cells, axis, i) == result, out=d_cell)
            # exact: g - g = 0 and g - 0 = g; the last slice gets what is left
            remaining = xp.subtract(remaining, d_cell, out=last if i == size - 2 else None)
        if size == 1:
            last[...] = grad
        grad = d_source
    return grad
