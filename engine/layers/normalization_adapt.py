"""Normalization: shifts and scales features with a mean and variance from `adapt(data)`.

`y = (x - mean) / max(sqrt(variance), 1e-7)` (or its inverse with `invert=True`), with a
separate mean and variance for each index along the kept `axis` (Keras semantics: `axis`
counts the batch axis, `-1` is the last axis, `None` one scalar for everything).

Adapted statistics are non-trainable weights (`mean`, `variance` and Keras's vestigial
`count`, in Keras's order), so `get_weights`, checkpoints and `load_model` carry them, as
BatchNormalization's moving statistics. Statistics given to the constructor are config, as
in Keras, and the layer then has no weights.
"""

import math

import numpy as np

from .. import backend, registry
from ..errors import DataError, ShapeError, SpecError
from ..params import BOOL, FLOATS, INTS, Param
from .base import Layer, WeightSpec, format_shape

__all__ = ["Normalization"]

#: Keras's `backend.epsilon()`: the smallest standard deviation divided by.
EPSILON = 1e-7


@registry.register("layer")
class Normalization(Layer):
    """Normalizes continuous features to mean 0 and variance 1 (Keras `Normalization`).

    Set the statistics with `adapt(data)` before training, or pass `mean` and `variance`.
    A layer that was neither adapted nor given statistics uses mean 0 and variance 1.

    Args:
        axis: The axis or axes with a separate mean and variance per index (the batch axis
            is 0 and cannot be kept); `None` normalizes everything by one scalar mean and
            variance. Defaults to `-1`.
        mean: The mean: one number, or values for the kept axes (flattened in C order), or
            values for the last kept axis (broadcast). Must come with `variance`.
        variance: The variance, shaped like `mean`.
        invert: Whether to apply the inverse, `x * sqrt(variance) + mean`, which turns
            normalized values back into original units. Defaults to `False`.

    Input shape:
        Any, e.g. `(features,)`.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    CATEGORY = "Preprocessing"
    DESCRIPTION = "Shifts and scales features to mean 0, variance 1 (statistics from adapt)."
    PARAMS = (
        Param("axis", INTS, (-1,), optional=True,
              help="Axes with their own mean and variance (-1 = last; None = one scalar)."),
        Param("mean", FLOATS, None, optional=True,
              help="Fixed mean values (None = learned by adapt())."),
        Param("variance", FLOATS, None, optional=True,
              help="Fixed variance values, like mean (None = learned by adapt())."),
        Param("invert", BOOL, False, help="Undo a normalization instead of applying it."),
    )

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, name=None,
                 trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        self._configure(axis=axis or None, mean=_flat(mean), variance=_flat(variance),
                        invert=invert)
        if (self.mean is None) != (self.variance is None):
            raise SpecError(
                f"Layer '{self.name}' (Normalization): set both `mean` and `variance`, or "
                f"neither (then call adapt()). Received: mean={mean}, variance={variance}."
            )
        if self.mean is not None and len(self.mean) != len(self.variance):
            raise SpecError(
                f"Layer '{self.name}' (Normalization): `mean` and `variance` must have the "
                f"same shape. Received {len(self.mean)} and {len(self.variance)} values."
            )

    # ----- shapes and weights ---------------------------------------------------------------
    def _keep_axes(self, input_shape) -> tuple:
        """Kept axes of the batched tensor (sorted, each 1 or more)."""
        if not isinstance(input_shape, tuple):
            raise ShapeError(f"Layer '{self.name}' (Normalization) takes one input, but "
                             f"received shapes {format_shape(list(input_shape))}.")
        ndim = len(input_shape) + 1
        kept = []
        for a in self.axis or ():
            if not -ndim <= a < ndim or a % ndim == 0:
                raise ShapeError(
                    f"Layer '{self.name}' (Normalization) has axis={list(self.axis)}, but its "
                    f"input {format_shape(input_shape)} has feature axes 1..{ndim - 1} (or "
                    f"-{ndim - 1}..-1); axis 0 is the batch. Use axis=-1 for the last axis, "
                    "or axis=None for one mean and variance over everything."
                )
            kept.append(a % ndim)
        return tuple(sorted(set(kept)))

    def _stat_shape(self, input_shape) -> tuple:
        return tuple(input_shape[a - 1] for a in self._keep_axes(input_shape))

    def _broadcast_shape(self, input_shape) -> tuple:
        kept = self._keep_axes(input_shape)
        return (1, *[d if i + 1 in kept else 1 for i, d in enumerate(input_shape)])

    def compute_output_shape(self, input_shape):
        self._keep_axes(input_shape)
        if self.mean is not None:
            self._fixed_stat(self.mean, input_shape)
        return tuple(input_shape)

    def weight_specs(self, input_shape):
        if self.mean is not None:
            return []
        shape = self._stat_shape(input_shape)
        return [WeightSpec("mean", shape, "zeros", trainable=False),
                WeightSpec("variance", shape, "ones", trainable=False),
                WeightSpec("count", (), "zeros", trainable=False)]

    def _fixed_stat(self, values, input_shape):
        """Constructor statistics reshaped to broadcast against a batch of `input_shape`."""
        stat_shape = self._stat_shape(input_shape)
        broadcast = self._broadcast_shape(input_shape)
        values = np.asarray(values, dtype=np.float64)
        if values.size == 1:
            return values.reshape((1,) * len(broadcast))
        if values.size == math.prod(stat_shape):
            values = values.reshape(stat_shape)
        elif stat_shape and values.size == stat_shape[-1]:
            values = np.broadcast_to(values, stat_shape)  # right-aligned, as Keras
        else:
            raise ShapeError(
                f"Layer '{self.name}' (Normalization) received {values.size} mean/variance "
                f"values, but its input {format_shape(input_shape)} with axis="
                f"{list(self.axis or ())} needs 1, {math.prod(stat_shape)} (one per kept "
                "index) or as many as the last kept axis. Fix the values or the axis."
            )
        return values.reshape(broadcast)

    # ----- computation -----------------------------------------------------------------------
    def _statistics(self, x):
        """`(mean, std)` broadcastable against `x`, on x's device and in its dtype."""
        sample_shape = tuple(int(d) for d in x.shape[1:])
        if self.mean is not None:
            mean = self._fixed_stat(self.mean, sample_shape)
            variance = self._fixed_stat(self.variance, sample_shape)
        else:
            shape = self._broadcast_shape(sample_shape)
            mean = self.params["mean"].reshape(shape)
            variance = self.params["variance"].reshape(shape)
        device = backend.device_of(x)
        mean = backend.to_device(mean, device, dtype=x.dtype)
        variance = backend.to_device(variance, device, dtype=x.dtype)
        xp = backend.get_array_module(x)
        return mean, xp.maximum(xp.sqrt(variance), EPSILON)

    def forward(self, x, training=False):
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(backend.FLOATX)
        mean, self._std = self._statistics(x)
        if self.invert:
            return mean + x * self._std  # y = mean + x * std
        return (x - mean) / self._std  # y = (x - mean) / std

    def backward(self, grad):
        # The statistics are constants: dy/dx = 1 / std (or std when inverted).
        return grad * self._std if self.invert else grad / self._std

    # ----- adapt ------------------------------------------------------------------------------
    def adapt(self, data) -> None:
        """Computes the mean and variance of `data` and stores them in the layer's weights.

        Args:
            data: A NumPy (or CuPy) array of samples, `(n, *sample_shape)`, or an iterable of
                such batches (a list, a generator, a batched engine `Dataset`); batches that
                are `(x, y)` tuples use `x`.

        Raises:
            SpecError: when the layer was given `mean` and `variance` in its constructor.
            DataError: when `data` is empty or its shape does not match the built layer.
        """
        if self.mean is not None:
            raise SpecError(
                f"Layer '{self.name}' (Normalization) was given `mean` and `variance`, so "
                "adapt() has nothing to learn. Create it without them to adapt it to data."
            )
        mean, variance = _adapt_statistics(self, data)
        for key, value in (("mean", mean), ("variance", variance)):
            target = self.params[key]
            target[...] = backend.to_device(value, backend.device_of(target), dtype=target.dtype)

    def _check_adapt_shape(self, sample_shape) -> None:
        """Builds the layer from the first batch, or checks the kept axes match its build."""
        if not self.built:
            self.build(sample_shape)
            return
        if self._stat_shape(sample_shape) != self._stat_shape(self.input_shape):
            raise DataError(
                f"Layer '{self.name}' (Normalization) was built for inputs "
                f"{format_shape(self.input_shape)}, but adapt() received batches of "
                f"{format_shape(sample_shape)}. Adapt it to data shaped like its input."
            )


def _adapt_statistics(layer, data):
    """`(mean, variance)` of `data` over the axes `layer` does not keep, in float64."""
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        return _array_statistics(layer, data)
    if isinstance(data, (list, tuple)) and data and not hasattr(_first(data[0]), "shape"):
        return _array_statistics(layer, np.asarray(data))  # nested lists of numbers
    if isinstance(data, (str, bytes)) or not hasattr(data, "__iter__"):
        raise DataError(
            f"Layer '{layer.name}' (Normalization): adapt() expects an array or an iterable "
            f"of batches. Received: {type(data).__name__}."
        )
    # Streaming over batches (Keras's formula): merge each batch's mean and variance into
    # the running ones, weighted by counts; the variance update is the lack-of-fit sum.
    total_mean = total_var = None
    total_count = 0
    for batch in data:
        batch = _as_float64(layer, _first(batch))
        mean, var, count = *_moments(layer, batch), _reduced_count(layer, batch)
        if total_mean is None:
            total_mean, total_var, total_count = mean, var, count
            continue
        total_count += count
        w_new = count / total_count
        w_old = 1.0 - w_new
        merged = total_mean * w_old + mean * w_new
        total_var = ((total_var + (total_mean - merged) ** 2) * w_old
                     + (var + (mean - merged) ** 2) * w_new)
        total_mean = merged
    if total_mean is None:
        raise DataError(f"Layer '{layer.name}' (Normalization): adapt() received no batches. "
                        "Pass the training features, e.g. layer.adapt(x_train).")
    return total_mean, total_var


def _array_statistics(layer, data):
    return _moments(layer, _as_float64(layer, data))


def _as_float64(layer, batch):
    array = np.asarray(backend.to_numpy(batch), dtype=np.float64)
    if array.ndim == 0 or array.shape[0] == 0:
        raise DataError(
            f"Layer '{layer.name}' (Normalization): adapt() needs samples along the first "
            f"(batch) axis. Received an array of shape {array.shape}."
        )
    layer._check_adapt_shape(array.shape[1:])
    return array


def _reduce_axes(layer, batch):
    kept = layer._keep_axes(batch.shape[1:])
    return tuple(a for a in range(batch.ndim) if a not in kept)


def _moments(layer, batch):
    axes = _reduce_axes(layer, batch)
    return batch.mean(axis=axes), batch.var(axis=axes)


def _reduced_count(layer, batch):
    return math.prod(batch.shape[a] for a in _reduce_axes(layer, batch))


def _first(batch):
    return batch[0] if isinstance(batch, tuple) else batch


def _flat(values):
    """Mean/variance values as a flat tuple of floats (a number becomes a 1-tuple)."""
    if values is None or isinstance(values, (str, bool)):
        return values
    array = np.asarray(backend.to_numpy(values) if hasattr(values, "shape") else values)
    if array.dtype.kind not in "iuf":
        return values  # validate_param names the bad value
    return tuple(float(v) for v in array.ravel())
