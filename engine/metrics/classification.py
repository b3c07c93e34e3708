"""Classification metrics from running counts: Precision, Recall, F1Score and our
ConfusionMatrix (Keras names, defaults and formulas; AUC lives in `metrics_auc`).

Counts are float64 arrays on the data's device; `result()` brings them to the host.
"""

import numpy as np

from .. import registry
from ..backend import get_array_module
from ..errors import DataError, ShapeError, SpecError
from ..losses.base import as_array_like, as_float_array, shape_text, squeeze_or_expand_to_same_rank
from ..params import FLOAT, FLOATS, INT, STR, Param
from .base import Metric

NEG_INF = -1e10  # Keras metrics_utils.NEG_INF: the score given to predictions outside top_k
F1_EPSILON = 1e-7


def scatter_sum(index, weights, size):
    """`out[i] = sum(weights[index == i])` for i < size, without a host sync on CuPy."""
    xp = get_array_module(weights)
    if xp is np:
        return np.bincount(index, weights=weights, minlength=size).astype(np.float64)
    import cupyx  # noqa: PLC0415 - only with CuPy arrays

    out = xp.zeros(size, dtype=weights.dtype)
    cupyx.scatter_add(out, index, weights)
    return out


def broadcast_weights(metric, sample_weight, like):
    """Sample weights as float64 shaped like `like` (fewer axes align from the left)."""
    xp = get_array_module(like)
    if sample_weight is None:
        return xp.ones(like.shape, dtype=np.float64)
    w = as_array_like(sample_weight, like, dtype=np.float64)
    given = w.shape
    while w.ndim > like.ndim and w.shape[-1] == 1:
        w = w[..., 0]
    if 0 < w.ndim < like.ndim:
        w = w.reshape(w.shape + (1,) * (like.ndim - w.ndim))
    try:
        return xp.broadcast_to(w, like.shape)
    except ValueError:
        raise ShapeError(
            f"Metric '{metric.name}': `sample_weight` of shape {shape_text(given)} does not fit "
            f"predictions of shape {shape_text(like.shape)}. Pass one weight per sample."
        ) from None


def matched_pair(metric, y_true, y_pred):
    """Float predictions and targets of the same shape (Keras rank matching first)."""
    y_pred = as_float_array(y_pred)
    y_true = as_array_like(y_true, y_pred)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"Metric '{metric.name}' ({type(metric).__name__}) needs targets shaped like the "
            f"predictions. Received: y_true.shape={shape_text(y_true.shape)}, "
            f"y_pred.shape={shape_text(y_pred.shape)}. For integer class labels, one-hot "
            "encode them first."
        )
    return y_true, y_pred


def filter_top_k(x, k):
    """Keeps the `k` largest scores along the last axis; the others become NEG_INF."""
    xp = get_array_module(x)
    stable = {"kind": "stable"} if xp is np else {}
    order = xp.argsort(-x, axis=-1, **stable)
    ranks = xp.argsort(order, axis=-1, **stable)  # position of each class in the order
    return xp.where(ranks < k, x, NEG_INF)


class _ThresholdCounts(Metric):
    """True/false positives and false negatives at each threshold (Precision, Recall)."""

    PARAMS = (Param("thresholds", FLOATS, None, minimum=0.0, maximum=1.0, optional=True,
                    help="Probability thresholds (None = 0.5; with top_k, the top k)."),
              Param("top_k", INT, None, minimum=1, optional=True,
                    help="Count only the k highest-scored classes as predicted positive."),
              Param("class_id", INT, None, minimum=0, optional=True,
                    help="Score only this class (column), or None for all."))

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(thresholds, (int, float)) and not isinstance(thresholds, bool):
            thresholds = (float(thresholds),)
        self._configure(thresholds=thresholds, top_k=top_k, class_id=class_id)
        # Keras: no thresholds means 0.5, or "in the top k" when top_k is set.
        default = 0.5 if top_k is None else NEG_INF
        self._thresholds = np.asarray(self.thresholds or (default,), dtype=np.float64)
        self._device_thresholds = {}

    def _thresholds_for(self, xp, dtype):
        key = (xp.__name__, np.dtype(dtype).str)
        if key not in self._device_thresholds:  # one copy per device: no per-batch transfer
            self._device_thresholds[key] = xp.asarray(self._thresholds, dtype=dtype)
        return self._device_thresholds[key]

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = matched_pair(self, y_true, y_pred)
        weights = broadcast_weights(self, sample_weight, y_pred)
        if self.top_k is not None:
            y_pred = filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim == 0 or self.class_id >= y_pred.shape[-1]:
                raise SpecError(
                    f"Metric '{self.name}': class_id={self.class_id} but the predictions have "
                    f"shape {shape_text(y_pred.shape)}. Use a class_id below the number of "
                    "classes.")
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
            weights = weights[..., self.class_id]
        xp = get_array_module(y_pred)
        predicted = (y_pred.reshape(-1, 1) > self._thresholds_for(xp, y_pred.dtype))
        positive = (y_true.reshape(-1) != 0) * weights.reshape(-1)
        negative = (y_true.reshape(-1) == 0) * weights.reshape(-1)
        true_positives = positive @ predicted.astype(np.float64)
        self._accumulate(true_positives=true_positives,
                         false_positives=negative @ predicted.astype(np.float64),
                         false_negatives=positive.sum() - true_positives)

    def _ratio(self, denominator_key):
        tp = self._host("true_positives", np.zeros(len(self._thresholds)))
        other = self._host(denominator_key, np.zeros(len(self._thresholds)))
        total = tp + other
        value = np.where(total == 0, 0.0, tp / np.where(total == 0, 1.0, total))
        return float(value[0]) if len(self._thresholds) == 1 else value


@registry.register("metric", "precision")
class Precision(_ThresholdCounts):
    """`tp / (tp + fp)`: how many predicted positives are real.

    Args:
        thresholds: A float or list in [0, 1]; a prediction above it is positive. One value
            gives a float result, several give an array. Defaults to `None` (0.5).
        top_k: Only the k highest-scored classes count as predicted. Defaults to `None`.
        class_id: Score only this class. Defaults to `None` (all, flattened).
        name: Defaults to `"precision"`.
    """

    DEFAULT_NAME = "precision"
    DESCRIPTION = "Fraction of predicted positives that are positive."

    def result(self):
        return self._ratio("false_positives")


@registry.register("metric", "recall")
class Recall(_ThresholdCounts):
    """`tp / (tp + fn)`: how many real positives are found (arguments as `Precision`)."""

    DEFAULT_NAME = "recall"
    DESCRIPTION = "Fraction of positives that are predicted positive."

    def result(self):
        return self._ratio("false_negatives")


@registry.register("metric", "f1_score")
class F1Score(Metric):
    """Harmonic mean of precision and recall, per class from one-hot (or multi-label) rows.

    Args:
        average: `None` (a NumPy array, one score per class), `"micro"` (from totals over
            all classes), `"macro"` (mean of class scores) or `"weighted"` (weighted by each
            class's support). Defaults to `None`.
        threshold: Predictions above it are positive; `None` takes each row's arg-max.
            Defaults to `None`.
        name: Defaults to `"f1_score"`.
    """

    PARAMS = (Param("average", STR, None, choices=("micro", "macro", "weighted"),
                    optional=True, help="None = per class; micro, macro or weighted mean."),
              Param("threshold", FLOAT, None, minimum=0.0, maximum=1.0, optional=True,
                    exclusive_minimum=True, help="Positive above it; None = arg-max per row."))
    DEFAULT_NAME = "f1_score"
    DESCRIPTION = "F1 score: harmonic mean of precision and recall."

    def __init__(self, average=None, threshold=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(average=average, threshold=threshold)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = matched_pair(self, y_true, y_pred)
        if y_pred.ndim != 2:
            raise ShapeError(
                "F1Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={shape_text(y_pred.shape)} and "
                f"y_true.shape={shape_text(y_true.shape)}.")
        if self.threshold is None:
            # arg-max per row -> 1 (ties all count); an all-zero row stays all zero
            predicted = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(np.float64)
        truth = y_true.astype(np.float64)
        weights = broadcast_weights(self, sample_weight, y_pred)
        axis = None if self.average == "micro" else 0
        self._accumulate(true_positives=(predicted * truth * weights).sum(axis=axis),
                         false_positives=(predicted * (1.0 - truth) * weights).sum(axis=axis),
                         false_negatives=((1.0 - predicted) * truth * weights).sum(axis=axis),
                         support=(truth * weights).sum(axis=axis))

    def result(self):
        if not self._state:
            return np.zeros(0) if self.average is None else 0.0
        tp = self._host("true_positives")
        precision = tp / (tp + self._host("false_positives") + F1_EPSILON)
        recall = tp / (tp + self._host("false_negatives") + F1_EPSILON)
        score = self._combine(precision, recall)
        if self.average is None:
            return score
        if self.average == "weighted":
            support = self._host("support")
            return float((score * support / (support.sum() + F1_EPSILON)).sum())
        return float(score.mean())

    def _combine(self, precision, recall):
        """The per-class score from precision and recall (FBetaScore weighs them)."""
        return 2.0 * precision * recall / (precision + recall + F1_EPSILON)


@registry.register("metric", "confusion_matrix")
class ConfusionMatrix(Metric):
    """Counts of (true class, predicted class): rows are true, columns predicted.

    Args:
        num_classes: Number of classes; `None` takes it from the predictions' last axis
            (2 for a single sigmoid output). Defaults to `None`.
        name: Defaults to `"confusion_matrix"`.

    Targets may be integer labels or one-hot rows; predictions probabilities (arg-max, or
    `> 0.5` for a single output) or integer classes (then `num_classes` is needed).
    `result()` is a NumPy int64 matrix (weighted counts are rounded). Not for monitoring.
    """

    PARAMS = (Param("num_classes", INT, None, minimum=2, optional=True,
                    help="Number of classes (None = from the predictions)."),)
    DIRECTION = None
    DEFAULT_NAME = "confusion_matrix"
    DESCRIPTION = "Counts of true vs predicted classes."

    def __init__(self, num_classes=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(num_classes=num_classes)

    def _classes(self, y_true, y_pred):
        """(true class, predicted class, number of classes) as integer arrays."""
        xp = get_array_module(y_pred)
        y_pred = as_array_like(y_pred, y_pred)
        y_true = as_array_like(y_true, y_pred)
        if y_pred.dtype.kind in "iub":
            if self.num_classes is None:
                raise SpecError(f"ConfusionMatrix '{self.name}' received integer predictions: "
                                "pass num_classes=... so the matrix size is known.")
            predicted, classes = y_pred, self.num_classes
        elif y_pred.ndim and y_pred.shape[-1] > 1:
            predicted, classes = y_pred.argmax(axis=-1), y_pred.shape[-1]
            if y_true.shape == y_pred.shape:
                y_true = y_true.argmax(axis=-1)  # one-hot rows
        else:
            y_pred = y_pred[..., 0] if y_pred.ndim and y_pred.shape[-1] == 1 else y_pred
            predicted, classes = (y_pred > 0.5).astype(xp.int64), 2
        if y_true.ndim == predicted.ndim + 1 and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        if self.num_classes is not None and classes != self.num_classes:
            raise ShapeError(
                f"ConfusionMatrix '{self.name}' has num_classes={self.num_classes} but the "
                f"predictions have shape {shape_text(y_pred.shape)} ({classes} classes).")
        if y_true.shape != predicted.shape:
            raise ShapeError(
                f"ConfusionMatrix '{self.name}': targets of shape {shape_text(y_true.shape)} "
                f"do not match predictions of shape {shape_text(y_pred.shape)}. Pass one "
                "integer label (or one one-hot row) per sample.")
        return y_true.astype(xp.int64), predicted.astype(xp.int64), classes

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        truth, predicted, classes = self._classes(y_true, y_pred)
        if self._state and self._state["classes"] != classes:
            raise ShapeError(f"ConfusionMatrix '{self.name}' counted {self._state['classes']} "
                             f"classes so far but this batch has {classes}.")
        xp = get_array_module(predicted)
        valid = (truth >= 0) & (truth < classes) & (predicted >= 0) & (predicted < classes)
        weights = broadcast_weights(self, sample_weight, truth) * valid
        index = xp.where(valid, truth * classes + predicted, 0).reshape(-1)
        counts = scatter_sum(index, weights.reshape(-1), classes * classes)
        self._accumulate(matrix=counts, invalid=(~valid).sum())
        self._state["classes"] = classes

    def result(self):
        if not self._state:
            size = self.num_classes or 0
            return np.zeros((size, size), dtype=np.int64)
        classes = self._state["classes"]
        invalid = int(self._host("invalid"))
        if invalid:
            raise DataError(
                f"ConfusionMatrix '{self.name}' received {invalid} labels or predictions "
                f"outside [0, {classes - 1}]. Check the labels, or set num_classes.")
        return np.rint(self._host("matrix")).astype(np.int64).reshape(classes, classes)
