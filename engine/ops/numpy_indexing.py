"""Keras's gathering ops: take, take_along_axis, sort/argsort, slice, slice_update, pad,
nonzero.

Gathers scatter their cotangent back with add.at, so an element read twice gets both
contributions. `pad` differentiates the modes that copy elements (constant, edge, reflect,
symmetric, wrap) by padding an index map the same way and scattering through it.
"""

import builtins

from .core import needs_gradient, record
from .numpy_common import cotangent, scatter_add, to_array, value_of, wrap, xp_of


def _indices(indices, like):
    idx = to_array(indices, like=like)
    if idx.dtype.kind not in "iu":
        idx = idx.astype("int32")
    return idx


def take(x, indices, axis=None):
    a = to_array(x)
    xp = xp_of(a)
    idx = _indices(indices, a)
    source = a.reshape(-1) if axis is None else a
    axis = 0 if axis is None else axis % a.ndim
    y = xp.take(source, idx, axis=axis)

    def vjp(g):
        out = xp.zeros(xp.moveaxis(source, axis, 0).shape, dtype=g.dtype)
        # g's axes axis .. axis+idx.ndim are the index's: move them to the front
        moved = xp.moveaxis(g, list(range(axis, axis + idx.ndim)), list(range(idx.ndim)))
        scatter_add(xp, out, idx, moved)
        return (xp.moveaxis(out, 0, axis).reshape(a.shape),)

    return record(y, (x,), vjp)


def take_along_axis(x, indices, axis=None):
    a = to_array(x)
    xp = xp_of(a)
    idx = _indices(indices, a)
    source = a.reshape(-1) if axis is None else a
    axis = 0 if axis is None else axis % a.ndim
    y = xp.take_along_axis(source, idx, axis=axis)

    def vjp(g):
        out = xp.zeros(source.shape, dtype=g.dtype)
        scatter_add(xp, out, _along_axis_index(xp, source.shape, idx, g.shape, axis), g)
        return (out.reshape(a.shape),)

    return record(y, (x,), vjp)


def _along_axis_index(xp, shape, idx, out_shape, axis):
    """The full index tuple that take_along_axis reads through (other axes broadcast)."""
    index = []
    for d, n in enumerate(out_shape):
        if d == axis:
            index.append(xp.broadcast_to(idx, out_shape))
            continue
        view = [1] * len(out_shape)
        view[d] = n
        position = xp.arange(n) if shape[d] == n else xp.zeros(n, dtype=int)
        index.append(xp.broadcast_to(position.reshape(view), out_shape))
    return tuple(index)


def argsort(x, axis=-1):
    a = to_array(x)
    xp = xp_of(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    return wrap(xp.argsort(a, axis=axis).astype("int32"))


def sort(x, axis=-1):
    """Sorted values; differentiable as a gather of the sorting permutation."""
    a = to_array(x)
    if axis is None:
        return sort(reshape_flat(x), axis=0)
    order = value_of(argsort(a, axis=axis))
    return take_along_axis(x, order, axis=axis)


def reshape_flat(x):
    from .numpy_shape import reshape  # keep the modules independent

    return reshape(x, (-1,))


def nonzero(x):
    a = to_array(x)
    return tuple(wrap(i.astype("int32")) for i in xp_of(a).nonzero(a))


# ----- static slices ---------------------------------------------------------------------------
def _box(start_indices, shape):
    starts = [int(value_of(s)) for s in start_indices]
    sizes = [int(value_of(s)) for s in shape]
    if len(starts) != len(sizes):
        raise ValueError("Length of `start_indices` must match length of `shape`. Received: "
                         f"start_indices={start_indices}, shape={shape}")
    return tuple(builtins.slice(s, s + n) for s, n in zip(starts, sizes))


def slice(inputs, start_indices, shape):  # Keras's name
    """The block of `shape` starting at `start_indices` (`keras.ops.slice`)."""
    a = to_array(inputs)
    xp = xp_of(a)
    box = _box(start_indices, shape)
    y = a[box]

    def vjp(g):
        out = xp.zeros(a.shape, dtype=g.dtype)
        out[box] = g
        return (out,)

    return record(y, (inputs,), vjp)


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates` (a new tensor: unlike
    Keras's NumPy backend, the input is never written in place)."""
    a = to_array(inputs)
    u = to_array(updates, a.dtype, like=a)
    box = _box(start_indices, u.shape)
    y = a.copy()
    y[box] = u

    def vjp(g):
        ga = g.copy()
        ga[box] = 0
        return cotangent(ga, a), cotangent(g[box], to_array(updates))

    return record(y, (inputs, updates), vjp)


# ----- pad -------------------------------------------------------------------------------------
_COPYING = ("constant", "edge", "reflect", "symmetric", "wrap")


def pad(x, pad_width, mode="constant", constant_values=None):
    a = to_array(x)
    xp = xp_of(a)
    kwargs = {}
    if constant_values is not None:
        if mode != "constant":
            raise ValueError("Argument `constant_values` can only be provided when "
                             f"`mode == 'constant'`. Received: mode={mode}")
        kwargs["constant_values"] = value_of(constant_values)
    width = _pad_width(pad_width)
    y = xp.pad(a, width, mode=mode, **kwargs)
    if mode not in _COPYING:
        if needs_gradient(x):
            raise NotImplementedError(f"pad(mode={mode!r}) is not differentiable here; the "
                                      f"differentiable modes are {', '.join(_COPYING)}.")
        return wrap(y)
    # which input element each output element copies (-1: a constant)
    source = xp.pad(xp.arange(a.size).reshape(a.shape), width, mode=mode,
                    **({"constant_values": -1} if mode == "constant" else {}))

    def vjp(g):
        keep = source >= 0
        out = xp.zeros(a.size, dtype=g.dtype)
        scatter_add(xp, out, source[keep], g[keep])
        return (out.reshape(a.shape),)

    return record(y, (x,), vjp)


def _pad_width(pad_width):
    width = value_of(pad_width)
    if hasattr(width, "tolist"):
        width = width.tolist()
    if isinstance(width, (list, tuple)):
        return tuple(tuple(int(value_of(w)) for w in pair) if isinstance(pair, (list, tuple))
                     else int(value_of(pair)) for pair in width)
    return int(width)
