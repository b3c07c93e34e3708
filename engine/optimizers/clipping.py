"""Gradient clipping exactly as Keras's `BaseOptimizer._clip_gradients`, kept on the device.

* `clipnorm`: each gradient tensor separately, `g * clipnorm / max(||g||, clipnorm)`.
* `global_clipnorm`: every gradient scaled by `clipnorm / max(global_norm, clipnorm)`; a
  non-finite global norm makes every gradient NaN, as in Keras.
* `clipvalue`: elementwise into `[-clipvalue, clipvalue]`.

Norms stay 0-d device arrays (no host synchronisation). Nothing here writes to the caller's
gradients: the per-variable functions return new arrays, the flat one fills a buffer.
"""


def norm_scale(xp, g, clipnorm: float):
    """`clipnorm / max(||g||, clipnorm)`, a 0-d array (1 when the norm is within bounds)."""
    norm = xp.sqrt(xp.square(g).sum())
    return clipnorm / xp.maximum(norm, clipnorm)


def global_scale(xp, squared_norm, clipnorm: float):
    """Keras's `clip_by_global_norm` factor from the summed squared norm (0-d array)."""
    norm = xp.sqrt(squared_norm)
    # `+ (norm - norm)` is 0 for a finite norm and NaN for inf/NaN (Keras does the same).
    return clipnorm / xp.maximum(norm, clipnorm) + (norm - norm)


def mode(optimizer):
    """`"clipnorm"`, `"global_clipnorm"`, `"clipvalue"` or `None`, in Keras's precedence."""
    for name in ("clipnorm", "global_clipnorm", "clipvalue"):
        value = getattr(optimizer, name)
        if value is not None and value > 0:
            return name
    return None


def clip_list(xp, grads: list, optimizer) -> list:
    """Clipped copies of `grads` (the same list when no clipping is configured)."""
    how = mode(optimizer)
    if how == "clipnorm":
        return [g * norm_scale(xp, g, optimizer.clipnorm) for g in grads]
    if how == "global_clipnorm":
        total = xp.stack([xp.square(g).sum() for g in grads]).sum()
        scale = global_scale(xp, total, optimizer.global_clipnorm)
        return [g * scale for g in grads]
    if how == "clipvalue":
        v = optimizer.clipvalue
        return [xp.clip(g, -v, v) for g in grads]
    return grads


def clip_flat(xp, flat_grad, segments, optimizer, out):
    """Clips the flat gradient into `out` (same shape) and returns `out`.

    `clipnorm` is per segment (one segment per original variable); `global_clipnorm` uses
    the norm of the whole flat gradient.
    """
    how = mode(optimizer)
    if how == "clipvalue":
        v = optimizer.clipvalue
        return xp.clip(flat_grad, -v, v, out=out)
    out[...] = flat_grad
    if how == "clipnorm":
        for start, stop in segments:
            segment = out[start:stop]
            segment *= norm_scale(xp, segment, optimizer.clipnorm)
    elif how == "global_clipnorm":
        out *= global_scale(xp, xp.square(out).sum(), optimizer.global_clipnorm)
    return out
