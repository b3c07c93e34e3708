"""Max pooling over tiling 2-D windows (N, H, W, C), forward and backward, in one pass each.

The NumPy path (`layers/pooling_tiled.py`) reduces one spatial axis at a time and routes the
gradient back stage by stage: four passes over the activations forward and more backward.
Here forward reads each input once and keeps the winner's position in its window (one byte
per output); backward writes each gradient to that position. Ties go to the first cell in
row-major order, as on the NumPy path (and in TensorFlow and PyTorch); rows and columns left
over when a size is not a multiple of the pool get zero gradient.

No arithmetic, so no denormal can appear here: these run whether or not the engine flushes.
Plain loops in the calling thread, GIL held, as `optimizer_kernels` (see there why).
Imported only when numba is (`engine.kernels.pooling`).
"""

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def max_pool_2d(x, pool_h, pool_w, out, winner):
    """`out[n, i, j, :]` = max of window (i, j); `winner` = its row-major cell index."""
    for b in range(out.shape[0]):
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                top, left = i * pool_h, j * pool_w
                out[b, i, j, :] = x[b, top, left, :]
                winner[b, i, j, :] = 0
                for di in range(pool_h):
                    for dj in range(pool_w):
                        if di == 0 and dj == 0:
                            continue
                        cell = np.uint8(di * pool_w + dj)
                        for k in range(out.shape[3]):
                            value = x[b, top + di, left + dj, k]
                            if value > out[b, i, j, k] or (value != value and
                                                           out[b, i, j, k] == out[b, i, j, k]):
                                out[b, i, j, k] = value  # a NaN wins and stays, as maximum()
                                winner[b, i, j, k] = cell


@njit(cache=True, error_model="numpy")
def max_pool_2d_backward(grad, winner, pool_h, pool_w, d_x):
    """`d_x` (zeroed, the input's shape): each window's gradient at its winner's cell."""
    for b in range(grad.shape[0]):
        for i in range(grad.shape[1]):
            for j in range(grad.shape[2]):
                for k in range(grad.shape[3]):
                    cell = winner[b, i, j, k]
                    d_x[b, i * pool_h + cell // pool_w, j * pool_w + cell % pool_w, k] = \
                        grad[b, i, j, k]
