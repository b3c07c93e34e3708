"""Keras's tensor creation and conversion ops: cast, convert_to_tensor, zeros/ones/full,
arange, linspace, eye, meshgrid, stop_gradient, and the shape queries.

Creation ops have no inputs to differentiate and return untracked Tensors on the CPU
(NumPy); dtypes default as in Keras (floatx for zeros/ones/full/eye, int32 for Python-int
`arange`).
"""

import numpy as np

from .. import backend
from .core import Tensor, record
from .numpy_common import (
    float_dtype,
    result_dtype,
    standardize_dtype,
    to_array,
    value_of,
    wrap,
    xp_of,
)


def cast(x, dtype):
    """`x` in `dtype`; float-to-float casts pass the gradient through (cast back)."""
    a = to_array(x)
    dtype = standardize_dtype(dtype)
    y = a.astype(dtype)
    if a.dtype.kind != "f" or dtype.kind != "f":
        return wrap(y)
    return record(y, (x,), lambda g: (g.astype(a.dtype),))


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """A Tensor of `x`. A Tensor in the wanted dtype is returned as is; a Variable is read (and
    so stays differentiable under a tape)."""
    if sparse:
        raise ValueError("`sparse=True` is not supported by this engine.")
    if ragged:
        raise ValueError("`ragged=True` is not supported by this engine.")
    want = None if dtype is None else standardize_dtype(dtype)
    if isinstance(x, Tensor) and (want is None or x.dtype == want):
        return x
    if want is not None and to_array(x).dtype != want:
        return cast(x, want)
    a = to_array(x)
    return record(a, (x,), lambda g: (g,))


def convert_to_numpy(x):
    return np.array(backend.to_numpy(value_of(x)))


def stop_gradient(variable):
    """The value, cut from the tape: nothing flows back through it."""
    return Tensor(to_array(variable))


def _shape(shape):
    if isinstance(shape, (list, tuple)):
        return tuple(int(value_of(s)) for s in shape)
    return (int(value_of(shape)),)


def zeros(shape, dtype=None):
    return Tensor(np.zeros(_shape(shape), dtype=standardize_dtype(dtype)))


def ones(shape, dtype=None):
    return Tensor(np.ones(_shape(shape), dtype=standardize_dtype(dtype)))


def full(shape, fill_value, dtype=None):
    fill = to_array(fill_value)
    xp = xp_of(fill)
    return Tensor(xp.full(_shape(shape), fill, dtype=standardize_dtype(dtype)))


def empty(shape, dtype=None):
    return zeros(shape, dtype)  # deterministic contents cost nothing here


def _like_dtype(a, dtype):
    return a.dtype if dtype is None else standardize_dtype(dtype)


def zeros_like(x, dtype=None):
    a = to_array(x)
    return Tensor(xp_of(a).zeros(a.shape, dtype=_like_dtype(a, dtype)))


def ones_like(x, dtype=None):
    a = to_array(x)
    return Tensor(xp_of(a).ones(a.shape, dtype=_like_dtype(a, dtype)))


def full_like(x, fill_value, dtype=None):
    a = to_array(x)
    fill = to_array(fill_value, like=a)
    return Tensor(xp_of(a).full(a.shape, fill, dtype=_like_dtype(a, dtype)))


def empty_like(x, dtype=None):
    return zeros_like(x, dtype)


def arange(start, stop=None, step=None, dtype=None):
    if dtype is None:
        dtype = result_dtype(*[value_of(v) for v in (start, stop, step) if v is not None])
    else:
        dtype = standardize_dtype(dtype)
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    values = [to_array(v).item() for v in (start, stop, step)]
    return Tensor(np.arange(*values, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if dtype is None:
        dtype = float_dtype(result_dtype(value_of(start), value_of(stop), 0.5))
    else:
        dtype = standardize_dtype(dtype)
    lo, hi = to_array(start), to_array(stop)
    xp = xp_of(lo, hi)
    out = xp.linspace(lo, hi, num=int(num), endpoint=endpoint, retstep=retstep, dtype=dtype,
                      axis=axis)
    if retstep:
        return Tensor(out[0]), Tensor(xp.asarray(out[1], dtype=dtype))
    return Tensor(out)


def eye(N, M=None, k=0, dtype=None):
    return Tensor(np.eye(int(N), None if M is None else int(M), k=int(k),
                         dtype=standardize_dtype(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    return Tensor(np.tri(int(N), None if M is None else int(M), k=int(k),
                         dtype=standardize_dtype(dtype)))


def meshgrid(*x, indexing="xy"):
    """Coordinate grids; each grid is a broadcast of its 1-D input (differentiable)."""
    from .numpy_shape import broadcast_to, reshape  # keep modules independent

    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for `indexing` are 'xy' and 'ij'. Received: {indexing}")
    sizes = [to_array(v).size for v in x]
    shape = list(sizes)
    if indexing == "xy" and len(x) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for i, v in enumerate(x):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(x) > 1 else i
        view = [1] * len(x)
        view[axis] = sizes[i]
        grids.append(broadcast_to(reshape(v, view), shape))
    return grids


# ----- shape queries: plain Python values, as Keras's ops.shape / size / ndim ------------------
def shape(x):
    return tuple(int(d) for d in to_array(x).shape)


def size(x):
    return int(to_array(x).size)


def ndim(x):
    return int(to_array(x).ndim)


def copy(x):
    a = to_array(x)
    return record(a.copy(), (x,), lambda g: (g,))


def array(x, dtype=None):
    return convert_to_tensor(x, dtype=dtype)
