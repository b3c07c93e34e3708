"""The Metric base class and the running weighted `Mean` that most metrics build on.

Metrics keep their running totals as arrays on the data's device (NumPy or CuPy), created
at the first `update_state`, so updating after each batch never waits for the GPU;
`result()` is where a number comes back to the host (as a Python float, or a NumPy array).
Totals are float64 so long runs do not lose counts.
"""

import numpy as np

from . import backend, registry
from .backend import get_array_module
from .loss_base import Configurable, as_float_array, squeeze_or_expand_to_same_rank


class Metric(Configurable):
    """Base class of stateful metrics: `update_state`, `result`, `reset_state`.

    Args:
        name: Shown in logs (`val_<name>` for validation). Defaults to the Keras name.
    """

    PARAMS: tuple = ()
    #: "up" if larger is better, "down" if smaller is better (EarlyStopping mode="auto").
    DIRECTION = "up"
    DEFAULT_NAME = "metric"
    DESCRIPTION = ""

    def __init__(self, name=None, **kwargs):
        self._check_init(name, kwargs)
        self.name = name or self.DEFAULT_NAME
        self._state: dict = {}

    @property
    def direction(self):
        """`DIRECTION`, under the name the EarlyStopping/monitor callbacks look up."""
        return self.DIRECTION

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Adds one batch to the running state."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        """The metric over everything seen since the last reset (a Python float)."""
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def reset_state(self) -> None:
        """Forgets everything seen (called at the start of each epoch)."""
        self._state = {}

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Updates with one batch and returns the running result, as Keras does."""
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    # ----- state helpers ---------------------------------------------------------------
    def _accumulate(self, **totals) -> None:
        """Adds each array to the running total of that name (on the arrays' device)."""
        for key, value in totals.items():
            self._state[key] = value if key not in self._state else self._state[key] + value

    def _host(self, key, default=0.0):
        """A state total as a NumPy float64 array (or `default` before any update)."""
        if key not in self._state:
            return np.asarray(default, dtype=np.float64)
        return np.asarray(backend.to_numpy(self._state[key]), dtype=np.float64)


def samplewise_values(values, sample_weight):
    """Keras `reduce_to_samplewise_values`: one value (and weight) per sample.

    Values with more axes than the weights are averaged down to the weights' rank; both are
    then averaged over every axis but the first.
    """
    xp = get_array_module(values)
    weights = None
    if sample_weight is not None:
        weights = xp.asarray(backend.to_numpy(sample_weight) if xp is np else sample_weight,
                             dtype=values.dtype)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        if values.ndim > weights.ndim:
            values = values.mean(axis=tuple(range(weights.ndim, values.ndim)))
        weights = xp.broadcast_to(weights, values.shape)
        values = values * weights
        if weights.ndim > 1:
            weights = weights.mean(axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return values, weights


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


@registry.register("metric", "mean")
class Mean(Metric):
    """Running weighted mean: `sum(values * w) / sum(w)` (the trainer's loss average).

    `update_state(values, sample_weight=None)`: e.g. `update_state(batch_loss,
    sample_weight=batch_size)` for a per-sample average of batch losses.
    """

    DIRECTION = "down"
    DEFAULT_NAME = "mean"
    DESCRIPTION = "Running weighted mean of values."

    def update_state(self, values, sample_weight=None) -> None:
        values = as_float_array(values)
        xp = get_array_module(values)
        if _is_number(sample_weight):
            # One weight for the whole batch (e.g. the batch size): Keras averages the values
            # first. Kept a Python float so no host-to-device copy happens per batch.
            weight = float(sample_weight)
            self._accumulate(total=values.mean(dtype=xp.float64) * weight, count=weight)
            return
        values, weights = samplewise_values(values, sample_weight)
        if weights is not None:
            count = weights.sum(dtype=xp.float64)
        else:
            count = float(values.shape[0] if values.ndim else 1)
        self._accumulate(total=values.sum(dtype=xp.float64), count=count)

    def result(self) -> float:
        count = float(self._host("count"))
        return float(self._host("total")) / count if count else 0.0


class MeanMetricWrapper(Mean):
    """A Mean of per-sample values `self._values(y_true, y_pred)` (accuracy, MAE...)."""

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        super().update_state(self._values(y_true, y_pred), sample_weight=sample_weight)

    def _values(self, y_true, y_pred):
        """Per-sample (or per-element) values to average."""
        raise NotImplementedError(f"{type(self).__name__} must implement _values()")
