"""AUC: area under the ROC or precision-recall curve from counts at evenly spaced
thresholds (Keras `AUC`, its bucketed update and its three summation methods)."""

import numpy as np

from .. import activations, registry
from ..backend import get_array_module
from ..losses.base import EPSILON
from ..params import BOOL, INT, STR, Param
from .base import Metric
from .classification import broadcast_weights, matched_pair, scatter_sum

_SIGMOID = activations.get("sigmoid")


def divide_no_nan(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


@registry.register("metric", "auc")
class AUC(Metric):
    """Area under the ROC (or PR) curve, a Riemann sum over `num_thresholds` thresholds.

    Args:
        num_thresholds: Thresholds `0 - eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps`.
            Defaults to `200`.
        curve: `"ROC"` (true vs false positive rate) or `"PR"` (precision vs recall).
            Defaults to `"ROC"`.
        summation_method: `"interpolation"` (trapezoids; Davis & Goadrich for PR),
            `"minoring"` or `"majoring"` (lower / upper rectangles).
            Defaults to `"interpolation"`.
        from_logits: Apply a sigmoid to the predictions first. Defaults to `False`.
        name: Defaults to `"auc"`.

    Predictions and targets are flattened together (one binary problem); any non-zero
    target counts as positive, with its value as the weight (soft labels, as Keras).
    """

    PARAMS = (Param("num_thresholds", INT, 200, minimum=2,
                    help="Number of thresholds; more is finer."),
              Param("curve", STR, "ROC", choices=("ROC", "PR"),
                    help="ROC curve or precision-recall curve."),
              Param("summation_method", STR, "interpolation",
                    choices=("interpolation", "minoring", "majoring"),
                    help="Trapezoids, or lower / upper rectangles."),
              Param("from_logits", BOOL, False, help="True if the model outputs logits."))
    DEFAULT_NAME = "auc"
    DESCRIPTION = "Area under the ROC (or precision-recall) curve."

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 from_logits=False, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        curve = curve.upper() if isinstance(curve, str) else curve
        method = summation_method.lower() if isinstance(summation_method, str) else \
            summation_method
        self._configure(num_thresholds=num_thresholds, curve=curve, summation_method=method,
                        from_logits=from_logits)
        n = self.num_thresholds
        inner = [(i + 1) / (n - 1) for i in range(n - 2)]
        self.thresholds = np.asarray([0.0 - EPSILON] + inner + [1.0 + EPSILON])

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = matched_pair(self, y_true, y_pred)
        if self.from_logits:
            y_pred = _SIGMOID.forward(y_pred)
        xp = get_array_module(y_pred)
        weights = broadcast_weights(self, sample_weight, y_pred).reshape(-1)
        truth = y_true.reshape(-1).astype(np.float64)
        # Threshold i counts predictions > t_i. A prediction p exceeds exactly the thresholds
        # 0..ceil(p (n-1)) - 1 (at least the first, -eps), so count it in that bucket and take
        # a reverse cumulative sum (Keras's bucketed update: no (samples x thresholds) array).
        n = self.num_thresholds
        scores = xp.clip(y_pred.reshape(-1).astype(np.float64), 0.0, 1.0)
        bucket = xp.maximum(xp.ceil(scores * (n - 1)) - 1, 0).astype(xp.int64)
        positive, negative = truth * weights, (1.0 - truth) * weights
        true_positives = xp.cumsum(scatter_sum(bucket, positive, n)[::-1])[::-1]
        false_positives = xp.cumsum(scatter_sum(bucket, negative, n)[::-1])[::-1]
        self._accumulate(true_positives=true_positives, false_positives=false_positives,
                         false_negatives=positive.sum() - true_positives,
                         true_negatives=negative.sum() - false_positives)

    def _counts(self):
        zeros = np.zeros(self.num_thresholds)
        return tuple(self._host(key, zeros) for key in (
            "true_positives", "false_positives", "true_negatives", "false_negatives"))

    def result(self) -> float:
        tp, fp, tn, fn = self._counts()
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(((x[:-1] - x[1:]) * heights).sum())

    @staticmethod
    def _interpolate_pr_auc(tp, fp, fn):
        """Davis & Goadrich (2006) interpolation of the PR curve, as Keras computes it."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        safe_ratio = np.where(ratio > 0, ratio, 1.0)
        increment = divide_no_nan(slope * (dtp + intercept * np.log(safe_ratio)),
                                   np.maximum(tp[1:] + fn[1:], 0))
        return float(increment.sum())
