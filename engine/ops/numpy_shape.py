"""Keras's shape ops: reshape, transpose, axes moves, joins and splits, tile/repeat, flips.

Each VJP is the inverse rearrangement of the cotangent (a transpose by the inverse
permutation, a split of a concatenation, a sum over tiled copies).
"""

from .core import record
from .numpy_common import (
    cotangent,
    normalize_axis,
    same_dtype,
    scatter_add,
    to_array,
    value_of,
    xp_of,
)


def _ints(values):
    if isinstance(values, (list, tuple)):
        return tuple(int(value_of(v)) for v in values)
    v = value_of(values)
    if hasattr(v, "ndim") and v.ndim:
        return tuple(int(i) for i in v.tolist())
    return (int(v),)


def reshape(x, newshape):
    a = to_array(x)
    y = a.reshape(_ints(newshape))
    return record(y, (x,), lambda g: (g.reshape(a.shape),))


def ravel(x):
    return reshape(x, (-1,))


def transpose(x, axes=None):
    a = to_array(x)
    perm = tuple(reversed(range(a.ndim))) if axes is None else \
        tuple(p % a.ndim for p in _ints(axes))
    inverse = [perm.index(i) for i in range(a.ndim)]
    xp = xp_of(a)
    return record(xp.transpose(a, perm), (x,), lambda g: (xp.transpose(g, inverse),))


def moveaxis(x, source, destination):
    a = to_array(x)
    xp = xp_of(a)
    src, dst = _ints(source), _ints(destination)
    return record(xp.moveaxis(a, src, dst), (x,), lambda g: (xp.moveaxis(g, dst, src),))


def swapaxes(x, axis1, axis2):
    a = to_array(x)
    xp = xp_of(a)
    return record(xp.swapaxes(a, axis1, axis2), (x,),
                  lambda g: (xp.swapaxes(g, axis1, axis2),))


def expand_dims(x, axis):
    a = to_array(x)
    y = xp_of(a).expand_dims(a, _ints(axis))
    return record(y, (x,), lambda g: (g.reshape(a.shape),))


def squeeze(x, axis=None):
    a = to_array(x)
    axes = None if axis is None else _ints(axis)
    y = xp_of(a).squeeze(a, axis=axes)
    return record(y, (x,), lambda g: (g.reshape(a.shape),))


def broadcast_to(x, shape):
    a = to_array(x)
    y = xp_of(a).broadcast_to(a, _ints(shape))
    return record(y, (x,), lambda g: (cotangent(g, a),))


def concatenate(xs, axis=0):
    originals = [to_array(v) for v in xs]
    arrays = same_dtype(*originals)
    xp = xp_of(*arrays)
    if axis is None:  # as NumPy: flatten first
        arrays, axis = [a.reshape(-1) for a in arrays], 0
    y = xp.concatenate(arrays, axis=axis)
    bounds = _offsets([a.shape[axis] for a in arrays])

    def vjp(g):
        parts = xp.split(g, bounds[1:-1], axis=axis)
        return tuple(cotangent(p.reshape(o.shape), o) for p, o in zip(parts, originals))

    return record(y, tuple(xs), vjp)


def _offsets(sizes):
    out = [0]
    for s in sizes:
        out.append(out[-1] + s)
    return out


def stack(x, axis=0):
    originals = [to_array(v) for v in x]
    arrays = same_dtype(*originals)
    xp = xp_of(*arrays)
    y = xp.stack(arrays, axis=axis)
    axis = axis % y.ndim
    return record(y, tuple(x), lambda g: tuple(cotangent(xp.take(g, i, axis=axis), o)
                                               for i, o in enumerate(originals)))


def hstack(xs):
    arrays = [to_array(v) for v in xs]
    if all(a.ndim == 1 for a in arrays):  # NumPy: 1-D tensors join along axis 0
        return concatenate(xs, axis=0)
    return concatenate([_at_least(v, 1) for v in xs], axis=1)


def vstack(xs):
    return concatenate([_at_least(v, 2) for v in xs], axis=0)


def _at_least(x, ndim):
    a = to_array(x)
    if a.ndim >= ndim:
        return x
    return reshape(x, (1,) * (ndim - a.ndim) + a.shape if a.ndim else (1,) * ndim)


def split(x, indices_or_sections, axis=0):
    """A list of pieces; each piece's VJP writes its cotangent into zeros of `x`'s shape."""
    a = to_array(x)
    xp = xp_of(a)
    axis %= a.ndim
    sections = value_of(indices_or_sections)  # a count, or the indices to split before
    if isinstance(sections, (list, tuple)) or getattr(sections, "ndim", 0):
        sections = list(_ints(sections))
    else:
        sections = int(sections)
    pieces = xp.split(a, sections, axis=axis)
    starts = _offsets([p.shape[axis] for p in pieces])
    return [record(p, (x,), _piece_vjp(xp, a, axis, starts[i], starts[i + 1]))
            for i, p in enumerate(pieces)]


def _piece_vjp(xp, a, axis, start, stop):
    def vjp(g):
        out = xp.zeros(a.shape, dtype=g.dtype)
        index = (slice(None),) * axis + (slice(start, stop),)
        out[index] = g
        return (out,)

    return vjp


def tile(x, repeats):
    a = to_array(x)
    xp = xp_of(a)
    reps = _ints(repeats)
    y = xp.tile(a, reps)
    ndim = max(len(reps), a.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    base = (1,) * (ndim - a.ndim) + a.shape

    def vjp(g):
        split_shape = [d for pair in zip(reps, base) for d in pair]  # (r0, s0, r1, s1, ...)
        summed = g.reshape(split_shape).sum(axis=tuple(range(0, 2 * ndim, 2)))
        return (summed.reshape(a.shape),)

    return record(y, (x,), vjp)


def repeat(x, repeats, axis=None):
    """Each element repeated; the VJP adds the cotangents of an element's copies together."""
    a = to_array(x)
    xp = xp_of(a)
    source = a.reshape(-1) if axis is None else a
    axis = 0 if axis is None else axis % a.ndim
    reps = value_of(repeats)  # an int, or a list of ints (CuPy takes no array of repeats)
    reps = int(reps) if not isinstance(reps, (list, tuple)) and getattr(reps, "ndim", 0) == 0 \
        else list(_ints(reps))
    y = xp.repeat(source, reps, axis=axis)
    n = source.shape[axis]

    def vjp(g):
        owner = xp.repeat(xp.arange(n), reps)  # which element each copy came from
        out = xp.zeros((n,) + xp.moveaxis(g, axis, 0).shape[1:], dtype=g.dtype)
        scatter_add(xp, out, owner, xp.moveaxis(g, axis, 0))
        return (xp.moveaxis(out, 0, axis).reshape(a.shape),)

    return record(y, (x,), vjp)


def flip(x, axis=None):
    a = to_array(x)
    xp = xp_of(a)
    axes = normalize_axis(axis, a.ndim)
    return record(xp.flip(a, axis=axes), (x,), lambda g: (xp.flip(g, axis=axes),))


def roll(x, shift, axis=None):
    a = to_array(x)
    xp = xp_of(a)
    shift = _ints(shift) if isinstance(shift, (list, tuple)) else int(value_of(shift))
    axes = axis if axis is None or isinstance(axis, int) else _ints(axis)
    back = tuple(-s for s in shift) if isinstance(shift, tuple) else -shift
    return record(xp.roll(a, shift, axis=axes), (x,), lambda g: (xp.roll(g, back, axis=axes),))


def _triangle(x, k, name):
    a = to_array(x)
    xp = xp_of(a)
    fn = getattr(xp, name)
    return record(fn(a, k=k), (x,), lambda g: (fn(g, k=k),))


def tril(x, k=0):
    return _triangle(x, k, "tril")


def triu(x, k=0):
    return _triangle(x, k, "triu")

