"""Regression and loss-valued metrics: running means of a loss's per-sample values, RMSE
and R2 (Keras names and formulas)."""

import math
import warnings

import numpy as np

from .. import losses, registry
from ..errors import ShapeError
from ..losses.base import as_array_like, as_float_array, shape_text, squeeze_or_expand_to_same_rank
from ..params import BOOL, FLOAT, INT, STR, Param
from .base import Mean, MeanMetricWrapper, Metric


class LossMetric(MeanMetricWrapper):
    """Running mean of a loss's per-sample values (`loss.call`), e.g. MAE or crossentropy."""

    DIRECTION = "down"
    LOSS_CLASS = None

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._loss = self.LOSS_CLASS()

    def _values(self, y_true, y_pred):
        return self._loss.call(y_true, y_pred)


@registry.register("metric", "mean_squared_error", "mse", "MSE")
class MeanSquaredError(LossMetric):
    """Running mean of `mean((y_true - y_pred)**2, axis=-1)`."""

    LOSS_CLASS = losses.MeanSquaredError
    DEFAULT_NAME = "mean_squared_error"
    DESCRIPTION = "Mean squared error."


@registry.register("metric", "mean_absolute_error", "mae", "MAE")
class MeanAbsoluteError(LossMetric):
    """Running mean of `mean(|y_true - y_pred|, axis=-1)`."""

    LOSS_CLASS = losses.MeanAbsoluteError
    DEFAULT_NAME = "mean_absolute_error"
    DESCRIPTION = "Mean absolute error."


@registry.register("metric", "mean_absolute_percentage_error", "mape", "MAPE")
class MeanAbsolutePercentageError(LossMetric):
    """Running mean of `100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)`."""

    LOSS_CLASS = losses.MeanAbsolutePercentageError
    DEFAULT_NAME = "mean_absolute_percentage_error"
    DESCRIPTION = "Mean absolute error in percent of the target."


@registry.register("metric", "mean_squared_logarithmic_error", "msle", "MSLE")
class MeanSquaredLogarithmicError(LossMetric):
    """Running mean of the squared error of `log(1 + value)`."""

    LOSS_CLASS = losses.MeanSquaredLogarithmicError
    DEFAULT_NAME = "mean_squared_logarithmic_error"
    DESCRIPTION = "Mean squared logarithmic error."


FROM_LOGITS = Param("from_logits", BOOL, False, help="True if the model outputs logits.")
LABEL_SMOOTHING = Param("label_smoothing", FLOAT, 0.0, minimum=0.0, maximum=1.0,
                        help="Moves targets toward uniform before scoring.")


class _CrossentropyMetric(LossMetric):
    def __init__(self, name=None, **options):
        Metric.__init__(self, name=name)
        self._configure(**options)
        self._loss = self.LOSS_CLASS(**options)


@registry.register("metric", "binary_crossentropy", "bce", "BCE")
class BinaryCrossentropy(_CrossentropyMetric):
    """Running mean of the binary crossentropy (see `losses.BinaryCrossentropy`)."""

    PARAMS = (FROM_LOGITS, LABEL_SMOOTHING)
    LOSS_CLASS = losses.BinaryCrossentropy
    DEFAULT_NAME = "binary_crossentropy"
    DESCRIPTION = "Binary crossentropy."

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None):
        super().__init__(name=name, from_logits=from_logits, label_smoothing=label_smoothing)


@registry.register("metric", "categorical_crossentropy")
class CategoricalCrossentropy(_CrossentropyMetric):
    """Running mean of the categorical crossentropy (one-hot targets)."""

    PARAMS = (FROM_LOGITS, LABEL_SMOOTHING)
    LOSS_CLASS = losses.CategoricalCrossentropy
    DEFAULT_NAME = "categorical_crossentropy"
    DESCRIPTION = "Categorical crossentropy."

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None):
        super().__init__(name=name, from_logits=from_logits, label_smoothing=label_smoothing)


@registry.register("metric", "sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(_CrossentropyMetric):
    """Running mean of the sparse categorical crossentropy (integer labels)."""

    PARAMS = (FROM_LOGITS,)
    LOSS_CLASS = losses.SparseCategoricalCrossentropy
    DEFAULT_NAME = "sparse_categorical_crossentropy"
    DESCRIPTION = "Sparse categorical crossentropy."

    def __init__(self, from_logits=False, name=None):
        super().__init__(name=name, from_logits=from_logits)


def _regression_pair(metric, y_true, y_pred):
    y_pred = as_float_array(y_pred)
    y_true = as_array_like(y_true, y_pred, dtype=y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"Metric '{metric.name}' ({type(metric).__name__}) needs targets shaped like the "
            f"predictions. Received: y_true.shape={shape_text(y_true.shape)}, "
            f"y_pred.shape={shape_text(y_pred.shape)}."
        )
    return y_true, y_pred


@registry.register("metric", "root_mean_squared_error")
class RootMeanSquaredError(Mean):
    """`sqrt` of the running weighted mean of `(y_pred - y_true)**2`."""

    DEFAULT_NAME = "root_mean_squared_error"
    DESCRIPTION = "Root mean squared error."

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _regression_pair(self, y_true, y_pred)
        super().update_state((y_pred - y_true) ** 2, sample_weight=sample_weight)

    def result(self) -> float:
        return math.sqrt(super().result())


@registry.register("metric", "r2_score")
class R2Score(Metric):
    """Coefficient of determination, `1 - SS_res / SS_tot` per output column.

    Args:
        class_aggregation: `"uniform_average"` (mean over columns),
            `"variance_weighted_average"` or `None` (per-column NumPy array).
            Defaults to `"uniform_average"`.
        num_regressors: For the adjusted R2; `0` gives the plain R2. Defaults to `0`.
        name: Defaults to `"r2_score"`.

    A column whose targets are all equal scores 1.0 when predicted exactly and 0.0 otherwise
    (Keras gives NaN for the former).
    """

    PARAMS = (Param("class_aggregation", STR, "uniform_average", optional=True,
                    choices=("uniform_average", "variance_weighted_average"),
                    help="How per-output scores combine (None = one score per output)."),
              Param("num_regressors", INT, 0, minimum=0,
                    help="Number of independent variables, for the adjusted R2 (0 = plain)."))
    DEFAULT_NAME = "r2_score"
    DESCRIPTION = "Coefficient of determination (1 = perfect fit)."

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self._configure(class_aggregation=class_aggregation, num_regressors=num_regressors)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _regression_pair(self, y_true, y_pred)
        if y_true.ndim == 1:
            y_true, y_pred = y_true[:, None], y_pred[:, None]
        if y_true.ndim != 2:
            raise ShapeError(
                f"R2Score expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={shape_text(y_pred.shape)} and "
                f"y_true.shape={shape_text(y_true.shape)}.")
        ones = y_true * 0.0 + 1.0
        if sample_weight is None or isinstance(sample_weight, (int, float)):
            w = ones * (1.0 if sample_weight is None else float(sample_weight))
        else:
            w = as_array_like(sample_weight, y_true, dtype=y_true.dtype)
            w = (w[:, None] if w.ndim == 1 else w) * ones  # one weight per sample
        f64 = np.float64
        self._accumulate(sum=(y_true * w).sum(axis=0, dtype=f64),
                         squared_sum=(y_true * y_true * w).sum(axis=0, dtype=f64),
                         total_mse=((y_true - y_pred) ** 2 * w).sum(axis=0, dtype=f64),
                         count=w.sum(axis=0, dtype=f64), num_samples=int(y_true.size))

    def result(self):
        if "count" not in self._state:
            return 0.0
        total_sum, count = self._host("sum"), self._host("count")
        mean = total_sum / np.where(count == 0, 1.0, count)
        total = self._host("squared_sum") - total_sum * mean
        residual = self._host("total_mse")
        safe = np.where(total == 0, 1.0, total)
        raw = np.where(total == 0, np.where(residual == 0, 1.0, 0.0), 1.0 - residual / safe)
        if self.class_aggregation == "uniform_average":
            score = float(raw.mean())
        elif self.class_aggregation == "variance_weighted_average":
            weight = total.sum()
            score = float((total * raw).sum() / weight) if weight else float(raw.mean())
        else:
            return raw
        return self._adjusted(score)

    def _adjusted(self, score: float) -> float:
        """Keras's adjusted R2: `1 - (1 - r2)(n - 1) / (n - p - 1)`."""
        n, p = int(self._host("num_samples")), self.num_regressors
        if p == 0:
            return score
        if p > n - 1:
            warnings.warn("More independent predictors than datapoints in adjusted R2 score. "
                          "Falling back to standard R2 score.", stacklevel=3)
            return score
        if p == n - 1:
            warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 "
                          "score.", stacklevel=3)
            return score
        return 1.0 - (1.0 - score) * (n - 1) / (n - p - 1)
