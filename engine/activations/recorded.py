"""`keras.activations.*` on engine Tensors and Variables: differentiable, recorded on a tape.

Custom layers call `keras.activations.relu(x)` inside `call`. With the default arguments the
activation table's own forward/backward pair computes it (the same numbers as a layer's
`activation="relu"`); other arguments go through the engine.ops functions of that name.
"""

import functools

from .table import get


def is_engine_value(x) -> bool:
    """A Tensor or a Variable (duck-typed: engine.ops imports the activations)."""
    return hasattr(x, "_engine_value") or type(x).__name__ == "Tensor" and hasattr(x, "node")


def on_tensors(fn):
    """Lets `fn` (an array activation) take Tensors and Variables and record its VJP."""
    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        if not is_engine_value(x):
            return fn(x, *args, **kwargs)
        from ..ops.core import record, value_of  # noqa: PLC0415 - ops imports this package

        if args or kwargs:
            return _with_arguments(fn.__name__, x, *args, **kwargs)
        activation = get(fn.__name__)
        v = _float(value_of(x))
        y = activation.forward(v)
        return record(y, (x,), lambda g: (activation.backward(v, y, g),))
    return wrapper


def _float(v):
    from ..backend import FLOATX, get_array_module  # noqa: PLC0415

    return v if v.dtype.kind == "f" else get_array_module(v).asarray(v, dtype=FLOATX)


def _with_arguments(name, x, *args, **kwargs):
    from .. import ops  # noqa: PLC0415 - ops imports the activation table

    if name == "relu":
        return _relu(ops, x, *args, **kwargs)
    if name == "gelu":
        approximate = args[0] if args else kwargs.get("approximate", False)
        return ops.gelu(x, approximate=approximate)
    return getattr(ops, name)(x, *args, **kwargs)


def _relu(ops, x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's relu with its three arguments, from differentiable ops."""
    y = ops.where(x > threshold, x, 0.0) if threshold else ops.relu(x)
    if max_value is not None:
        y = ops.minimum(y, max_value)
    if negative_slope:
        y = y - negative_slope * ops.maximum(threshold - x, 0.0)
    return y
