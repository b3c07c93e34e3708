"""Keras's unary element-wise math ops, each with its VJP beside the forward.

Ints and bools are computed in floatx, as Keras does (`sqrt` of an int tensor is float32);
float inputs keep their dtype, so float64 gradient checks are exact.
"""

import math

from .core import absolute, record
from .numpy_common import quiet, to_array, to_float_array, wrap, xp_of

abs = absolute  # Keras's name


def _unary(x, forward, derivative):
    """Records `forward(xp, a)`; `derivative(xp, a, y)` is dy/da (element-wise)."""
    a = to_float_array(x)
    xp = xp_of(a)
    with quiet():  # log(0) is -inf and sqrt(-1) nan, as in Keras, without NumPy's warnings
        y = forward(xp, a)

    def vjp(g):
        with quiet():
            return (g * derivative(xp, a, y),)

    return record(y, (x,), vjp)


def square(x):
    a = to_array(x)
    if a.dtype.kind == "b":  # Keras: bool squares as int32
        a = a.astype("int32")
    return record(a * a, (x,), lambda g: (2 * g * a,))


def sqrt(x):
    return _unary(x, lambda xp, a: xp.sqrt(a), lambda xp, a, y: 0.5 / y)


def exp(x):
    return _unary(x, lambda xp, a: xp.exp(a), lambda xp, a, y: y)


def exp2(x):
    return _unary(x, lambda xp, a: xp.exp2(a), lambda xp, a, y: y * _LN2)


def expm1(x):
    return _unary(x, lambda xp, a: xp.expm1(a), lambda xp, a, y: y + 1)


def log(x):
    return _unary(x, lambda xp, a: xp.log(a), lambda xp, a, y: 1 / a)


def log1p(x):
    return _unary(x, lambda xp, a: xp.log1p(a), lambda xp, a, y: 1 / (1 + a))


def log2(x):
    return _unary(x, lambda xp, a: xp.log2(a), lambda xp, a, y: 1 / (a * _LN2))


def log10(x):
    return _unary(x, lambda xp, a: xp.log10(a), lambda xp, a, y: 1 / (a * _LN10))


def sin(x):
    return _unary(x, lambda xp, a: xp.sin(a), lambda xp, a, y: xp.cos(a))


def cos(x):
    return _unary(x, lambda xp, a: xp.cos(a), lambda xp, a, y: -xp.sin(a))


def tan(x):
    return _unary(x, lambda xp, a: xp.tan(a), lambda xp, a, y: 1 + y * y)


def arcsin(x):
    return _unary(x, lambda xp, a: xp.arcsin(a), lambda xp, a, y: 1 / xp.sqrt(1 - a * a))


def arccos(x):
    return _unary(x, lambda xp, a: xp.arccos(a), lambda xp, a, y: -1 / xp.sqrt(1 - a * a))


def arctan(x):
    return _unary(x, lambda xp, a: xp.arctan(a), lambda xp, a, y: 1 / (1 + a * a))


def sinh(x):
    return _unary(x, lambda xp, a: xp.sinh(a), lambda xp, a, y: xp.cosh(a))


def cosh(x):
    return _unary(x, lambda xp, a: xp.cosh(a), lambda xp, a, y: xp.sinh(a))


def tanh(x):
    return _unary(x, lambda xp, a: xp.tanh(a), lambda xp, a, y: 1 - y * y)


def arcsinh(x):
    return _unary(x, lambda xp, a: xp.arcsinh(a), lambda xp, a, y: 1 / xp.sqrt(a * a + 1))


def arccosh(x):
    return _unary(x, lambda xp, a: xp.arccosh(a), lambda xp, a, y: 1 / xp.sqrt(a * a - 1))


def arctanh(x):
    return _unary(x, lambda xp, a: xp.arctanh(a), lambda xp, a, y: 1 / (1 - a * a))


def reciprocal(x):
    return _unary(x, lambda xp, a: 1 / a, lambda xp, a, y: -y * y)


# ----- piecewise-constant ops: zero derivative almost everywhere, so nothing is recorded -------
def sign(x):
    a = to_array(x)
    return wrap(xp_of(a).sign(a))


def floor(x):
    a = to_float_array(x)
    return wrap(xp_of(a).floor(a))


def ceil(x):
    a = to_float_array(x)
    return wrap(xp_of(a).ceil(a))


def trunc(x):
    a = to_array(x)
    return wrap(a if a.dtype.kind in "iub" else xp_of(a).trunc(a))


def round(x, decimals=0):  # Keras's name
    a = to_array(x)  # ints stay ints, as np.round (Keras's NumPy backend)
    return wrap(xp_of(a).round(a, decimals=decimals))


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
