"""Crossentropy losses (Keras formulas), each with its gradient beside it.

On probabilities (`from_logits=False`, the Keras default) the predictions are clipped to
`[1e-7, 1 - 1e-7]` and the clipped region gets no gradient. On logits the stable forms are
used: `log_softmax` and `max(z, 0) - z*y + log(1 + exp(-|z|))`.
"""

import warnings

from .. import activations, registry
from ..backend import get_array_module
from ..errors import DataError, ShapeError
from ..params import BOOL, FLOAT, INT, Param
from .base import (
    EPSILON,
    REDUCTION_PARAM,
    FusedActivationMixin,
    Loss,
    as_array_like,
    as_float_array,
    shape_text,
)

FROM_LOGITS = Param("from_logits", BOOL, False,
                    help="True if the model outputs logits (no softmax/sigmoid at the end).")
LABEL_SMOOTHING = Param("label_smoothing", FLOAT, 0.0, minimum=0.0, maximum=1.0,
                        help="Moves targets toward uniform: 0 = none, 0.1 is common.")
_SOFTMAX = activations.get("softmax")
_LOG_SOFTMAX = activations.get("log_softmax")
_SIGMOID = activations.get("sigmoid")


def _inside(p):
    """1 where `clip(p, eps, 1 - eps)` passes its gradient, 0 where it clips."""
    return ((p >= EPSILON) & (p <= 1.0 - EPSILON)).astype(p.dtype)


def _one_hot(xp, labels, num_classes, dtype):
    return (xp.arange(num_classes) == labels[..., None]).astype(dtype)


@registry.register("loss", "categorical_crossentropy")
class CategoricalCrossentropy(FusedActivationMixin, Loss):
    """`-sum(y_true * log(y_pred), axis=-1)` for one-hot (or soft) targets.

    Args:
        from_logits: Whether `y_pred` are logits. Defaults to `False` (probabilities,
            renormalised to sum to 1 and clipped to `[1e-7, 1 - 1e-7]`).
        label_smoothing: `y = y * (1 - ls) + ls / num_classes`. Defaults to `0.0`.
        reduction: See `Loss`. name: Defaults to `"categorical_crossentropy"`.
    """

    PARAMS = (FROM_LOGITS, LABEL_SMOOTHING, REDUCTION_PARAM)
    FUSED_ACTIVATION = "softmax"
    DEFAULT_NAME = "categorical_crossentropy"
    DESCRIPTION = "Crossentropy for one-hot targets and a softmax output."

    def __init__(self, from_logits=False, label_smoothing=0.0,
                 reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        self._configure(from_logits=from_logits, label_smoothing=label_smoothing)

    def _prepare(self, y_true, y_pred):
        y_true, y_pred, shape = super()._prepare(y_true, y_pred)
        if y_pred.ndim and y_pred.shape[-1] == 1:
            warnings.warn(
                f"In loss {self.name}, expected y_pred.shape to be (batch_size, num_classes) "
                f"with num_classes > 1. Received: y_pred.shape={shape_text(shape)}. Consider "
                "using 'binary_crossentropy' if you only have 2 classes.", stacklevel=3)
        return y_true, y_pred, shape

    def _shape_fix(self, target_shape, output_shape):
        classes = output_shape[-1] if output_shape else 1
        return (
            "If your labels are integer class indices, use "
            "loss='sparse_categorical_crossentropy'; otherwise one-hot encode them to shape "
            f"{shape_text(target_shape[:1] + (classes,))} (or give the last layer "
            f"{target_shape[-1] if target_shape else 1} units)."
        )

    def _forward(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        y = y_true
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / y.shape[-1]
        if self.from_logits:
            log_p = _LOG_SOFTMAX.forward(y_pred)
            return -(y * log_p).sum(axis=-1), (y, log_p)
        total = y_pred.sum(axis=-1, keepdims=True)
        p = y_pred / total  # Keras renormalises the probabilities along the class axis
        q = xp.clip(p, EPSILON, 1.0 - EPSILON)
        return -(y * xp.log(q)).sum(axis=-1), (y, p, q, total)

    def _backward(self, ctx, g):
        g = g[..., None]
        if self.from_logits:
            y, log_p = ctx
            xp = get_array_module(log_p)
            # d/dz -sum(y * log_softmax(z)) = softmax(z) * sum(y) - y
            return g * (xp.exp(log_p) * y.sum(axis=-1, keepdims=True) - y)
        y, p, q, total = ctx
        dq = -y / q * _inside(p)
        # through p = y_pred / sum(y_pred): dL/dy_pred_k = (dq_k - sum_j dq_j p_j) / sum
        return g * (dq - (dq * p).sum(axis=-1, keepdims=True)) / total

    def _logits_backward(self, y_pred, ctx, g):
        y = ctx[0]
        # softmax then crossentropy: dL/dz = p * sum(y) - y  (= p - y for one-hot y)
        return g[..., None] * (y_pred * y.sum(axis=-1, keepdims=True) - y)


@registry.register("loss", "sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(FusedActivationMixin, Loss):
    """Crossentropy for integer class labels: `-log(y_pred[label])`.

    Args:
        from_logits: Whether `y_pred` are logits. Defaults to `False`.
        ignore_class: A label value whose samples count for nothing (e.g. a padding class);
            averages are then over the other samples. Defaults to `None`.
        reduction: See `Loss`. name: Defaults to `"sparse_categorical_crossentropy"`.

    `y_true` has shape `y_pred.shape[:-1]` (a trailing axis of 1 is squeezed). Every call
    checks that the labels are valid classes (a DataError otherwise), which costs one device
    sync on the GPU; a trainer that validated the labels up front may set
    `loss.validate_labels = False` to skip it.
    """

    PARAMS = (FROM_LOGITS,
              Param("ignore_class", INT, None, optional=True,
                    help="Label value to ignore (e.g. padding), or None."),
              REDUCTION_PARAM)
    FUSED_ACTIVATION = "softmax"
    DEFAULT_NAME = "sparse_categorical_crossentropy"
    DESCRIPTION = "Crossentropy for integer class labels and a softmax output."

    def __init__(self, from_logits=False, ignore_class=None,
                 reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        self._configure(from_logits=from_logits, ignore_class=ignore_class)
        self.validate_labels = True

    def _prepare(self, y_true, y_pred):
        y_pred = as_float_array(y_pred)
        shape = y_pred.shape
        labels = as_array_like(y_true, y_pred)
        if labels.ndim == y_pred.ndim and labels.ndim and labels.shape[-1] == 1:
            labels = labels[..., 0]
        if y_pred.ndim < 1 or labels.shape != y_pred.shape[:-1]:
            raise ShapeError(
                "Arguments `target` and `output` must have the same shape up until the last "
                f"dimension: target.shape={shape_text(labels.shape)}, "
                f"output.shape={shape_text(shape)}. " + self._sparse_fix(labels.shape, shape)
            )
        if not self.validate_labels:
            return labels.astype(get_array_module(labels).int64), y_pred, shape
        return self._checked_labels(labels, shape), y_pred, shape

    def _sparse_fix(self, target_shape, output_shape):
        if tuple(target_shape) == tuple(output_shape):
            return ("The targets look one-hot encoded (same shape as the output): use "
                    "loss='categorical_crossentropy', or pass integer class indices of shape "
                    f"{shape_text(output_shape[:-1])}.")
        return (f"Pass one integer class index per sample, an array of shape "
                f"{shape_text(output_shape[:-1])}.")

    def _checked_labels(self, labels, output_shape):
        """Integer labels; a DataError (one device sync) if any is not a valid class."""
        xp = get_array_module(labels)
        num_classes = output_shape[-1]
        if labels.dtype.kind not in "biuf":
            raise DataError(f"Loss '{self.name}' needs integer class labels. Received labels "
                            f"of dtype {labels.dtype}.")
        ints = labels.astype(xp.int64)
        bad = (ints < 0) | (ints >= num_classes)
        if labels.dtype.kind == "f":
            bad |= ints != labels
        if self.ignore_class is not None:
            bad &= ints != self.ignore_class
        if labels.size and bool(bad.any()):
            raise DataError(self._label_message(labels, bad, output_shape))
        return ints

    def _label_message(self, labels, bad, output_shape):
        xp = get_array_module(labels)
        num_classes = output_shape[-1]
        wrong = labels[bad]
        if labels.dtype.kind == "f" and bool((wrong != xp.floor(wrong)).any()):
            value = float(wrong[wrong != xp.floor(wrong)][0])
            return (f"Loss '{self.name}' needs integer class indices, but received the label "
                    f"{value}. If the targets are probabilities or one-hot rows, use "
                    "loss='categorical_crossentropy'.")
        highest, lowest = int(wrong.max()), int(wrong.min())
        if highest >= num_classes:
            return (f"Received a label value of {highest}, but the model has only "
                    f"{num_classes} outputs (y_pred.shape={shape_text(output_shape)}), so "
                    f"labels must be in [0, {num_classes - 1}]. The largest label is "
                    f"{highest}: give the last layer {highest + 1} units (e.g. "
                    f"Dense({highest + 1}, activation='softmax')), or check the labels.")
        return (f"Received a label value of {lowest}; class indices must be in "
                f"[0, {num_classes - 1}] for {num_classes} outputs. To skip samples with "
                f"that label, pass ignore_class={lowest}.")

    def _forward(self, labels, y_pred):
        xp = get_array_module(y_pred)
        valid = None if self.ignore_class is None else labels != self.ignore_class
        safe = labels if valid is None else xp.where(valid, labels, 0)
        index = safe[..., None]
        if self.from_logits:
            log_p = _LOG_SOFTMAX.forward(y_pred)
            values = -xp.take_along_axis(log_p, index, axis=-1)[..., 0]
            ctx = (safe, valid, log_p)
        else:
            total = y_pred.sum(axis=-1, keepdims=True)
            p = y_pred / total  # renormalised, as Keras does
            p_t = xp.take_along_axis(p, index, axis=-1)[..., 0]
            q_t = xp.clip(p_t, EPSILON, 1.0 - EPSILON)
            values = -xp.log(q_t)
            ctx = (safe, valid, p, p_t, q_t, total)
        if valid is not None:
            values = xp.where(valid, values, xp.zeros_like(values))
        return values, ctx

    def _mask(self, ctx):
        return ctx[1]

    def _backward(self, ctx, g):
        safe = ctx[0]
        if self.from_logits:
            log_p = ctx[2]
            xp = get_array_module(log_p)
            # d/dz -log_softmax(z)[t] = softmax(z) - onehot(t)
            return g[..., None] * (xp.exp(log_p) - _one_hot(xp, safe, log_p.shape[-1],
                                                            log_p.dtype))
        _, _, p, p_t, q_t, total = ctx
        xp = get_array_module(p)
        one_hot = _one_hot(xp, safe, p.shape[-1], p.dtype)
        # L = -log(clip(p_t)), p = y_pred / sum: dL/dy_pred_k = in_t / q_t * (p_t - [k=t]) / sum
        scale = (g * _inside(p_t) / q_t)[..., None]
        return scale * (p_t[..., None] - one_hot) / total

    def _logits_backward(self, y_pred, ctx, g):
        xp = get_array_module(y_pred)
        one_hot = _one_hot(xp, ctx[0], y_pred.shape[-1], y_pred.dtype)
        return g[..., None] * (y_pred - one_hot)  # softmax + crossentropy: p - onehot


@registry.register("loss", "binary_crossentropy", "bce", "BCE")
class BinaryCrossentropy(FusedActivationMixin, Loss):
    """`mean(-(y log p + (1 - y) log(1 - p)), axis=-1)` for 0/1 (or soft) targets.

    Args:
        from_logits: Whether `y_pred` are logits. Defaults to `False`.
        label_smoothing: `y = y * (1 - ls) + 0.5 * ls`. Defaults to `0.0`.
        reduction: See `Loss`. name: Defaults to `"binary_crossentropy"`.
    """

    PARAMS = (FROM_LOGITS, LABEL_SMOOTHING, REDUCTION_PARAM)
    FUSED_ACTIVATION = "sigmoid"
    DEFAULT_NAME = "binary_crossentropy"
    DESCRIPTION = "Crossentropy for 0/1 targets and a sigmoid output."

    def __init__(self, from_logits=False, label_smoothing=0.0,
                 reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name, **kwargs)
        self._configure(from_logits=from_logits, label_smoothing=label_smoothing)

    def _shape_fix(self, target_shape, output_shape):
        if output_shape and output_shape[-1] > 1 and (not target_shape[1:]
                                                      or target_shape[-1] == 1):
            return (f"binary_crossentropy expects one probability per target. For "
                    f"{output_shape[-1]} classes with integer labels use "
                    "loss='sparse_categorical_crossentropy'; for two classes give the model a "
                    "Dense(1, activation='sigmoid') output.")
        return super()._shape_fix(target_shape, output_shape)

    def _forward(self, y_true, y_pred):
        xp = get_array_module(y_pred)
        y = y_true
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            z = y_pred  # stable: max(z, 0) - z*y + log(1 + exp(-|z|))
            elementwise = xp.maximum(z, 0.0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))
            return elementwise.mean(axis=-1), (y, z)
        q = xp.clip(y_pred, EPSILON, 1.0 - EPSILON)
        elementwise = -(y * xp.log(q) + (1.0 - y) * xp.log(1.0 - q))
        return elementwise.mean(axis=-1), (y, y_pred, q)

    def _backward(self, ctx, g):
        if self.from_logits:
            y, z = ctx
            d = _SIGMOID.forward(z) - y  # d/dz of the stable form
        else:
            y, p, q = ctx
            d = ((1.0 - y) / (1.0 - q) - y / q) * _inside(p)
        return g[..., None] * d / d.shape[-1]

    def _logits_backward(self, y_pred, ctx, g):
        y = ctx[0]
        return g[..., None] * (y_pred - y) / y_pred.shape[-1]  # sigmoid + crossentropy
