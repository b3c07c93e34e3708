"""Keras's binary element-wise ops, `clip`, `where`, comparisons and logical ops.

Broadcasting is undone in every VJP (`cotangent` sums back to each input's shape).
`maximum`/`minimum` split the gradient evenly where the two inputs tie (JAX's convention):
the result is then the mean of two equal branches, so each gets half.
"""

from .core import record
from .numpy_common import cotangent, quiet, result_dtype, same_dtype, to_array, wrap, xp_of


def arctan2(x1, x2):
    dtype = result_dtype(x1, x2, 0.5)  # ints become floatx
    a, b = same_dtype(x1, x2, dtype=dtype)
    xp = xp_of(a, b)
    y = xp.arctan2(a, b)

    def vjp(g):
        with quiet():
            r2 = a * a + b * b
            return cotangent(g * b / r2, a), cotangent(-g * a / r2, b)

    return record(y, (x1, x2), vjp)


def _extremum(x1, x2, pick):
    a, b = same_dtype(x1, x2)
    xp = xp_of(a, b)
    y = pick(xp, a, b)
    # 1 where a wins, 0 where b wins, 1/2 on ties
    share = (a == y).astype(y.dtype) if y.dtype.kind == "f" else None

    def vjp(g):
        wa = share - 0.5 * (b == y) * share
        return cotangent(g * wa, a), cotangent(g * (1 - wa), b)

    return record(y, (x1, x2), vjp) if share is not None else wrap(y)


def maximum(x1, x2):
    return _extremum(x1, x2, lambda xp, a, b: xp.maximum(a, b))


def minimum(x1, x2):
    return _extremum(x1, x2, lambda xp, a, b: xp.minimum(a, b))


def floor_divide(x1, x2):
    """Piecewise constant: no gradient path (as TensorFlow's FloorDiv)."""
    a, b = same_dtype(x1, x2)
    with quiet():
        return wrap(xp_of(a, b).floor_divide(a, b))


def mod(x1, x2):
    """`x1 - floor(x1 / x2) * x2`: d/dx1 = 1, d/dx2 = -floor(x1 / x2)."""
    a, b = same_dtype(x1, x2)
    if a.dtype.kind == "b":
        a, b = a.astype("int32"), b.astype("int32")
    xp = xp_of(a, b)
    with quiet():
        y = xp.mod(a, b)
    if y.dtype.kind != "f":
        return wrap(y)

    def vjp(g):
        with quiet():
            return cotangent(g, a), cotangent(-g * xp.floor_divide(a, b), b)

    return record(y, (x1, x2), vjp)


def clip(x, x_min, x_max):
    """The gradient reaches `x` where x_min <= x <= x_max (bounds inclusive, as PyTorch's
    clamp), and a tensor bound where it is the one that clipped."""
    a = to_array(x)
    if a.dtype.kind == "b":  # Keras: a clipped bool tensor is int32
        a = a.astype("int32")
    lo, hi = same_dtype(x_min, x_max, dtype=a.dtype) if a.dtype.kind != "f" else \
        [to_array(v, a.dtype, like=a) for v in (x_min, x_max)]
    xp = xp_of(a)
    y = xp.minimum(xp.maximum(a, lo), hi).astype(a.dtype)
    if y.dtype.kind != "f":
        return wrap(y)

    def vjp(g):
        below, above = a < lo, a > hi
        inside = ~(below | above)
        return (cotangent(g * inside, a), cotangent(g * (below & ~above), lo),
                cotangent(g * above, hi))

    return record(y, (x, x_min, x_max), vjp)


def where(condition, x1=None, x2=None):
    """`x1` where `condition`, else `x2`; with only `condition`, its non-zero indices."""
    cond = to_array(condition)
    if x1 is None and x2 is None:
        from .numpy_indexing import nonzero  # that module imports this one

        return nonzero(cond)
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` either both should be `None` or both should have "
                         "non-None value.")
    a, b = same_dtype(x1, x2)
    xp = xp_of(cond, a, b)
    mask = cond.astype(bool)
    y = xp.where(mask, a, b)
    return record(y, (x1, x2), lambda g: (cotangent(xp.where(mask, g, 0), a),
                                          cotangent(xp.where(mask, 0, g), b)))


# ----- comparisons and logic: boolean results, never recorded ----------------------------------
def _compare(name):
    def op(x1, x2):
        a, b = same_dtype(x1, x2)
        return wrap(getattr(xp_of(a, b), name)(a, b))

    op.__name__ = name
    op.__doc__ = f"Element-wise `{name}` (a bool tensor; not differentiable)."
    return op


equal = _compare("equal")
not_equal = _compare("not_equal")
less = _compare("less")
less_equal = _compare("less_equal")
greater = _compare("greater")
greater_equal = _compare("greater_equal")
logical_and = _compare("logical_and")
logical_or = _compare("logical_or")
logical_xor = _compare("logical_xor")


def logical_not(x):
    a = to_array(x)
    return wrap(xp_of(a).logical_not(a))


def _test(name):
    def op(x):
        a = to_array(x)
        return wrap(getattr(xp_of(a), name)(a))

    op.__name__ = name
    return op


isnan = _test("isnan")
isinf = _test("isinf")
isfinite = _test("isfinite")


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    a, b = same_dtype(x1, x2)
    return wrap(xp_of(a, b).isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))

