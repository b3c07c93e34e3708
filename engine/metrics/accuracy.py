"""Accuracy metrics (Keras names and formulas): running means of per-sample matches."""

from .. import registry
from ..backend import get_array_module
from ..errors import ShapeError
from ..losses.base import as_array_like, as_float_array, shape_text, squeeze_or_expand_to_same_rank
from ..params import FLOAT, INT, Param
from .base import MeanMetricWrapper


def _pair(y_true, y_pred, cast_true=True):
    y_pred = as_float_array(y_pred)
    return as_array_like(y_true, y_pred, dtype=y_pred.dtype if cast_true else None), y_pred


def _require_same_shape(metric, y_true, y_pred, fix):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ShapeError(
            f"Metric '{metric.name}' ({type(metric).__name__}) needs targets shaped like the "
            f"predictions. Received: y_true.shape={shape_text(y_true.shape)}, "
            f"y_pred.shape={shape_text(y_pred.shape)}. {fix}"
        )


def _sparse_labels(metric, y_true, y_pred):
    """Integer labels shaped `y_pred.shape[:-1]` (a trailing axis of 1 squeezed)."""
    if y_true.ndim == y_pred.ndim and y_true.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        raise ShapeError(
            f"Metric '{metric.name}' ({type(metric).__name__}) needs one integer label per "
            f"sample, shape {shape_text(y_pred.shape[:-1])}. Received: "
            f"y_true.shape={shape_text(y_true.shape)}, y_pred.shape={shape_text(y_pred.shape)}."
            " For one-hot targets use the categorical (non-sparse) metric, or "
            "metrics=['accuracy'], which picks the right one from the shapes."
        )
    return y_true


def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` largest predictions (ties count as in).

    Labels outside `[0, num_classes)` never match; NaN scores count as smallest.
    """
    xp = get_array_module(predictions)
    labels = targets.astype(xp.int64)
    valid = (labels >= 0) & (labels < predictions.shape[-1])
    safe = xp.where(valid, labels, 0)
    at_label = xp.take_along_axis(predictions, safe[..., None], axis=-1)
    at_label = xp.where(xp.isnan(at_label), -xp.inf, at_label)
    rank = 1 + (predictions > at_label).sum(axis=-1)
    return (rank <= k) & valid


class AccuracyMetric(MeanMetricWrapper):
    """A running mean of 0/1 matches: larger is better."""

    DIRECTION = "up"


_CATEGORICAL_FIX = ("Targets must be one-hot rows. For integer class labels use the sparse "
                    "metric, or metrics=['accuracy'], which picks the right one from the shapes.")


@registry.register("metric")
class Accuracy(AccuracyMetric):
    """How often `y_pred` equals `y_true` exactly (for class-index predictions).

    The string `"accuracy"` in `metrics.get` chooses Binary/Categorical/Sparse accuracy
    from the shapes instead, as Keras's `compile` does.
    """

    DEFAULT_NAME = "accuracy"
    DESCRIPTION = "Fraction of predictions exactly equal to the targets."

    def _values(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
        _require_same_shape(self, y_true, y_pred, "Reshape the targets to the output shape.")
        return (y_true == y_pred).astype(y_pred.dtype)


@registry.register("metric", "binary_accuracy")
class BinaryAccuracy(AccuracyMetric):
    """How often `(y_pred > threshold)` equals the 0/1 target.

    Args:
        threshold: Probability above which a prediction counts as 1. Defaults to `0.5`.
        name: Defaults to `"binary_accuracy"`.
    """

    PARAMS = (Param("threshold", FLOAT, 0.5, help="Predictions above it count as 1."),)
    DEFAULT_NAME = "binary_accuracy"
    DESCRIPTION = "Accuracy for 0/1 targets and a sigmoid output."

    def __init__(self, threshold=0.5, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(threshold=threshold)

    def _values(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
        _require_same_shape(self, y_true, y_pred,
                            "Give one 0/1 target per output (e.g. shape (batch, 1)).")
        return (y_true == (y_pred > self.threshold)).astype(y_pred.dtype)


@registry.register("metric", "categorical_accuracy")
class CategoricalAccuracy(AccuracyMetric):
    """How often `argmax(y_pred)` equals `argmax(y_true)` (one-hot targets)."""

    DEFAULT_NAME = "categorical_accuracy"
    DESCRIPTION = "Accuracy for one-hot targets."

    def _values(self, y_true, y_pred):
        y_true, y_pred = _pair(y_true, y_pred)
        _require_same_shape(self, y_true, y_pred, _CATEGORICAL_FIX)
        return (y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)).astype(y_pred.dtype)


@registry.register("metric", "sparse_categorical_accuracy")
class SparseCategoricalAccuracy(AccuracyMetric):
    """How often `argmax(y_pred)` equals the integer label."""

    DEFAULT_NAME = "sparse_categorical_accuracy"
    DESCRIPTION = "Accuracy for integer class labels."

    def _values(self, y_true, y_pred):
        y_true, y_pred = _pair(y_true, y_pred, cast_true=False)
        labels = _sparse_labels(self, y_true, y_pred)
        return (labels == y_pred.argmax(axis=-1)).astype(y_pred.dtype)


K_PARAM = Param("k", INT, 5, minimum=1, help="A hit if the true class is among the k best.")


@registry.register("metric", "top_k_categorical_accuracy")
class TopKCategoricalAccuracy(AccuracyMetric):
    """How often the one-hot target's class is among the `k` highest predictions.

    Args:
        k: Defaults to `5`. name: Defaults to `"top_k_categorical_accuracy"`.
    """

    PARAMS = (K_PARAM,)
    DEFAULT_NAME = "top_k_categorical_accuracy"
    DESCRIPTION = "Top-k accuracy for one-hot targets."

    def __init__(self, k=5, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(k=k)

    def _values(self, y_true, y_pred):
        y_true, y_pred = _pair(y_true, y_pred)
        _require_same_shape(self, y_true, y_pred, _CATEGORICAL_FIX)
        return in_top_k(y_true.argmax(axis=-1), y_pred, self.k).astype(y_pred.dtype)


@registry.register("metric", "sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(AccuracyMetric):
    """How often the integer label is among the `k` highest predictions.

    Args:
        k: Defaults to `5`. name: Defaults to `"sparse_top_k_categorical_accuracy"`.
    """

    PARAMS = (K_PARAM,)
    DEFAULT_NAME = "sparse_top_k_categorical_accuracy"
    DESCRIPTION = "Top-k accuracy for integer class labels."

    def __init__(self, k=5, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(k=k)

    def _values(self, y_true, y_pred):
        y_true, y_pred = _pair(y_true, y_pred, cast_true=False)
        labels = _sparse_labels(self, y_true, y_pred)
        return in_top_k(labels, y_pred, self.k).astype(y_pred.dtype)
