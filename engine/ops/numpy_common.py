"""Helpers the numpy-style ops share: Keras's dtype rules, input conversion, axis handling.

Keras 3 promotes like JAX, not like NumPy: an int array meeting a float array takes the float
dtype (int64 + float32 is float32), and Python numbers are "weak" (an int32 array plus 2 stays
int32, plus 2.5 becomes float32). NumPy 2 alone would give float64 in both mixed cases.
"""

import numpy as np

from .. import backend
from .core import Tensor, array_module, sum_to_shape, value_of

FLOATX = np.dtype(backend.FLOATX)
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", "int": "int32",
                  "float": "float32"}


def standardize_dtype(dtype):
    """A NumPy dtype from a Keras dtype argument (None means floatx, as Keras)."""
    if dtype is None:
        return FLOATX
    dtype = _PYTHON_DTYPES.get(dtype, dtype)
    if isinstance(dtype, str) and dtype == "bfloat16":
        raise TypeError("bfloat16 is not supported by the NumPy/CuPy engine; use float16 or "
                        "float32.")
    return np.dtype(dtype)


def is_python_scalar(v) -> bool:
    return isinstance(v, (bool, int, float)) and not hasattr(v, "dtype")


def to_array(x, dtype=None, like=None):
    """The xp array behind `x`. Python numbers and lists get Keras's default dtypes (float32,
    int32, bool), not NumPy's 64-bit ones; arrays keep their dtype unless `dtype` is given."""
    v = value_of(x)
    if isinstance(v, (list, tuple)):
        v = [value_of(item) for item in v]
    if not (hasattr(v, "shape") and hasattr(v, "dtype")) or isinstance(v, np.generic):
        xp = array_module(value_of(like)) if like is not None else np
        v = xp.asarray(v)
        if dtype is None and v.dtype == np.float64 and not isinstance(value_of(x), np.generic):
            dtype = FLOATX
        elif dtype is None and v.dtype == np.int64 and not isinstance(value_of(x), np.generic):
            dtype = np.dtype("int32")
    elif like is not None and isinstance(v, np.ndarray):
        xp = array_module(value_of(like))
        if xp is not np:  # a NumPy operand of a CuPy op moves to the GPU
            v = xp.asarray(v)
    if dtype is not None and v.dtype != dtype:
        v = v.astype(dtype)
    return v


def promote(*dtypes):
    """JAX's (Keras's) promotion among array dtypes: floats beat ints whatever their width."""
    dtypes = [np.dtype(d) for d in dtypes]
    floats = [d for d in dtypes if d.kind in "fc"]
    return np.result_type(*(floats or dtypes))


def result_dtype(*values):
    """The dtype Keras gives an op on `values` (arrays, Tensors, Variables, Python numbers)."""
    raw = [value_of(v) for v in values]
    arrays = [to_array(v).dtype for v in raw if not is_python_scalar(v)]
    scalars = [v for v in raw if is_python_scalar(v)]
    if arrays:
        dtype = promote(*arrays)
    else:
        dtype = np.dtype(_PYTHON_DTYPES[type(scalars[0])])
        arrays = [dtype]
    for s in scalars:  # weak types: they only lift bool -> int -> float
        if isinstance(s, float) and dtype.kind in "iub":
            dtype = FLOATX
        elif isinstance(s, int) and not isinstance(s, bool) and dtype.kind == "b":
            dtype = np.dtype("int32")
    return dtype


def same_dtype(*values, dtype=None):
    """The arrays of `values`, all in their Keras result dtype (or `dtype`), on one device."""
    dtype = result_dtype(*values) if dtype is None else dtype
    raw = [value_of(v) for v in values]
    # a CuPy operand, if any, decides the device: NumPy operands and numbers move to it
    like = next((v for v in raw if array_module(v) is not np), None)
    return [to_array(v, dtype, like=like) for v in raw]


def float_dtype(dtype):
    """The float dtype an int/bool input is computed in by Keras's float ops (floatx)."""
    dtype = np.dtype(dtype)
    return FLOATX if dtype.kind in "iub" else dtype


def to_float_array(x):
    """`x` as an array of its float dtype (ints and bools become floatx, as in Keras)."""
    a = to_array(x)
    return a.astype(float_dtype(a.dtype)) if a.dtype.kind in "iub" else a


def cotangent(g, a):
    """`g` summed down to the shape of input array `a`, in `a`'s float dtype: an input's
    gradient keeps its dtype when the op promoted it (float32 meeting float64)."""
    g = sum_to_shape(g, a.shape)
    if a.dtype.kind == "f" and g.dtype != a.dtype:
        g = g.astype(a.dtype)
    return g


def normalize_axis(axis, ndim):
    """`axis` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        axes = [int(value_of(a)) for a in axis]
    else:
        axes = [int(value_of(axis))]
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for a tensor of rank {ndim}.")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def expand_reduced(g, shape, axes, keepdims):
    """A reduction's cotangent `g` put back in the input's rank (reduced axes of size 1),
    ready to broadcast against the input."""
    if keepdims:
        return g
    full = [1 if i in axes else d for i, d in enumerate(shape)]
    return g.reshape(full)


def spread(xp, g, shape):
    """`g` broadcast to `shape` as a fresh, writable array (a gradient the caller may update
    in place, unlike a broadcast view)."""
    return xp.array(xp.broadcast_to(g, shape))


def wrap(value):
    """An untracked Tensor of a raw result (NumPy scalars become 0-d arrays)."""
    if isinstance(value, np.generic):
        value = np.asarray(value)
    return Tensor(value)


def xp_of(*values):
    """`numpy` or `cupy` from raw values (lists and numbers count as NumPy)."""
    return array_module(*[value_of(v) for v in values])


def scatter_add(xp, out, index, values):
    """`out[index] += values` with repeated indices accumulated (NumPy's or CuPy's add.at)."""
    xp.add.at(out, index, values)
    return out


def quiet():
    """Silences NumPy's inf/nan warnings (log(0) is -inf in Keras too). Only NumPy warns;
    CuPy is silent, so NumPy's errstate suffices for both."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")
