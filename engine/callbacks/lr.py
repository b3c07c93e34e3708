"""Callbacks that change the optimizer's learning rate between epochs."""

import inspect
import math

import numpy as np

from .. import registry
from ..errors import SpecError, TrainingError
from ..params import FLOAT, INT, Param
from .base import MODE_PARAM, VERBOSE_PARAM, Callback, monitor_param, warn


def current_learning_rate(model) -> float:
    """The learning rate the optimizer of `model` uses for its next step."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise TrainingError("This callback changes the learning rate, but the model has no "
                            "optimizer. Compile the model before calling fit().")
    if hasattr(optimizer, "current_learning_rate"):
        return float(optimizer.current_learning_rate)
    return float(optimizer.learning_rate)


def set_learning_rate(model, value: float, owner: str) -> None:
    try:
        model.optimizer.learning_rate = float(value)
    except TypeError as exc:
        raise TrainingError(
            f"{owner} cannot change the learning rate of this optimizer: it follows a "
            f"learning-rate schedule ({exc}). Use a float learning_rate, or remove {owner}."
        ) from None


@registry.register("callback")
class ReduceLROnPlateau(Callback):
    """Reduces the learning rate when a monitored quantity has stopped improving.

    After `patience` epochs without improvement, `lr = max(lr * factor, min_lr)` (only while
    `lr > min_lr`), then `cooldown` epochs pass before the wait counts again. Writes the
    epoch's `learning_rate` into the logs.

    Args:
        monitor: Quantity to watch. Defaults to `"val_loss"`.
        factor: Multiplier of the learning rate, in [0, 1). Defaults to `0.1`.
        patience: Epochs without improvement before reducing. Defaults to `10`.
        verbose: 1 prints each reduction. Defaults to `0`.
        mode: `"auto"` (max if "acc" is in the name, else min), `"min"` or `"max"`.
        min_delta: Threshold for a significant change. Defaults to `1e-4`.
        cooldown: Epochs to wait after a reduction. Defaults to `0`.
        min_lr: Lower bound of the learning rate. Defaults to `0.0`.
    """

    DESCRIPTION = "Reduce the learning rate when a monitored quantity stops improving."
    PARAMS = (
        monitor_param(),
        Param("factor", FLOAT, 0.1, minimum=0.0, maximum=1.0, exclusive_maximum=True,
              help="new_lr = lr * factor."),
        Param("patience", INT, 10, minimum=0,
              help="Epochs without improvement after which the rate is reduced."),
        VERBOSE_PARAM,
        MODE_PARAM,
        Param("min_delta", FLOAT, 1e-4, help="Threshold for a significant change."),
        Param("cooldown", INT, 0, minimum=0, help="Epochs to wait after a reduction."),
        Param("min_lr", FLOAT, 0.0, minimum=0.0, help="Lower bound on the learning rate."),
    )

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        self._configure(monitor=monitor, factor=factor, patience=patience, verbose=verbose,
                        mode=mode, min_delta=min_delta, cooldown=cooldown, min_lr=min_lr)
        self._reset()

    def _reset(self) -> None:
        # Keras's own "auto" rule here: maximise when "acc" is in the name.
        self._maximize = self.mode == "max" or (self.mode == "auto" and "acc" in self.monitor)
        self.best = -math.inf if self._maximize else math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def _improves(self, current) -> bool:
        if self._maximize:
            return current > self.best + self.min_delta
        return current < self.best - self.min_delta

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = current_learning_rate(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                 f"not available. Available metrics are: {','.join(logs)}.")
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch, logs["learning_rate"])

    def _reduce(self, epoch: int, old_lr: float) -> None:
        if old_lr <= np.float32(self.min_lr):
            return
        new_lr = max(old_lr * self.factor, self.min_lr)
        set_learning_rate(self.model, new_lr, "ReduceLROnPlateau")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        self.cooldown_counter = self.cooldown
        self.wait = 0


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch from `schedule`.

    Args:
        schedule: `schedule(epoch, lr) -> float` (0-based epoch, current rate), or
            `schedule(epoch) -> float`.
        verbose: 1 prints each change. Defaults to `0`.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise SpecError(f"LearningRateScheduler: `schedule` must be a function of (epoch, "
                            f"lr) or (epoch). Received: {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        lr = current_learning_rate(self.model)
        value = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (float, np.floating)):
            raise SpecError(f"The output of the `schedule` function should be a float. Got: "
                            f"{value!r}")
        set_learning_rate(self.model, value, "LearningRateScheduler")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(value)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self.model)


def _accepts_two_arguments(function) -> bool:
    """Whether `function(epoch, lr)` is a valid call (else the old `function(epoch)`)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: try the new API
        return True
    try:
        signature.bind(0, 0.0)
        return True
    except TypeError:
        return False
