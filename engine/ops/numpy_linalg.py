"""Keras's products and matrix ops: dot, tensordot, outer, inner, vdot, norm, trace, diag,
diagonal. Products are written as einsums, so their VJPs are einsum's.
"""

import string

from .core import record
from .numpy_common import FLOATX, expand_reduced, promote, quiet, to_array, value_of, xp_of
from .numpy_einsum import einsum
from .numpy_shape import reshape

_LETTERS = string.ascii_lowercase


def tensordot(x1, x2, axes=2):
    a, b = to_array(x1), to_array(x2)
    if isinstance(axes, int) or (hasattr(value_of(axes), "ndim") and value_of(axes).ndim == 0):
        n = int(value_of(axes))
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        axes_a, axes_b = ([int(v) for v in (ax if isinstance(ax, (list, tuple)) else [ax])]
                          for ax in axes)
    sub_a = list(_LETTERS[:a.ndim])
    sub_b = list(_LETTERS[a.ndim:a.ndim + b.ndim])
    for i, j in zip(axes_a, axes_b):
        sub_b[j % b.ndim] = sub_a[i % a.ndim]
    kept_a = [c for k, c in enumerate(sub_a) if k not in [i % a.ndim for i in axes_a]]
    kept_b = [c for k, c in enumerate(sub_b) if k not in [j % b.ndim for j in axes_b]]
    return einsum(f"{''.join(sub_a)},{''.join(sub_b)}->{''.join(kept_a + kept_b)}", x1, x2)


def dot(x1, x2):
    """NumPy's dot: a product with a scalar, the inner product of vectors, matmul for
    matrices, and for N-D the sum over x1's last axis and x2's second-to-last."""
    a, b = to_array(x1), to_array(x2)
    if a.ndim == 0 or b.ndim == 0:
        from .core import multiply

        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([a.ndim - 1], [max(b.ndim - 2, 0)]))


def outer(x1, x2):
    return einsum("i,j->ij", reshape(x1, (-1,)), reshape(x2, (-1,)))


def inner(x1, x2):
    a, b = to_array(x1), to_array(x2)
    if a.ndim == 0 or b.ndim == 0:
        from .core import multiply

        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-1]))


def vdot(x1, x2):
    return einsum("i,i->", reshape(x1, (-1,)), reshape(x2, (-1,)))


# ----- diagonals ------------------------------------------------------------------------------
def _diagonal_index(xp, rows, cols, k):
    n = max(0, min(rows - max(-k, 0), cols - max(k, 0)))
    start_r, start_c = max(-k, 0), max(k, 0)
    return xp.arange(n) + start_r, xp.arange(n) + start_c


def diagonal(x, offset=0, axis1=0, axis2=1):
    a = to_array(x)
    xp = xp_of(a)
    axis1, axis2 = axis1 % a.ndim, axis2 % a.ndim
    y = xp.diagonal(a, offset=offset, axis1=axis1, axis2=axis2)

    def vjp(g):
        moved = xp.zeros(tuple(d for k, d in enumerate(a.shape) if k not in (axis1, axis2))
                         + (a.shape[axis1], a.shape[axis2]), dtype=g.dtype)
        r, c = _diagonal_index(xp, a.shape[axis1], a.shape[axis2], offset)
        moved[..., r, c] = g
        return (xp.moveaxis(moved, (-2, -1), (axis1, axis2)),)

    return record(y, (x,), vjp)


def diag(x, k=0):
    """The k-th diagonal of a matrix, or a matrix with a vector on its k-th diagonal."""
    a = to_array(x)
    if a.ndim == 2:
        return diagonal(x, offset=k)
    if a.ndim != 1:
        raise ValueError(f"diag expects a 1-D or 2-D tensor. Received: rank {a.ndim}")
    xp = xp_of(a)
    y = xp.diag(a, k=k)
    r, c = _diagonal_index(xp, y.shape[0], y.shape[1], k)
    return record(y, (x,), lambda g: (g[r, c],))


def trace(x, offset=0, axis1=0, axis2=1):
    from .numpy_reduction import sum as _sum  # reduction imports nothing here

    return _sum(diagonal(x, offset=offset, axis1=axis1, axis2=axis2), axis=-1)


# ----- norm ------------------------------------------------------------------------------------
def norm(x, ord=None, axis=None, keepdims=False):  # Keras's argument name
    """Vector norms (ord None/2, 1, inf, -inf, 0, any p) and matrix norms (None/'fro', 1, -1,
    inf, -inf). Where a 2-norm is 0 its gradient is 0 (a subgradient), not nan."""
    a = to_array(x)
    if a.dtype.kind in "iub":  # Keras: the norm of ints is float32
        x = _as(x, promote(a.dtype, FLOATX))
        a = to_array(x)
    if axis is None:
        if ord is None:  # NumPy: the 2-norm of the flattened tensor, whatever the rank
            return _two_norm(x, a, tuple(range(a.ndim)), keepdims)
        if a.ndim not in (1, 2):
            raise ValueError("Improper number of dimensions to norm.")
        axes = tuple(range(a.ndim))
    else:
        axes = tuple(int(v) % a.ndim for v in (axis if isinstance(axis, (list, tuple))
                                                 else [axis]))
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    if len(axes) != 1:
        raise ValueError(f"Improper number of dimensions to norm. Received: axis={axis}")
    return _vector_norm(x, a, ord, axes, keepdims)


def _as(x, dtype):
    from .numpy_creation import cast

    return cast(x, dtype)


def _two_norm(x, a, axes, keepdims):
    xp = xp_of(a)
    y = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=keepdims))

    def vjp(g):
        n = expand_reduced(y, a.shape, axes, keepdims)
        with quiet():
            scale = xp.where(n > 0, expand_reduced(g, a.shape, axes, keepdims) / n, 0)
        return (scale * a,)

    return record(xp.asarray(y), (x,), vjp)


def _vector_norm(x, a, ord, axes, keepdims):
    from . import numpy_reduction as red
    from .core import absolute, power

    if ord is None or ord == 2:
        return _two_norm(x, a, axes, keepdims)
    if ord in ("fro", "nuc"):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == float("inf"):
        return red.max(absolute(x), axis=axes, keepdims=keepdims)
    if ord == float("-inf"):
        return red.min(absolute(x), axis=axes, keepdims=keepdims)
    if ord == 0:  # the count of non-zeros: no gradient
        xp = xp_of(a)
        return red.sum(xp.asarray(a != 0, dtype=a.dtype), axis=axes, keepdims=keepdims)
    if ord == 1:
        return red.sum(absolute(x), axis=axes, keepdims=keepdims)
    total = red.sum(power(absolute(x), float(ord)), axis=axes, keepdims=keepdims)
    return power(total, 1.0 / float(ord))


def _matrix_norm(x, ord, axes, keepdims):
    from . import numpy_reduction as red
    from .core import absolute

    row, col = axes
    if ord is None or ord == "fro":
        return _two_norm(x, to_array(x), axes, keepdims)
    if ord in (1, -1):
        sums = red.sum(absolute(x), axis=row, keepdims=True)
        pick = red.max if ord == 1 else red.min
        out = pick(sums, axis=col, keepdims=True)
    elif ord in (float("inf"), float("-inf")):
        sums = red.sum(absolute(x), axis=col, keepdims=True)
        pick = red.max if ord > 0 else red.min
        out = pick(sums, axis=row, keepdims=True)
    else:
        raise NotImplementedError(f"Matrix norm ord={ord!r} (2, -2 and 'nuc' need an SVD) is "
                                  "not implemented.")
    return out if keepdims else reshape(out, [d for k, d in enumerate(out.shape)
                                              if k not in axes])
