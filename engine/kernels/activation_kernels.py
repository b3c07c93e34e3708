"""Bias + activation forward and the relu family's backward, each in one pass (numba).

NumPy spends two passes and a temporary on each: `z += bias` then `maximum(z, 0)` forward,
`x > 0` (a boolean array) then a product backward. Here each element is read and written
once. Same arithmetic, same order, so results equal NumPy's bit for bit (NaN included: a
NaN input stays NaN forward, as `numpy.maximum` keeps it, and `g * (x > 0)` backward).

Plain loops in the calling thread, GIL held, as `optimizer_kernels` (see there why).
Imported only when numba is, by `engine.kernels.preparing`.
"""

import numpy as np
from numba import njit

KERNEL = njit(cache=True, error_model="numpy")

LINEAR, RELU = 0, 1  # `activation` codes of `bias_activation`


@KERNEL
def bias_activation(z, bias, activation):
    """`z = activation(z + bias)` in place; `z` is (rows, units), `bias` (units,) or empty."""
    rows, units = z.shape
    with_bias = bias.shape[0] == units
    for r in range(rows):
        for c in range(units):
            value = z[r, c] + bias[c] if with_bias else z[r, c]
            if activation == RELU and value < 0:
                value = np.float32(0.0)
            z[r, c] = value


@KERNEL
def relu_backward(x, grad, out):
    """`out = grad * (x > 0)`: the relu's input gradient, on flat arrays."""
    for i in range(x.shape[0]):
        out[i] = grad[i] * np.float32(x[i] > 0)
