"""Keras's activation ops (`keras.ops.relu`, ...), each differentiable.

The forward and backward kernels are the ones layers run (`engine.activations.table`), so an
op and a layer's `activation=` compute the same numbers; only arguments the table does not
cover (a non-default `alpha`, `approximate=True` GELU, softmax over another axis) have their
own formulas here, written beside their derivatives.
"""

import math

from ..activations import functions as act_functions
from ..activations.table import LEAKY_SLOPE, _sigmoid, _softplus
from ..activations.table import get as _table
from ..errors import ShapeError
from .core import array_module, record
from .nn_common import float_input, normalize_axes

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _unary(x, forward, backward):
    """An elementwise op: `forward(xp, a)` and `backward(xp, a, y, g)` on the raw value."""
    a = float_input(x)
    xp = array_module(a)
    y = forward(xp, a)
    y = y.astype(a.dtype, copy=False)
    return record(y, (x,), lambda g: (backward(xp, a, y, g),))


def _named(x, name):
    activation = _table(name)
    return _unary(x, lambda xp, a: activation.forward(a),
                  lambda xp, a, y, g: activation.backward(a, y, g))


def relu(x):
    """`max(x, 0)`."""
    return _named(x, "relu")


def relu6(x):
    """`min(max(x, 0), 6)`."""
    return _named(x, "relu6")


def sigmoid(x):
    """`1 / (1 + exp(-x))`, without overflow."""
    return _named(x, "sigmoid")


def softplus(x):
    """`log(exp(x) + 1)`, without overflow."""
    return _named(x, "softplus")


def softsign(x):
    """`x / (abs(x) + 1)`."""
    return _named(x, "softsign")


def silu(x):
    """`x * sigmoid(x)` (swish)."""
    return _named(x, "silu")


swish = silu


def selu(x):
    """`scale * elu(x, alpha)` with Keras's fixed constants."""
    return _named(x, "selu")


def log_sigmoid(x):
    """`log(sigmoid(x)) = -softplus(-x)`, stable for large `|x|`."""
    return _unary(x, lambda xp, a: -_softplus(xp, -a),
                  lambda xp, a, y, g: g * _sigmoid(xp, -a))


def leaky_relu(x, negative_slope=0.2):
    """`x` for `x > 0`, else `negative_slope * x`."""
    if negative_slope == LEAKY_SLOPE:
        return _named(x, "leaky_relu")
    s = float(negative_slope)
    return _unary(x, lambda xp, a: xp.where(a > 0, a, s * a),
                  lambda xp, a, y, g: xp.where(a > 0, g, s * g))


def elu(x, alpha=1.0):
    """`x` for `x >= 0`, else `alpha * (exp(x) - 1)`."""
    if alpha == 1.0:
        return _named(x, "elu")
    al = float(alpha)
    return _unary(x, lambda xp, a: xp.where(a > 0, a, al * xp.expm1(xp.minimum(a, 0))),
                  lambda xp, a, y, g: xp.where(a > 0, g, g * al * xp.exp(xp.minimum(a, 0))))


def gelu(x, approximate=True):
    """GELU; `approximate=True` (Keras's default) is the tanh form, False the erf form."""
    if not approximate:
        return _named(x, "gelu")

    def forward(xp, a):
        return 0.5 * a * (1.0 + xp.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)))

    def backward(xp, a, y, g):
        t = xp.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a))
        inner = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * a * a)
        return g * (0.5 * (1.0 + t) + 0.5 * a * (1.0 - t * t) * inner)

    return _unary(x, forward, backward)


def hard_sigmoid(x):
    """0 for `x <= -3`, 1 for `x >= 3`, `x / 6 + 0.5` between."""
    return _named(x, "hard_sigmoid")


def hard_silu(x):
    """`x * hard_sigmoid(x)` (hard swish)."""
    hs = _table("hard_sigmoid")

    def backward(xp, a, y, g):
        return g * (hs.forward(a) + a * ((a > -3.0) & (a < 3.0)) / 6.0)

    return _unary(x, lambda xp, a: a * hs.forward(a), backward)


hard_swish = hard_silu


def celu(x, alpha=1.0):
    """`max(x, 0) + alpha * expm1(min(x, 0) / alpha)`."""
    al = float(alpha)
    return _unary(x, lambda xp, a: xp.maximum(a, 0) + al * xp.expm1(xp.minimum(a, 0) / al),
                  lambda xp, a, y, g: xp.where(a > 0, g, g * xp.exp(xp.minimum(a, 0) / al)))


def hard_tanh(x):
    """`clip(x, -1, 1)`."""
    return _unary(x, lambda xp, a: xp.clip(a, -1.0, 1.0),
                  lambda xp, a, y, g: g * ((a > -1.0) & (a < 1.0)))


def hard_shrink(x, threshold=0.5):
    """`x` where `|x| > threshold`, else 0."""
    t = float(threshold)
    return _unary(x, lambda xp, a: xp.where(xp.abs(a) > t, a, 0.0),
                  lambda xp, a, y, g: g * (xp.abs(a) > t))


def soft_shrink(x, threshold=0.5):
    """`x - threshold` above it, `x + threshold` below `-threshold`, 0 between."""
    t = float(threshold)
    return _unary(x, lambda xp, a: xp.where(a > t, a - t, xp.where(a < -t, a + t, 0.0)),
                  lambda xp, a, y, g: g * (xp.abs(a) > t))


def tanh_shrink(x):
    """`x - tanh(x)`."""
    return _unary(x, lambda xp, a: a - xp.tanh(a),
                  lambda xp, a, y, g: g * xp.tanh(a) ** 2)


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    t, d = float(threshold), float(default_value)
    return _unary(x, lambda xp, a: xp.where(a > t, a, d), lambda xp, a, y, g: g * (a > t))


def sparse_sigmoid(x):
    """0 for `x <= -1`, 1 for `x >= 1`, `(x + 1) / 2` between."""
    return _unary(x, lambda xp, a: xp.clip(0.5 * (a + 1.0), 0.0, 1.0),
                  lambda xp, a, y, g: g * 0.5 * ((a > -1.0) & (a < 1.0)))


def sparse_plus(x):
    """0 for `x <= -1`, `x` for `x >= 1`, `(x + 1)**2 / 4` between."""
    def forward(xp, a):
        return xp.where(a <= -1, 0.0, xp.where(a < 1, 0.25 * (a + 1) ** 2, a))

    def backward(xp, a, y, g):
        return g * xp.where(a <= -1, 0.0, xp.where(a < 1, 0.5 * (a + 1), 1.0))

    return _unary(x, forward, backward)


def squareplus(x, b=4):
    """`(x + sqrt(x**2 + b)) / 2`."""
    b = float(b)
    return _unary(x, lambda xp, a: 0.5 * (a + xp.sqrt(a * a + b)),
                  lambda xp, a, y, g: g * 0.5 * (1.0 + a / xp.sqrt(a * a + b)))


def glu(x, axis=-1):
    """Gated linear unit: `a * sigmoid(b)` for the two halves `a, b` of `x` along `axis`."""
    v = float_input(x)
    xp = array_module(v)
    (axis,) = normalize_axes(axis, v.ndim)
    if v.shape[axis] % 2:
        raise ShapeError(f"axis size must be divisible by 2. Received: x.shape={v.shape} with "
                         f"axis={axis}")
    a, b = xp.split(v, 2, axis=axis)
    s = _sigmoid(xp, b)
    return record(a * s, (x,), lambda g: (xp.concatenate([g * s, g * a * s * (1.0 - s)],
                                                         axis=axis),))


def softmax(x, axis=-1):
    """`exp(x) / sum(exp(x))` along `axis` (an int or a tuple of ints)."""
    a = float_input(x)
    y = act_functions.softmax(a, axis=axis)
    if axis == -1:
        activation = _table("softmax")
        return record(y, (x,), lambda g: (activation.backward(a, y, g),))
    axes = normalize_axes(axis, a.ndim)
    return record(y, (x,), lambda g: (y * (g - (g * y).sum(axis=axes, keepdims=True)),))


def log_softmax(x, axis=-1):
    """`x - log(sum(exp(x)))` along `axis`, computed stably."""
    a = float_input(x)
    xp = array_module(a)
    y = act_functions.log_softmax(a, axis=axis)
    axes = normalize_axes(axis, a.ndim)
    return record(y, (x,), lambda g: (g - xp.exp(y) * g.sum(axis=axes, keepdims=True),))


def sparsemax(x, axis=-1):
    """`max(x - tau, 0)` along `axis`: the Euclidean projection onto the simplex."""
    a = float_input(x)
    xp = array_module(a)
    (axis,) = normalize_axes(axis, a.ndim)
    z = xp.moveaxis(a, axis, -1)
    ordered = -xp.sort(-z, axis=-1)
    cumsum = xp.cumsum(ordered, axis=-1)
    r = xp.arange(1, z.shape[-1] + 1, dtype=a.dtype)
    support = ordered - (cumsum - 1.0) / r > 0
    k = support.sum(axis=-1, keepdims=True)
    # tau = (sum of the k largest - 1) / k. Keras's backends sum the cumulative sums over
    # the support instead, which agrees only when k == 1; this is the definition.
    top = xp.take_along_axis(cumsum, k - 1, axis=-1)
    tau = (top - 1.0) / k
    out = xp.maximum(z - tau, 0.0).astype(a.dtype, copy=False)
    y = xp.moveaxis(out, -1, axis)

    def vjp(g):
        gl = xp.moveaxis(g, axis, -1)
        active = out > 0
        mean = xp.where(active, gl, 0.0).sum(axis=-1, keepdims=True) / active.sum(
            axis=-1, keepdims=True)
        return (xp.moveaxis(xp.where(active, gl - mean, 0.0), -1, axis),)

    return record(y, (x,), vjp)


__all__ = ["celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
           "hard_swish", "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "relu",
           "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign",
           "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink",
           "threshold"]
