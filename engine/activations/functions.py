"""`keras.activations.<name>(x, ...)`: Keras's activation functions with their arguments.

Each returns an array (NumPy for NumPy or list input, CuPy for CuPy input) with the input's
float dtype; lists and integer arrays become float32, as Keras makes them tensors. With
their default arguments they compute exactly what a layer's `activation="<name>"` does.
"""

import math

import numpy as np

from ..backend import FLOATX, get_array_module
from .recorded import on_tensors
from .table import LEAKY_SLOPE, get

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _tensor(x):
    """`x` as a float array: lists, scalars and integer arrays become float32."""
    xp = get_array_module(x)
    if not hasattr(x, "dtype"):
        return np.asarray(x, dtype=FLOATX)
    return x if x.dtype.kind == "f" else xp.asarray(x, dtype=FLOATX)


def _named(name, x):
    return get(name).forward(_tensor(x))


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """`max(x, 0)`; with `threshold`, values at or below it become 0; with `max_value`,
    outputs are clipped to it; with `negative_slope`, `negative_slope * (x - threshold)`
    replaces 0 below the threshold (Keras's formula)."""
    x = _tensor(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return get("relu").forward(x)
    xp = get_array_module(x)
    negative_part = xp.maximum(threshold - x, 0) if negative_slope else 0  # relu(-x + t)
    y = xp.where(x > threshold, x, 0) if threshold else xp.maximum(x, 0)
    if max_value is not None:
        y = xp.clip(y, 0, max_value)
    if negative_slope:
        y = y - negative_slope * negative_part
    return y.astype(x.dtype, copy=False)


def leaky_relu(x, negative_slope=LEAKY_SLOPE):
    """`x` for `x > 0`, else `negative_slope * x` (default `0.2`; the `LeakyReLU` layer's
    default is 0.3)."""
    x = _tensor(x)
    if negative_slope == LEAKY_SLOPE:
        return get("leaky_relu").forward(x)
    return get_array_module(x).where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


def elu(x, alpha=1.0):
    """`x` for `x > 0`, else `alpha * (exp(x) - 1)`."""
    x = _tensor(x)
    if alpha == 1.0:
        return get("elu").forward(x)
    xp = get_array_module(x)
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0))).astype(x.dtype, copy=False)


def gelu(x, approximate=False):
    """`0.5 * x * (1 + erf(x / sqrt(2)))`; with `approximate=True` the tanh form
    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))`."""
    x = _tensor(x)
    if not approximate:
        return get("gelu").forward(x)
    xp = get_array_module(x)
    inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
    return (0.5 * x * (1.0 + xp.tanh(inner))).astype(x.dtype, copy=False)


def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis` (an int or a tuple of ints)."""
    x = _tensor(x)
    if axis == -1:
        return get("softmax").forward(x)
    xp = get_array_module(x)
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """`x - log(sum(exp(x)))` along `axis`, computed stably."""
    x = _tensor(x)
    if axis == -1:
        return get("log_softmax").forward(x)
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def linear(x):
    """`x` unchanged."""
    return _named("linear", x)


def relu6(x):
    """`min(max(x, 0), 6)`."""
    return _named("relu6", x)


def selu(x):
    """`scale * elu(x, alpha)` with Keras's fixed `alpha` and `scale`."""
    return _named("selu", x)


def sigmoid(x):
    """`1 / (1 + exp(-x))`, computed without overflow."""
    return _named("sigmoid", x)


def hard_sigmoid(x):
    """0 for `x <= -3`, 1 for `x >= 3`, `x / 6 + 0.5` between."""
    return _named("hard_sigmoid", x)


def tanh(x):
    """Hyperbolic tangent."""
    return _named("tanh", x)


def softplus(x):
    """`log(exp(x) + 1)`, computed without overflow."""
    return _named("softplus", x)


def softsign(x):
    """`x / (abs(x) + 1)`."""
    return _named("softsign", x)


def silu(x):
    """`x * sigmoid(x)` (also called swish)."""
    return _named("silu", x)


def mish(x):
    """`x * tanh(softplus(x))`."""
    return _named("mish", x)


def exponential(x):
    """`exp(x)`."""
    return _named("exponential", x)


# Engine Tensors and Variables (inside a custom layer's call) record their gradient.
relu, leaky_relu, elu, gelu, softmax, log_softmax, linear, relu6, selu, sigmoid, \
    hard_sigmoid, tanh, softplus, softsign, silu, mish, exponential = (on_tensors(fn) for fn in (
        relu, leaky_relu, elu, gelu, softmax, log_softmax, linear, relu6, selu, sigmoid,
        hard_sigmoid, tanh, softplus, softsign, silu, mish, exponential))

#: Keras's public activation functions the engine has, by name (aliases included).
FUNCTIONS = {fn.__name__: fn for fn in (
    relu, leaky_relu, elu, gelu, softmax, log_softmax, linear, relu6, selu, sigmoid,
    hard_sigmoid, tanh, softplus, softsign, silu, mish, exponential)}
swish = silu
FUNCTIONS["swish"] = swish

__all__ = list(FUNCTIONS)
