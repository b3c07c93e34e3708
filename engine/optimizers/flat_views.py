"""Recognising variables that are views tiling one flat parameter array.

A model's trainable weights are views into one flat buffer (`Model._pack_parameters`), so a
Keras-style loop's `optimizer.apply(grads, model.trainable_variables)` can run the same single
vectorised step as `fit()` (`Optimizer.apply_flat`) instead of one small step per variable,
and both share one set of slots: a model fitted, then trained by a GradientTape loop with the
same optimizer, continues with the same moments.
"""

from .. import backend


def _address(array) -> int:
    """The address of an array's first element (NumPy or CuPy)."""
    data = getattr(array, "data", None)
    pointer = getattr(data, "ptr", None)  # CuPy: a MemoryPointer
    return pointer if pointer is not None else array.__array_interface__["data"][0]


def tiling(arrays) -> tuple | None:
    """`(flat base, [(start, stop), ...])` when `arrays`, in order, are C-contiguous views that
    cover one 1-D base array end to end with no gap or overlap; else None."""
    arrays = list(arrays)
    base = getattr(arrays[0], "base", None) if arrays else None
    if base is None or getattr(base, "ndim", 0) != 1 or base.base is not None:
        return None
    itemsize, start = base.dtype.itemsize, _address(base)
    segments, offset = [], 0
    for array in arrays:
        if array.base is not base or array.dtype != base.dtype \
                or not array.flags.c_contiguous or (_address(array) - start) != offset * itemsize:
            return None
        segments.append((offset, offset + array.size))
        offset += array.size
    return (base, segments) if offset == base.size else None


def tiled_by(grads, base, segments):
    """The flat array `grads` already tile as `base`'s weights do (a recorded model call's
    gradient buffer, `engine/model_tape.py`), or None."""
    tiled = tiling(grads)
    if tiled is None or tiled[1] != list(segments) or tiled[0].dtype != base.dtype \
            or tiled[0] is base:
        return None
    return tiled[0]


def gathered(grads, base, segments, buffer):
    """The gradients copied into one flat array like `base` (`buffer` reused when it fits)."""
    xp = backend.get_array_module(base)
    if buffer is None or buffer.shape != base.shape or buffer.dtype != base.dtype \
            or backend.get_array_module(buffer) is not xp:
        buffer = xp.empty_like(base)
    for g, (a, b) in zip(grads, segments):
        buffer[a:b] = g.reshape(-1)
    return buffer
