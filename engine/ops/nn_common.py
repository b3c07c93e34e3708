"""Helpers the `nn_*` op modules share: float inputs, spatial arguments, data formats."""

import numpy as np

from .. import backend
from ..errors import ShapeError, SpecError
from .core import Tensor, array_module, value_of


def float_input(x, like=None):
    """`x` (a Tensor, Variable, array, list or number) as a float xp array.

    Integers, booleans, lists and numbers become float32 (Keras's floatx); a float array
    keeps its dtype. A number follows `like`'s float dtype and array module when given.
    """
    v = value_of(x)
    if not hasattr(v, "dtype") or not hasattr(v, "shape"):
        if like is not None and getattr(like, "dtype", None) is not None and like.dtype.kind == "f":
            return array_module(like).asarray(v, dtype=like.dtype)
        return np.asarray(v, dtype=backend.FLOATX)
    if v.dtype.kind == "f":
        return v
    return array_module(v).asarray(v, dtype=backend.FLOATX)


def int_input(x):
    """`x` as an integer xp array (floats are truncated, as a cast would)."""
    v = value_of(x)
    if not hasattr(v, "dtype"):
        v = np.asarray(v)
    if v.dtype.kind in "iu":
        return v
    return v.astype(np.int64)


def constant(value) -> Tensor:
    """An unrecorded result (integer and boolean outputs, and everything without a VJP)."""
    return Tensor(value)


def spatial_tuple(value, rank: int, name: str) -> tuple:
    """An int or a sequence of `rank` ints, as a tuple of `rank` ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    values = tuple(int(v) for v in value)
    if len(values) == 1 and rank > 1:
        return values * rank
    if len(values) != rank:
        raise SpecError(f"Argument `{name}` must be an int or a tuple of {rank} ints. "
                        f"Received: {name}={value!r}")
    return values


def standardize_data_format(data_format) -> str:
    """`None` means channels_last (the engine's image data format)."""
    if data_format is None:
        return "channels_last"
    fmt = str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise SpecError("The `data_format` argument must be one of {'channels_first', "
                        f"'channels_last'}}. Received: data_format={data_format!r}")
    return fmt


def standardize_padding(padding, allowed=("valid", "same")) -> str:
    text = str(padding).lower()
    if text not in allowed:
        raise SpecError(f"Invalid padding {padding!r}: must be one of {', '.join(allowed)}.")
    return text


def to_channels_last(a, data_format):
    """`(N, C, *spatial)` -> `(N, *spatial, C)` for channels_first; else `a` itself."""
    if data_format == "channels_last" or a is None:
        return a
    return array_module(a).moveaxis(a, 1, -1)


def from_channels_last(a, data_format):
    """The inverse of `to_channels_last`."""
    if data_format == "channels_last" or a is None:
        return a
    return array_module(a).moveaxis(a, -1, 1)


def check_rank(a, ranks, name: str, op: str) -> None:
    if a.ndim not in ranks:
        raise ShapeError(f"{op}: `{name}` must have rank {' or '.join(map(str, ranks))} "
                         f"(batch, spatial axes, channels). Received: {name}.shape="
                         f"{tuple(a.shape)}")


def normalize_axes(axes, ndim: int) -> tuple:
    """`axes` (an int, a list or a tuple) as a sorted tuple of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    out = []
    for axis in axes:
        axis = int(axis)
        if not -ndim <= axis < max(ndim, 1):
            raise ShapeError(f"Axis {axis} is out of bounds for a tensor of rank {ndim}.")
        out.append(axis % max(ndim, 1))
    return tuple(sorted(out))
