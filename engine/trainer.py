"""The training loop: epochs of batches, callbacks, validation, cooperative stop and pause.

Keras semantics (see the engine reference, section 1.8): `epochs` is the final epoch index,
`loss` in the logs is a running mean weighted by batch size, metrics run over the epoch,
validation results get a `val_` prefix, and a stop flag ends training after the current batch.
"""

import threading
import time

import numpy as np

from . import backend, custom_steps
from .data_adapter import ArrayData


class RunControl:
    """Thread-safe stop and pause flags, shared by the loop and the GUI thread."""

    def __init__(self):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def request_stop(self):
        self._stop.set()
        self._running.set()  # a paused loop wakes up to stop

    def pause(self):
        self._running.clear()

    def resume(self):
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def reset(self):
        self._stop.clear()
        self._running.set()

    def wait_while_paused(self):
        """Blocks between batches while paused, without burning CPU."""
        while not self._running.wait(0.1):
            pass


class RunningMean:
    """Mean weighted by batch size, accumulated on the device (no sync until read)."""

    def __init__(self):
        self.total, self.count = 0.0, 0

    def add(self, value, count: int):
        self.total = self.total + value * count
        self.count += count

    def result(self) -> float:
        return float(self.total) / self.count if self.count else 0.0


class LossMeans:
    """The running total loss and, for several outputs, each output's loss (`a_loss`...)."""

    def __init__(self, output_names):
        self.total = RunningMean()
        self.names = list(output_names) if len(output_names) > 1 else []
        self.parts = [RunningMean() for _ in self.names]

    def add(self, total, parts, count: int):
        self.total.add(total, count)
        for mean, value in zip(self.parts, parts):
            mean.add(value, count)

    def results(self) -> dict:
        logs = {"loss": self.total.result()}
        logs.update({f"{name}_loss": mean.result() for name, mean in zip(self.names,
                                                                          self.parts)})
        return logs


def train_epoch(model, data, batch_size, shuffle, rng, callbacks, steps=None):
    """One epoch of training batches; returns the epoch's training logs."""
    if custom_steps.overrides(model, "train_step"):
        return custom_steps.train_epoch(model, data, batch_size, shuffle, rng, callbacks, steps)
    losses = LossMeans(model.output_names)
    model._metrics.reset()
    iterator = data.batches(batch_size, shuffle=shuffle, rng=rng)
    for step, (xs, ys, weights) in enumerate(_limited(iterator, steps)):
        callbacks.on_train_batch_begin(step)
        total, parts = model._train_step(xs, ys, weights)
        losses.add(total, parts, int(xs[0].shape[0]))
        # Reading the running means waits for the device: only when a callback wants them.
        logs = ({**losses.results(), **model._metrics.results()}
                if callbacks.wants_batch_logs(step) else {})
        callbacks.on_train_batch_end(step, logs)
        if model.stop_training or model._control.stop_requested:
            break
        model._control.wait_while_paused()
        if model._control.stop_requested:
            break
    return {**losses.results(), **model._metrics.results()}


def _limited(iterator, steps):
    for step, item in enumerate(iterator):
        if steps is not None and step >= steps:
            return
        yield item


def evaluate_data(model, data, batch_size, callbacks=None, sample_weight_data=None):
    """Loss and metrics over `data` in inference mode; fires the on_test_* hooks."""
    if custom_steps.overrides(model, "test_step") or model._graph is None:
        return custom_steps.evaluate(model, data, batch_size, callbacks)
    losses = LossMeans(model.output_names)
    model._metrics.reset()
    if callbacks is not None:
        callbacks.on_test_begin()
    for step, (xs, ys, weights) in enumerate(data.batches(batch_size)):
        if callbacks is not None:
            callbacks.on_test_batch_begin(step)
        outputs = model.forward(xs, training=False, inference_only=True)
        total, parts = model._compiled_loss.values(ys, outputs, weights)
        total = total + model.regularization_loss()
        losses.add(total, parts, int(xs[0].shape[0]))
        model._metrics.update(ys, outputs, model._compiled_loss.losses)
        if callbacks is not None:
            wanted = callbacks.wants_batch_logs(step, "test")
            callbacks.on_test_batch_end(
                step, {**losses.results(), **model._metrics.results()} if wanted else {})
    logs = {**losses.results(), **model._metrics.results()}
    if callbacks is not None:
        callbacks.on_test_end(logs)
    return logs


def should_validate(epoch: int, validation_freq) -> bool:
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def run_fit(model, data: ArrayData, val_data, *, batch_size, epochs, initial_epoch, shuffle,
            callbacks, steps_per_epoch, validation_freq, seed=None):
    """The epoch loop. Returns the last epoch's logs."""
    rng = np.random.default_rng(seed) if seed is not None else backend.rng()
    logs = {}
    callbacks.on_train_begin()
    override = getattr(model, "_initial_epoch_override", None)
    start = initial_epoch if override is None else int(override)
    model._initial_epoch_override = None
    try:
        for epoch in range(start, epochs):
            if model.stop_training or model._control.stop_requested:
                break
            callbacks.on_epoch_begin(epoch)
            started = time.perf_counter()
            logs = train_epoch(model, data, batch_size, shuffle, rng, callbacks, steps_per_epoch)
            if val_data is not None and should_validate(epoch, validation_freq):
                val_logs = evaluate_data(model, val_data, batch_size, callbacks)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            logs["learning_rate"] = float(model.optimizer.current_learning_rate)
            model._last_epoch_seconds = time.perf_counter() - started
            model.training_state["epoch"] = epoch + 1
            callbacks.on_epoch_end(epoch, logs)
    finally:
        callbacks.on_train_end(logs)
    return logs
