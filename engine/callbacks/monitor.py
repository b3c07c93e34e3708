"""Callbacks that watch a logged quantity: the shared `MonitorCallback`, and EarlyStopping."""

import re

from .. import registry
from ..errors import LayerCraftError, SpecError
from ..params import BOOL, FLOAT, INT, Param
from .base import MODE_PARAM, VERBOSE_PARAM, Callback, monitor_param, warn

# Metric names (without "val_", an output prefix or a "_1" counter) and their direction.
_DOWN = {"loss", "crossentropy", "binary_crossentropy", "categorical_crossentropy",
         "sparse_categorical_crossentropy", "mean_squared_error", "mse", "mean_absolute_error",
         "mae", "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error",
         "msle", "root_mean_squared_error", "rmse", "kl_divergence", "kld", "poisson", "hinge",
         "squared_hinge", "categorical_hinge", "log_cosh", "logcosh", "huber",
         "false_positives", "false_negatives"}
_UP = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy",
       "sparse_categorical_accuracy", "top_k_categorical_accuracy",
       "sparse_top_k_categorical_accuracy", "auc", "precision", "recall", "f1_score",
       "fbeta_score", "r2_score", "cosine_similarity", "iou", "mean_iou", "true_positives",
       "true_negatives", "specificity", "sensitivity"}


def metric_direction(monitor: str, model=None) -> str | None:
    """`"min"`, `"max"`, or None when the direction of `monitor` cannot be told.

    A metric object on `model.metrics` with the same name and a `_direction` ("up"/"down")
    decides first, as in Keras; otherwise the name does (`val_` prefix, an output-name prefix
    and a `_1` counter are ignored: `val_probs_accuracy_1` is an accuracy).
    """
    name = monitor[4:] if monitor.startswith("val_") else monitor
    for metric in _metrics_of(model):
        direction = getattr(metric, "_direction", None) or getattr(metric, "direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    base = re.sub(r"_\d+$", "", name)
    if base in _DOWN or base in _UP:
        return "min" if base in _DOWN else "max"
    matches = [(len(n), mode) for names, mode in ((_DOWN, "min"), (_UP, "max"))
               for n in names if base.endswith("_" + n)]
    return max(matches)[1] if matches else None


def _metrics_of(model) -> list:
    """The model's metric objects, if it exposes them (an uncompiled model may refuse)."""
    try:
        return list(getattr(model, "metrics", None) or ())
    except (LayerCraftError, AttributeError, TypeError):
        return []


class MonitorCallback(Callback):
    """Base of callbacks that compare a monitored value with the best so far.

    Args:
        monitor: Key of the epoch logs to watch.
        mode: `"min"`, `"max"` or `"auto"` (from the metric's direction).
        baseline: Initial best value (None: the first value becomes the best).
        min_delta: Smallest change that counts as an improvement (its sign is ignored).
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in MODE_PARAM.choices:
            raise SpecError(f"{type(self).__name__}: `mode` must be 'auto', 'min' or 'max'. "
                            f"Received: mode={mode!r}")
        self.monitor, self.mode, self.min_delta = monitor, mode, min_delta
        self.best = baseline
        self.monitor_op = None  # "min" or "max" once resolved

    def _set_monitor_op(self) -> None:
        mode = self.mode if self.mode != "auto" else metric_direction(self.monitor, self.model)
        if mode is None:
            raise SpecError(
                f"{type(self).__name__} callback received monitor={self.monitor!r}, but "
                "LayerCraft isn't able to automatically determine whether that metric should "
                "be maximized or minimized. Pass `mode='max'` in order to monitor based on the "
                "highest metric value, or pass `mode='min'` in order to use the lowest value.")
        self.monitor_op = mode

    def _is_improvement(self, value, reference) -> bool:
        """Improvement = `value − min_delta` beats `reference` (sign flipped for min)."""
        if reference is None:
            return True
        delta = abs(self.min_delta)
        if self.monitor_op == "min":
            return value + delta < reference
        return value - delta > reference

    def _note_best(self, value) -> None:
        """Records the best value in `model.training_state["best"]` (saved in checkpoints)."""
        state = getattr(self.model, "training_state", None)
        if isinstance(state, dict):
            state.setdefault("best", {})[self.monitor] = float(value)


@registry.register("callback")
class EarlyStopping(MonitorCallback):
    """Stops training when a monitored quantity has stopped improving.

    Args:
        monitor: Quantity to watch. Defaults to `"val_loss"`.
        min_delta: Smallest change that counts as an improvement. Defaults to `0`.
        patience: Epochs without improvement before stopping. Defaults to `0`.
        verbose: 1 prints when it stops or restores. Defaults to `0`.
        mode: `"auto"`, `"min"` or `"max"`. Defaults to `"auto"`.
        baseline: Value the monitored quantity must beat; until it does, the patience
            counter keeps running even when the value improves. Defaults to None.
        restore_best_weights: Whether to restore the weights of the best epoch at the end
            of training (after an early stop or a normal finish). Defaults to `False`.
        start_from_epoch: Epochs to wait before watching (a warm-up). Defaults to `0`.

    Attributes:
        stopped_epoch: The 0-based epoch at which it stopped training (0 if it did not).
        best_epoch: The 0-based epoch with the best monitored value.
    """

    DESCRIPTION = "Stop training when a monitored quantity stops improving."
    PARAMS = (
        monitor_param(),
        Param("min_delta", FLOAT, 0.0, help="Smallest change that counts as an improvement."),
        Param("patience", INT, 0, minimum=0,
              help="Epochs without improvement after which training stops."),
        VERBOSE_PARAM,
        MODE_PARAM,
        Param("baseline", FLOAT, None, optional=True,
              help="A value the quantity must beat before patience resets."),
        Param("restore_best_weights", BOOL, False,
              help="Restore the weights of the best epoch when training ends."),
        Param("start_from_epoch", INT, 0, minimum=0,
              help="Epochs to wait before watching for improvement."),
    )

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self._configure(monitor=monitor, min_delta=min_delta, patience=patience,
                        verbose=verbose, mode=mode, baseline=baseline,
                        restore_best_weights=restore_best_weights,
                        start_from_epoch=start_from_epoch)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self._reset()  # instances may be reused across fits
        if self.monitor_op is None:
            self._set_monitor_op()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self._monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # never set: current are the best
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            self._note_best(current)
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # Only restart the wait when beating both the baseline and the previous best.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def _monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                 f"available. Available metrics are: {','.join(logs)}")
        return value
