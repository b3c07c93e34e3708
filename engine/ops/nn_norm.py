"""Keras's normalization ops: `moments`, `batch_normalization`, `normalize`,
`layer_normalization` and `rms_normalization`, each differentiable.

`moments` and `batch_normalization` have their VJPs written out; layer and RMS normalization
are compositions of recorded ops (moments, the operators), as Keras composes them.
"""

import math

import numpy as np

from ..errors import ShapeError, SpecError
from ..losses.base import EPSILON
from .core import array_module, needs_gradient, record, sum_to_shape
from .nn_common import float_input, normalize_axes


def moments(x, axes, keepdims=False, synchronized=False):
    """`(mean, variance)` of `x` over `axes` (an int, list or tuple).

    The variance is the mean squared deviation (two passes, stable). `synchronized` only
    matters for multi-device training, which the engine does not run: it is accepted and
    ignored. float16 inputs are reduced in float32 and cast back, as Keras does.
    """
    del synchronized
    a = float_input(x)
    xp = array_module(a)
    axes = normalize_axes(axes, a.ndim)
    work = a.astype(np.float32) if a.dtype == np.float16 else a
    n = math.prod(a.shape[i] for i in axes)
    mean = work.mean(axis=axes, keepdims=True)
    dev = work - mean
    var = (dev * dev).mean(axis=axes, keepdims=True)

    def finish(v):
        v = v if keepdims else v.reshape([d for i, d in enumerate(v.shape) if i not in axes])
        if a.dtype == np.float16:
            limit = float(np.finfo(np.float16).max)
            v = xp.clip(v, -limit, limit).astype(np.float16)
        return v

    def mean_vjp(g):
        g = g.reshape(mean.shape)
        return (xp.broadcast_to(g / n, a.shape).astype(a.dtype),)

    def var_vjp(g):
        g = g.reshape(var.shape)
        return ((g * (2.0 / n) * dev).astype(a.dtype),)

    return record(finish(mean), (x,), mean_vjp), record(finish(var), (x,), var_vjp)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, the vectors along `axis`."""
    a = float_input(x)
    xp = array_module(a)
    (axis,) = normalize_axes(axis, a.ndim)
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]

    def vector(v, name):
        if v is None:
            return None
        v = float_input(v, like=a)
        if v.size not in (1, a.shape[axis]):
            raise ShapeError(f"Argument `{name}` must be a vector of length x.shape[axis] = "
                             f"{a.shape[axis]}. Received: {name}.shape={tuple(v.shape)}")
        return xp.asarray(v).reshape(shape if v.size == a.shape[axis] else [1] * a.ndim)

    m, v = vector(mean, "mean"), vector(variance, "variance")
    o, s = vector(offset, "offset"), vector(scale, "scale")
    inv0 = 1.0 / xp.sqrt(v + epsilon)
    inv = inv0 * s if s is not None else inv0
    res = -m * inv
    if o is not None:
        res = res + o
    y = (a * inv + res).astype(a.dtype, copy=False)
    shapes = [float_input(t, like=a).shape if t is not None else None
              for t in (mean, variance, offset, scale)]
    need = [needs_gradient(t) for t in (x, mean, variance, offset, scale)]

    def reduce(full, i, small):
        return sum_to_shape(full, small.shape).reshape(shapes[i])

    def vjp(g):
        dx = g * inv if need[0] else None
        dm = reduce(-g * inv, 0, m) if need[1] else None
        dv = None
        centered = (a - m) if need[2] or need[4] else None
        if need[2]:
            dvar = g * centered * (-0.5) * inv0 ** 3
            dv = reduce(dvar * s if s is not None else dvar, 1, v)
        do = reduce(g, 2, o) if need[3] else None
        ds = reduce(g * centered * inv0, 3, s) if need[4] else None
        return dx, dm, dv, do, ds

    return record(y, (x, mean, variance, offset, scale), vjp)


def normalize(x, axis=-1, order=2, epsilon=None):
    """`x / max(norm(x, order), epsilon)` along `axis` (epsilon defaults to 1e-7)."""
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or order < 1:
        raise SpecError(f"Argument `order` must be an int >= 1. Received: order={order}")
    a = float_input(x)
    given = a.shape
    if a.ndim == 0:
        a = a.reshape(1)
    xp = array_module(a)
    eps = EPSILON if epsilon is None else float(epsilon)
    axes = normalize_axes(axis, a.ndim)
    if order == 2:
        square_sum = (a * a).sum(axis=axes, keepdims=True)
        live = square_sum > eps * eps  # where the norm, not epsilon, is the divisor
        r = 1.0 / xp.sqrt(xp.maximum(square_sum, eps * eps))
        y = a * r

        def vjp(g):
            g = g.reshape(a.shape)
            dx = g * r - a * (r ** 3) * (g * a).sum(axis=axes, keepdims=True) * live
            return (dx.reshape(given),)
    else:
        if len(axes) != 1:
            raise SpecError("normalize: a tuple of axes needs order=2.")
        magnitude = xp.abs(a)
        norm = (magnitude ** order).sum(axis=axes, keepdims=True) ** (1.0 / order)
        live = norm > eps
        d = xp.maximum(norm, eps)
        y = a / d

        def vjp(g):
            g = g.reshape(a.shape)
            safe = xp.where(live, norm, 1.0)
            dnorm = xp.sign(a) * magnitude ** (order - 1) / safe ** (order - 1)
            dx = g / d - live * (g * a).sum(axis=axes, keepdims=True) / d ** 2 * dnorm
            return (dx.reshape(given),)

    return record(y.astype(a.dtype, copy=False), (x,), vjp)


def _vector_shape(v, a, axes):
    """gamma/beta reshaped to broadcast over `axes` (a vector for the last axis already does)."""
    if v is None or axes == (a.ndim - 1,) or getattr(v, "ndim", 0) == a.ndim:
        return v
    value = float_input(v, like=a)
    shape = [a.shape[i] if i in axes else 1 for i in range(a.ndim)]
    return record(value.reshape(shape), (v,), lambda g: (g.reshape(value.shape),))


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """`(x - mean) / sqrt(var + epsilon) * gamma + beta` over `axis` (epsilon 1e-7);
    `rms_scaling=True` divides by `sqrt(var + epsilon)` only and ignores `beta`."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise SpecError(f"layer_normalization: unexpected keyword arguments {sorted(kwargs)}.")
    eps = EPSILON if epsilon is None else float(epsilon)
    a = float_input(x)
    axes = normalize_axes(axis, a.ndim)
    gamma, beta = _vector_shape(gamma, a, axes), _vector_shape(beta, a, axes)
    mean, variance = moments(x, axes, keepdims=True)
    inv = (variance + eps) ** -0.5
    if rms_scaling:
        out = x * inv
        return out * gamma if gamma is not None else out
    if gamma is not None:
        inv = inv * gamma
    res = -mean * inv
    if beta is not None:
        res = res + beta
    return x * inv + res


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x**2, axis) + epsilon) * scale` (epsilon defaults to 1e-7)."""
    eps = EPSILON if epsilon is None else float(epsilon)
    a = float_input(x)
    xp = array_module(a)
    axes = normalize_axes(axis, a.ndim)
    n = math.prod(a.shape[i] for i in axes)
    rrms = 1.0 / xp.sqrt((a * a).mean(axis=axes, keepdims=True) + eps)
    y = a * rrms

    def vjp(g):
        return (g * rrms - a * (rrms ** 3) * (g * a).sum(axis=axes, keepdims=True) / n,)

    out = record(y.astype(a.dtype, copy=False), (x,), vjp)
    return out * scale if scale is not None else out


__all__ = ["batch_normalization", "layer_normalization", "moments", "normalize",
           "rms_normalization"]
