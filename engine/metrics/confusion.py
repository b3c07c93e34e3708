"""Confusion counts at thresholds, and the metrics read off them (Keras names and formulas).

`TruePositives`... count (weighted) predictions `> threshold` against non-zero targets, both
flattened. `SensitivityAtSpecificity` and its three siblings keep all four counts at
`num_thresholds` evenly spaced thresholds in [0, 1] and report the best value of one rate
among the thresholds where the other rate reaches the requested level.
"""

import numpy as np

from .. import registry
from ..backend import get_array_module
from ..errors import SpecError
from ..losses.base import shape_text
from ..params import FLOAT, FLOATS, INT, Param
from .auc import divide_no_nan
from .base import Metric
from .classification import broadcast_weights, matched_pair, scatter_sum

CLASS_ID = Param("class_id", INT, None, minimum=0, optional=True,
                 help="Score only this class (column), or None for all.")
NUM_THRESHOLDS = Param("num_thresholds", INT, 200, minimum=1,
                       help="Number of evenly spaced thresholds searched (1 = only 0.5).")


def weighted_labels(metric, y_true, y_pred, sample_weight, class_id=None):
    """`(scores, positive, negative)`, flat: each prediction with its weight as a positive
    (non-zero target) or as a negative; `class_id` keeps one column first."""
    y_true, y_pred = matched_pair(metric, y_true, y_pred)
    weights = broadcast_weights(metric, sample_weight, y_pred)
    if class_id is not None:
        if y_pred.ndim < 2 or class_id >= y_pred.shape[-1]:
            raise SpecError(
                f"Metric '{metric.name}': class_id={class_id} needs predictions of shape "
                f"(num_samples, num_classes) with more than {class_id} classes. Received: "
                f"y_pred.shape={shape_text(y_pred.shape)}.")
        y_true, y_pred, weights = (a[..., class_id] for a in (y_true, y_pred, weights))
    weights = weights.reshape(-1)
    truth = y_true.reshape(-1) != 0
    return y_pred.reshape(-1), truth * weights, (~truth) * weights


def counts_above(scores, positive, negative, thresholds):
    """`(tp, fp, fn, tn)` at each threshold, a prediction counting as positive when it is
    strictly above it."""
    predicted = (scores[:, None] > thresholds).astype(np.float64)
    tp, fp = positive @ predicted, negative @ predicted
    return tp, fp, positive.sum() - tp, negative.sum() - fp


def counts_at_even_thresholds(scores, positive, negative, n):
    """`counts_above` for thresholds `i / (n - 1)`, i = 0..n-1, without an (N x n) array.

    A score p in [0, 1] is above exactly the thresholds `0..ceil(p (n - 1)) - 1`: count it
    in that bucket and sum the buckets from the top (Keras's bucketed update).
    """
    xp = get_array_module(scores)
    scores = xp.clip(scores.astype(np.float64), 0.0, 1.0)
    bucket = xp.ceil(scores * (n - 1)).astype(xp.int64) - 1
    above_any = bucket >= 0  # a score of 0 is above no threshold
    bucket = xp.where(above_any, bucket, 0)
    tp = xp.cumsum(scatter_sum(bucket, positive * above_any, n)[::-1])[::-1]
    fp = xp.cumsum(scatter_sum(bucket, negative * above_any, n)[::-1])[::-1]
    return tp, fp, positive.sum() - tp, negative.sum() - fp


class _ConditionCount(Metric):
    """One confusion count per threshold (Keras `_ConfusionMatrixConditionCount`)."""

    PARAMS = (Param("thresholds", FLOATS, None, minimum=0.0, maximum=1.0, optional=True,
                    help="Prediction thresholds in [0, 1] (None = 0.5); several give a vector."),)
    #: Which of `(tp, fp, fn, tn)` this metric keeps.
    INDEX = 0

    def __init__(self, thresholds=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if isinstance(thresholds, (int, float)) and not isinstance(thresholds, bool):
            thresholds = (float(thresholds),)
        self._configure(thresholds=thresholds)
        self._thresholds = np.asarray(self.thresholds or (0.5,), dtype=np.float64)
        self._on_device = {}

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        scores, positive, negative = weighted_labels(self, y_true, y_pred, sample_weight)
        xp = get_array_module(scores)
        if xp.__name__ not in self._on_device:  # one copy per device, not one per batch
            self._on_device[xp.__name__] = xp.asarray(self._thresholds)
        counts = counts_above(scores, positive, negative, self._on_device[xp.__name__])
        self._accumulate(count=counts[self.INDEX])

    def result(self):
        count = self._host("count", np.zeros(len(self._thresholds)))
        return float(count[0]) if len(self._thresholds) == 1 else count


@registry.register("metric", "true_positives")
class TruePositives(_ConditionCount):
    """The (weighted) number of positives predicted above the threshold.

    Args:
        thresholds: A float or a list of floats in [0, 1]; one gives a float result, several
            a NumPy array (kept out of the epoch logs). Defaults to `None` (0.5).
        name: Defaults to `"true_positives"`.
    """

    INDEX, DEFAULT_NAME = 0, "true_positives"
    DESCRIPTION = "Number of positives predicted positive."


@registry.register("metric", "false_positives")
class FalsePositives(_ConditionCount):
    """The (weighted) number of negatives predicted above the threshold (see
    `TruePositives`)."""

    INDEX, DEFAULT_NAME, DIRECTION = 1, "false_positives", "down"
    DESCRIPTION = "Number of negatives predicted positive."


@registry.register("metric", "false_negatives")
class FalseNegatives(_ConditionCount):
    """The (weighted) number of positives predicted at or below the threshold (see
    `TruePositives`)."""

    INDEX, DEFAULT_NAME, DIRECTION = 2, "false_negatives", "down"
    DESCRIPTION = "Number of positives predicted negative."


@registry.register("metric", "true_negatives")
class TrueNegatives(_ConditionCount):
    """The (weighted) number of negatives predicted at or below the threshold (see
    `TruePositives`)."""

    INDEX, DEFAULT_NAME = 3, "true_negatives"
    DESCRIPTION = "Number of negatives predicted negative."


class SensitivitySpecificityBase(Metric):
    """All four counts at `num_thresholds` thresholds; subclasses pick the constrained rate
    (`_rates()[0]`), the level it must reach (`self.value`), and the rate to maximise."""

    VALUE_NAME = ""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(**{self.VALUE_NAME: value}, num_thresholds=num_thresholds,
                        class_id=class_id)
        self.value = getattr(self, self.VALUE_NAME)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        labels = weighted_labels(self, y_true, y_pred, sample_weight, self.class_id)
        if self.num_thresholds == 1:
            xp = get_array_module(labels[0])
            counts = counts_above(*labels, xp.asarray([0.5]))
        else:
            counts = counts_at_even_thresholds(*labels, self.num_thresholds)
        self._accumulate(**dict(zip(("tp", "fp", "fn", "tn"), counts)))

    def result(self) -> float:
        zeros = np.zeros(self.num_thresholds)
        tp, fp, fn, tn = (self._host(key, zeros) for key in ("tp", "fp", "fn", "tn"))
        constrained, dependent = self._rates(tp, fp, fn, tn)
        # Keras `_find_max_under_constraint`: the best dependent rate where the constraint
        # holds, 0.0 where it never does.
        return float(np.max(np.where(constrained >= self.value, dependent, 0.0), initial=0.0))

    def _rates(self, tp, fp, fn, tn):
        raise NotImplementedError(f"{type(self).__name__} must implement _rates()")


def _value_param(name, what):
    """The required level (None is refused with "`recall` is required", as Keras requires it)."""
    return Param(name, FLOAT, None, minimum=0.0, maximum=1.0,
                 help=f"The {what} the threshold must reach, in [0, 1].")


@registry.register("metric", "sensitivity_at_specificity")
class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """Best sensitivity `tp / (tp + fn)` where specificity `tn / (tn + fp)` >= the value.

    Args:
        specificity: A scalar in [0, 1].
        num_thresholds: How many evenly spaced thresholds in [0, 1] to search.
            Defaults to `200`.
        class_id: Score only this class (column). Defaults to `None` (all, flattened).
        name: Defaults to `"sensitivity_at_specificity"`.
    """

    VALUE_NAME, DEFAULT_NAME = "specificity", "sensitivity_at_specificity"
    PARAMS = (_value_param("specificity", "specificity"), NUM_THRESHOLDS, CLASS_ID)
    DESCRIPTION = "Best sensitivity at a given specificity."

    def __init__(self, specificity=None, num_thresholds=200, class_id=None, name=None):
        super().__init__(specificity, num_thresholds, class_id, name)

    def _rates(self, tp, fp, fn, tn):
        return divide_no_nan(tn, tn + fp), divide_no_nan(tp, tp + fn)


@registry.register("metric", "specificity_at_sensitivity")
class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """Best specificity `tn / (tn + fp)` where sensitivity `tp / (tp + fn)` >= the value.

    Args:
        sensitivity: A scalar in [0, 1].
        num_thresholds: How many evenly spaced thresholds in [0, 1] to search.
            Defaults to `200`.
        class_id: Score only this class (column). Defaults to `None` (all, flattened).
        name: Defaults to `"specificity_at_sensitivity"`.
    """

    VALUE_NAME, DEFAULT_NAME = "sensitivity", "specificity_at_sensitivity"
    PARAMS = (_value_param("sensitivity", "sensitivity"), NUM_THRESHOLDS, CLASS_ID)
    DESCRIPTION = "Best specificity at a given sensitivity."

    def __init__(self, sensitivity=None, num_thresholds=200, class_id=None, name=None):
        super().__init__(sensitivity, num_thresholds, class_id, name)

    def _rates(self, tp, fp, fn, tn):
        return divide_no_nan(tp, tp + fn), divide_no_nan(tn, tn + fp)


@registry.register("metric", "precision_at_recall")
class PrecisionAtRecall(SensitivitySpecificityBase):
    """Best precision `tp / (tp + fp)` where recall `tp / (tp + fn)` >= the value.

    Args:
        recall: A scalar in [0, 1].
        num_thresholds: How many evenly spaced thresholds in [0, 1] to search.
            Defaults to `200`.
        class_id: Score only this class (column). Defaults to `None` (all, flattened).
        name: Defaults to `"precision_at_recall"`.
    """

    VALUE_NAME, DEFAULT_NAME = "recall", "precision_at_recall"
    PARAMS = (_value_param("recall", "recall"), NUM_THRESHOLDS, CLASS_ID)
    DESCRIPTION = "Best precision at a given recall."

    def __init__(self, recall=None, num_thresholds=200, class_id=None, name=None):
        super().__init__(recall, num_thresholds, class_id, name)

    def _rates(self, tp, fp, fn, tn):
        return divide_no_nan(tp, tp + fn), divide_no_nan(tp, tp + fp)


@registry.register("metric", "recall_at_precision")
class RecallAtPrecision(SensitivitySpecificityBase):
    """Best recall `tp / (tp + fn)` where precision `tp / (tp + fp)` >= the value (0.0 when
    no threshold reaches that precision).

    Args:
        precision: A scalar in [0, 1].
        num_thresholds: How many evenly spaced thresholds in [0, 1] to search.
            Defaults to `200`.
        class_id: Score only this class (column). Defaults to `None` (all, flattened).
        name: Defaults to `"recall_at_precision"`.
    """

    VALUE_NAME, DEFAULT_NAME = "precision", "recall_at_precision"
    PARAMS = (_value_param("precision", "precision"), NUM_THRESHOLDS, CLASS_ID)
    DESCRIPTION = "Best recall at a given precision."

    def __init__(self, precision=None, num_thresholds=200, class_id=None, name=None):
        super().__init__(precision, num_thresholds, class_id, name)

    def _rates(self, tp, fp, fn, tn):
        return divide_no_nan(tp, tp + fp), divide_no_nan(tp, tp + fn)
