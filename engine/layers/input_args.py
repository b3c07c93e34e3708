"""The ways Keras code declares an input shape, checked and turned into one form.

`Input(shape, batch_size=..., dtype=...)` and `InputLayer(...)` use them, and so does any
layer given Keras 2's `input_shape=` / `input_dim=` / `batch_input_shape=` / `batch_size=`:
a Sequential turns those on its first layer into its Input, as Keras does.
"""

import numpy as np

from ..errors import SpecError

#: The legacy arguments a layer accepts for its input (Keras 2; Keras 3 keeps the first two).
LEGACY_INPUT_ARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size")


def sample_shape(owner: str, arg: str, value) -> tuple:
    """`value` as a tuple of positive ints or None (an int `n` means `(n,)`), or a SpecError.

    A None entry is a variable dimension, as in Keras (`shape=(None,)` for sequences of any
    length); layers that need it known say so when the shapes are inferred.
    """
    items = (value,) if isinstance(value, (int, np.integer)) else value
    try:
        dims = tuple(items)
    except TypeError:
        dims = None
    if not dims or not all(d is None or _positive_int(d) for d in dims):
        raise SpecError(f"{owner}: `{arg}` must be a tuple of positive integers or None (a "
                        f"variable dimension), the shape of one sample without the batch axis, "
                        f"e.g. {arg}=(28, 28) or {arg}=(None, 8). Received: {arg}={value!r}")
    return tuple(None if d is None else int(d) for d in dims)


def _positive_int(d) -> bool:
    return isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1


def batch_size_value(owner: str, value):
    if value is None or _positive_int(value):
        return None if value is None else int(value)
    raise SpecError(f"{owner}: `batch_size` must be a positive integer or None. Received: "
                    f"batch_size={value!r}")


def split_batch_shape(owner: str, arg: str, batch_shape) -> tuple:
    """`(batch, *sample)` -> (sample shape, batch size); the batch entry may be None."""
    if not isinstance(batch_shape, (tuple, list)) or len(batch_shape) < 2:
        raise SpecError(f"{owner}: `{arg}` is the shape with the batch axis first, e.g. "
                        f"{arg}=(None, 28, 28). Received: {arg}={batch_shape!r}")
    return sample_shape(owner, arg, batch_shape[1:]), batch_size_value(owner, batch_shape[0])


def input_shape_and_batch(owner: str, shape, batch_size, batch_shape):
    """(sample shape or None, batch size) from `Input`'s shape arguments."""
    if batch_shape is not None:
        if shape is not None or batch_size is not None:
            given = "shape" if shape is not None else "batch_size"
            raise SpecError(f"{owner}: pass either `batch_shape` or `{given}`, not both. "
                            f"Received: {given}={shape if shape is not None else batch_size!r}, "
                            f"batch_shape={batch_shape!r}")
        return split_batch_shape(owner, "batch_shape", batch_shape)
    batch_size = batch_size_value(owner, batch_size)
    return (None if shape is None else sample_shape(owner, "shape", shape)), batch_size


def standardize_dtype(owner: str, dtype) -> str:
    """A numeric dtype's name (`"float32"`, `"int32"`...); None means `"float32"`."""
    if dtype is None:
        return "float32"
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind not in "biuf":
        raise SpecError(f"{owner}: `dtype` must name a numeric type such as 'float32' or "
                        f"'int32'. Received: dtype={dtype!r}")
    return resolved.name


def refuse_unsupported_input(owner: str, sparse=None, ragged=None, input_tensor=None,
                             optional=False) -> None:
    """Keras input options LayerCraft has no counterpart for: a clear refusal, not a no-op."""
    refused = [(arg, value, fix) for arg, value, fix in (
        ("sparse", sparse, "pass dense arrays (convert with .toarray())"),
        ("ragged", ragged, "pad the samples to one length"),
        ("tensor", input_tensor, "declare the shape with Input(shape=...) instead"),
        ("optional", optional, "give every input data"),
    ) if value is not None and value is not False]
    if refused:
        arg, value, fix = refused[0]
        shown = repr(value) if isinstance(value, bool) else f"<{type(value).__name__}>"
        raise SpecError(f"{owner}: LayerCraft does not support `{arg}` inputs; {fix}. "
                        f"Received: {arg}={shown}")


def pop_legacy_input(owner: str, kwargs: dict):
    """Removes Keras 2's input arguments from a layer's `kwargs`.

    Returns:
        (sample shape or None, batch size or None).
    """
    given = {k: kwargs.pop(k) for k in LEGACY_INPUT_ARGS if k in kwargs}
    shapes = [k for k in ("input_shape", "input_dim", "batch_input_shape") if k in given]
    if len(shapes) > 1:
        raise SpecError(f"{owner}: pass only one of {', '.join(f'`{k}`' for k in shapes)}; "
                        f"they all declare the input shape. Received: "
                        + ", ".join(f"{k}={given[k]!r}" for k in shapes))
    if "batch_size" in given and not {"input_shape", "input_dim"} & set(given):
        raise SpecError(f"{owner}: `batch_size` goes with `input_shape`, e.g. "
                        f"input_shape=(784,), batch_size=32. Received: "
                        f"batch_size={given['batch_size']!r} alone")
    if "batch_input_shape" in given:
        return split_batch_shape(owner, "batch_input_shape", given["batch_input_shape"])
    batch_size = batch_size_value(owner, given.get("batch_size"))
    if "input_dim" in given:
        if not _positive_int(given["input_dim"]):
            raise SpecError(f"{owner}: `input_dim` must be a positive integer (the number of "
                            f"input features). Received: input_dim={given['input_dim']!r}")
        return (int(given["input_dim"]),), batch_size
    if "input_shape" in given:
        return sample_shape(owner, "input_shape", given["input_shape"]), batch_size
    return None, None
