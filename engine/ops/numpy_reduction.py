"""Keras's reductions and scans: sum, mean, max/min, prod, var/std, arg*, cum*, all/any.

A reduction's VJP reshapes the cotangent to the input's rank (reduced axes of size 1) and
lets broadcasting spread it. `max`/`min` split the gradient evenly among tied extremes (as
TensorFlow's reduce_max and JAX do), so the gradient sums to the upstream value.
"""

import builtins

from .core import record
from .numpy_common import (
    FLOATX,
    expand_reduced,
    float_dtype,
    normalize_axis,
    promote,
    quiet,
    spread,
    to_array,
    to_float_array,
    wrap,
    xp_of,
)

_WIDEN = {"b": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
          "uint16": "uint32"}  # JAX's (Keras's) accumulator dtypes for small ints


def _widened(dtype):
    return _WIDEN.get("b" if dtype.kind == "b" else dtype.name, dtype)


def _axes(a, axis):
    return normalize_axis(axis, a.ndim)


def sum(x, axis=None, keepdims=False):  # Keras's name
    a = to_array(x)
    xp, axes = xp_of(a), _axes(a, axis)
    y = xp.asarray(xp.sum(a, axis=axes, keepdims=keepdims)).astype(_widened(a.dtype))
    return record(y, (x,), lambda g: (spread(xp, expand_reduced(g, a.shape, axes, keepdims),
                                             a.shape),))


def mean(x, axis=None, keepdims=False):
    a = to_array(x)
    if a.dtype.kind in "iub":  # Keras: the mean of ints is float32
        a = a.astype(promote(a.dtype, FLOATX))
    xp, axes = xp_of(a), _axes(a, axis)
    with quiet():  # the mean of nothing is nan, silently
        y = xp.asarray(xp.mean(a, axis=axes, keepdims=keepdims))
    count = builtins.max(_count(a.shape, axes), 1)
    return record(y, (x,), lambda g: (spread(xp, expand_reduced(g, a.shape, axes, keepdims)
                                             / count, a.shape),))


def _count(shape, axes):
    n = 1
    for i in axes:
        n *= shape[i]
    return n


def _extreme(x, axis, keepdims, initial, name):
    a = to_array(x)
    xp, axes = xp_of(a), _axes(a, axis)
    kwargs = {} if initial is None else {"initial": initial}
    y = xp.asarray(getattr(xp, name)(a, axis=axes, keepdims=keepdims, **kwargs))
    if a.dtype.kind != "f":
        return wrap(y)

    def vjp(g):
        y_full = expand_reduced(y, a.shape, axes, keepdims)
        hit = (a == y_full).astype(g.dtype)
        ties = xp.maximum(hit.sum(axis=axes, keepdims=True), 1)  # `initial` may win: no hit
        return (expand_reduced(g, a.shape, axes, keepdims) * hit / ties,)

    return record(y, (x,), vjp)


def max(x, axis=None, keepdims=False, initial=None):  # Keras's name
    return _extreme(x, axis, keepdims, initial, "max")


def min(x, axis=None, keepdims=False, initial=None):  # Keras's name
    return _extreme(x, axis, keepdims, initial, "min")


def amax(x, axis=None, keepdims=False):
    return max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims=False):
    return min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    a = to_array(x)
    xp, axes = xp_of(a), _axes(a, axis)
    out_dtype = _widened(a.dtype) if dtype is None else dtype
    y = xp.asarray(xp.prod(a, axis=axes, keepdims=keepdims, dtype=out_dtype))
    if a.dtype.kind != "f":
        return wrap(y)
    return record(y, (x,), lambda g: (expand_reduced(g, a.shape, axes, keepdims)
                                      * _products_of_others(xp, a, axes),))


def _products_of_others(xp, a, axes):
    """For each element, the product of the other elements it was reduced with: exclusive
    cumulative products from both sides, exact where some elements are zero (y / a is not)."""
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = xp.transpose(a, rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=a.dtype)
    left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], -1), -1), -1)
    others = (left * right).reshape(moved.shape)
    perm = rest + list(axes)
    return xp.transpose(others, [perm.index(i) for i in range(a.ndim)])


def cumsum(x, axis=None, dtype=None):
    """Running sums (flattened when `axis` is None); the VJP is the reversed running sum."""
    a, axis = _scan_input(x, axis)
    xp = xp_of(a)
    y = xp.cumsum(a, axis=axis, dtype=_scan_dtype(a, dtype))
    flat_shape = to_array(x).shape
    return record(y, (x,), lambda g: (xp.flip(xp.cumsum(xp.flip(g, axis), axis), axis)
                                      .reshape(flat_shape),))


def cumprod(x, axis=None, dtype=None):
    """Running products. d y_j / d x_i is the product of x_k for k <= j, k != i: computed by
    dividing where x has no zero, and exactly (a cumprod per position i) where it has."""
    a, axis = _scan_input(x, axis)
    xp = xp_of(a)
    y = xp.cumprod(a, axis=axis, dtype=_scan_dtype(a, dtype))
    flat_shape = to_array(x).shape

    def vjp(g):
        if bool(xp.all(a != 0)):
            gx = xp.flip(xp.cumsum(xp.flip(g * y, axis), axis), axis) / a
        else:
            gx = _cumprod_vjp_exact(xp, a, g, axis)
        return (gx.reshape(flat_shape),)

    return record(y, (x,), vjp)


def _scan_input(x, axis):
    a = to_array(x)
    if axis is None:  # as NumPy: scan the flattened tensor
        return a.reshape(-1), 0
    return a, normalize_axis(axis, a.ndim)[0]


def _scan_dtype(a, dtype):
    if dtype is not None:
        return dtype
    return "int32" if a.dtype.kind == "b" else a.dtype


def _cumprod_vjp_exact(xp, a, g, axis):
    """O(n^2) along `axis`, used only when `a` holds zeros."""
    moved, gm = xp.moveaxis(a, axis, -1), xp.moveaxis(g, axis, -1)
    n = moved.shape[-1]
    eye = xp.eye(n, dtype=bool)
    # row i: the scan with x_i replaced by 1; only outputs j >= i depend on x_i
    replaced = xp.where(eye, xp.ones((), a.dtype), moved[..., None, :])
    scans = xp.cumprod(replaced, axis=-1) * xp.triu(xp.ones((n, n), dtype=a.dtype))
    gx = (scans * gm[..., None, :]).sum(axis=-1)
    return xp.moveaxis(gx, -1, axis)


def var(x, axis=None, keepdims=False):
    a = to_float_array(x)
    xp, axes = xp_of(a), _axes(a, axis)
    centered = a - xp.mean(a, axis=axes, keepdims=True)
    y = xp.asarray(xp.mean(centered * centered, axis=axes, keepdims=keepdims))
    count = builtins.max(_count(a.shape, axes), 1)
    return record(y, (x,), lambda g: (expand_reduced(g, a.shape, axes, keepdims)
                                      * (2 / count) * centered,))


def std(x, axis=None, keepdims=False):
    """sqrt(var); where the spread is 0 the gradient is 0 (the subgradient), not nan."""
    a = to_float_array(x)
    xp, axes = xp_of(a), _axes(a, axis)
    centered = a - xp.mean(a, axis=axes, keepdims=True)
    y = xp.asarray(xp.sqrt(xp.mean(centered * centered, axis=axes, keepdims=keepdims)))
    count = builtins.max(_count(a.shape, axes), 1)

    def vjp(g):
        s = expand_reduced(y, a.shape, axes, keepdims)
        safe = xp.where(s > 0, s, 1)
        return (expand_reduced(g, a.shape, axes, keepdims) * xp.where(s > 0, centered, 0)
                / (count * safe),)

    return record(y, (x,), vjp)


# ----- index-valued and boolean reductions: not differentiable ---------------------------------
def _arg(x, axis, keepdims, name):
    a = to_array(x)
    xp = xp_of(a)
    if a.dtype.kind == "f" and a.ndim:  # Keras: -0.0 ranks below +0.0
        a = xp.where((a == 0) & xp.signbit(a), -xp.finfo(a.dtype).tiny, a)
    axis = None if axis is None else int(axis)
    return wrap(xp.asarray(getattr(xp, name)(a, axis=axis, keepdims=keepdims)).astype("int32"))


def argmax(x, axis=None, keepdims=False):
    return _arg(x, axis, keepdims, "argmax")


def argmin(x, axis=None, keepdims=False):
    return _arg(x, axis, keepdims, "argmin")


def all(x, axis=None, keepdims=False):  # Keras's name
    a = to_array(x)
    return wrap(xp_of(a).all(a, axis=_axes(a, axis), keepdims=keepdims))


def any(x, axis=None, keepdims=False):  # Keras's name
    a = to_array(x)
    return wrap(xp_of(a).any(a, axis=_axes(a, axis), keepdims=keepdims))


def count_nonzero(x, axis=None):
    a = to_array(x)
    xp = xp_of(a)
    return wrap(xp.asarray(xp.sum(a != 0, axis=_axes(a, axis))).astype("int32"))


def average(x, axis=None, weights=None):
    """The (weighted) mean; 1-D `weights` run along `axis`, as NumPy's. Composed of recorded
    ops, so it differentiates in `x` and in `weights`."""
    from .core import divide, multiply
    from .numpy_creation import cast
    from .numpy_shape import reshape

    a = to_array(x)
    if weights is None:
        return mean(cast(x, float_dtype(a.dtype)), axis=axis)
    w = to_array(weights)
    dtype = float_dtype(promote(a.dtype, w.dtype))
    x, weights = cast(x, dtype), cast(weights, dtype)
    if w.ndim == 1 and a.ndim > 1 and axis is not None:
        view = [1] * a.ndim
        view[int(axis) % a.ndim] = w.shape[0]
        weights = reshape(weights, view)
    scale = sum(multiply(weights, xp_of(a).ones(a.shape, dtype)), axis=axis)
    return divide(sum(multiply(x, weights), axis=axis), scale)
