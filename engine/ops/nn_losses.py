"""Keras's cross-entropy ops and label encodings: per-sample values, no reduction.

    ops.binary_crossentropy(target, output, from_logits=False)          # elementwise
    ops.categorical_crossentropy(target, output, from_logits=False, axis=-1)
    ops.sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1)
    ops.one_hot(x, num_classes, axis=-1, dtype=None)

The formulas are the loss classes' (`engine.losses.crossentropy`): probabilities are
renormalised along the class axis (categorical) and clipped to `[1e-7, 1 - 1e-7]`, the
clipped region passing no gradient; logits go through log-softmax, or for the binary case
the stable `max(z, 0) - z * t + log(1 + exp(-|z|))` (TensorFlow's form: Keras's NumPy and
JAX backends clip `sigmoid(z)` instead, which saturates beyond |z| ~ 16).
"""

import numpy as np

from .. import backend
from ..activations import functions as act_functions
from ..activations.table import _sigmoid
from ..errors import ShapeError, SpecError
from ..losses.base import EPSILON
from ..losses.crossentropy import _inside
from .core import array_module, needs_gradient, record
from .nn_common import constant, float_input, int_input, normalize_axes


def _same_shape(t, o):
    if tuple(t.shape) != tuple(o.shape):
        raise ShapeError("Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(t.shape)}, output.shape={tuple(o.shape)}")


def binary_crossentropy(target, output, from_logits=False):
    """`-(t * log(p) + (1 - t) * log(1 - p))` elementwise (the same shape as `output`)."""
    o = float_input(output)
    t = float_input(target, like=o)
    if t.dtype != o.dtype:
        t = t.astype(o.dtype)
    _same_shape(t, o)
    xp = array_module(o, t)
    need_t = needs_gradient(target)
    if from_logits:
        loss = xp.maximum(o, 0.0) - o * t + xp.log1p(xp.exp(-xp.abs(o)))

        def vjp(g):
            return (-g * o if need_t else None), g * (_sigmoid(xp, o) - t)
    else:
        q = xp.clip(o, EPSILON, 1.0 - EPSILON)
        log_q, log_1q = xp.log(q), xp.log(1.0 - q)
        loss = -(t * log_q + (1.0 - t) * log_1q)

        def vjp(g):
            do = g * ((1.0 - t) / (1.0 - q) - t / q) * _inside(o)
            return (g * (log_1q - log_q) if need_t else None), do

    return record(loss.astype(o.dtype, copy=False), (target, output), vjp)


def _categorical(t, o, from_logits, axis, need_t):
    """`-sum(t * log p, axis)` and its VJP `(g) -> (dt, do)`."""
    xp = array_module(o, t)
    if from_logits:
        log_p = act_functions.log_softmax(o, axis=axis)
        loss = -(t * log_p).sum(axis=axis)

        def vjp(g):
            g = xp.expand_dims(g, axis)
            do = g * (xp.exp(log_p) * t.sum(axis=axis, keepdims=True) - t)
            return (-g * log_p if need_t else None), do
    else:
        total = o.sum(axis=axis, keepdims=True)
        p = o / total  # Keras renormalises the probabilities along the class axis
        q = xp.clip(p, EPSILON, 1.0 - EPSILON)
        log_q = xp.log(q)
        loss = -(t * log_q).sum(axis=axis)

        def vjp(g):
            g = xp.expand_dims(g, axis)
            dq = -t / q * _inside(p)
            do = g * (dq - (dq * p).sum(axis=axis, keepdims=True)) / total
            return (-g * log_q if need_t else None), do

    return loss.astype(o.dtype, copy=False), vjp


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """`-sum(target * log(softmax or renormalised output), axis)`; one value per sample."""
    o = float_input(output)
    t = float_input(target, like=o)
    if t.dtype != o.dtype:
        t = t.astype(o.dtype)
    _same_shape(t, o)
    if o.ndim < 1:
        raise ShapeError("Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={tuple(t.shape)}, output.shape={tuple(o.shape)}")
    (axis,) = normalize_axes(axis, o.ndim)
    loss, vjp = _categorical(t, o, from_logits, axis, needs_gradient(target))
    return record(loss, (target, output), vjp)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """`-log(p[target])` for integer class labels; `target` has `output`'s shape without
    the class axis (a trailing axis of 1 is squeezed). A label outside `[0, classes)`
    encodes as a zero row (as `one_hot`), so its sample counts 0."""
    o = float_input(output)
    if o.ndim < 1:
        raise ShapeError(f"Argument `output` must be at least rank 1. Received: "
                         f"output.shape={tuple(o.shape)}")
    labels = int_input(target)
    if labels.ndim == o.ndim and labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    (axis,) = normalize_axes(axis, o.ndim)
    expected = o.shape[:axis] + o.shape[axis + 1:]
    if tuple(labels.shape) != tuple(expected):
        raise ShapeError("Arguments `target` and `output` must have the same shape up until "
                         f"the class axis: target.shape={tuple(labels.shape)}, "
                         f"output.shape={tuple(o.shape)}")
    xp = array_module(o)
    t = _one_hot_values(xp.asarray(labels), o.shape[axis], axis, o.dtype)
    loss, vjp = _categorical(t, o, from_logits, axis, False)
    return record(loss, (output,), lambda g: (vjp(g)[1],))


# ----- encodings ---------------------------------------------------------------------------------
def _one_hot_values(labels, num_classes, axis, dtype):
    xp = array_module(labels)
    encoded = (labels[..., None] == xp.arange(num_classes)).astype(dtype)
    return encoded if axis in (-1, labels.ndim) else xp.moveaxis(encoded, -1, axis)


def _dtype(dtype):
    return np.dtype(backend.FLOATX if dtype is None else dtype)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels as one-hot vectors along a new axis `axis`; labels outside
    `[0, num_classes)` give all-zero vectors. `dtype` defaults to float32."""
    if sparse:
        raise SpecError("Unsupported value `sparse=True`: the engine has no sparse tensors.")
    labels = int_input(x)
    if not -labels.ndim - 1 <= axis <= labels.ndim:
        raise ShapeError(f"axis must be -1 or between [0, {labels.ndim}], but received "
                         f"{axis}.")
    return constant(_one_hot_values(labels, int(num_classes), axis, _dtype(dtype)))


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Integer labels as multi-hot vectors: `(k,)` -> `(num_classes,)`, `(batch, k)` ->
    `(batch, num_classes)`. `num_tokens` is accepted for `num_classes`, as in Keras."""
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise SpecError(f"multi_hot: unexpected keyword arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise SpecError("Argument `num_classes` must be specified.")
    encoded = one_hot(inputs, num_classes, axis=axis, dtype=dtype, sparse=sparse).value
    reduction_axis = 1 if int_input(inputs).ndim > 1 else 0
    return constant(encoded.max(axis=reduction_axis))


__all__ = ["binary_crossentropy", "categorical_crossentropy", "multi_hot", "one_hot",
           "sparse_categorical_crossentropy"]
