"""Callback hooks and the optimizer's learning rate as Keras 3 has them.

Keras passes `{}` (never `None`) to a hook without logs, gives evaluation batches the loss
and the metrics, calls the `on_predict_*` hooks from `predict` with each batch's
`{"outputs": ...}`, and `optimizer.learning_rate` reads the current rate and takes a float.
"""

import numpy as np
import pytest

import engine as keras
from engine import optimizers, schedules
from engine.callbacks.base import HOOKS
from engine.errors import SpecError


class Recorder(keras.callbacks.Callback):
    """Records `(hook, index, logs)` for every Keras hook."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _recording(hook):
    return lambda self, *args: self.calls.append((hook, *args))


for _hook in HOOKS:
    if _hook not in ("on_batch_begin", "on_batch_end"):  # legacy aliases of the train hooks
        setattr(Recorder, _hook, _recording(_hook))


def small_model():
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def data(count=10):
    rng = np.random.default_rng(0)
    return rng.normal(size=(count, 3)).astype("float32"), rng.normal(size=(count, 2))


def test_that_hooks_called_without_logs_get_an_empty_dict():
    recorder = Recorder()
    callbacks = keras.callbacks.CallbackList([recorder])
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_predict_end()
    assert recorder.calls == [("on_train_begin", {}), ("on_epoch_begin", 0, {}),
                              ("on_predict_end", {})]


def test_that_fit_calls_the_hooks_in_keras_order():
    recorder = Recorder()
    x, y = data()
    small_model().fit(x, y, batch_size=5, epochs=1, validation_data=(x, y), verbose=0,
                      callbacks=[recorder])
    assert [call[0] for call in recorder.calls] == [
        "on_train_begin", "on_epoch_begin",
        "on_train_batch_begin", "on_train_batch_end",
        "on_train_batch_begin", "on_train_batch_end",
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end",
        "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_epoch_end", "on_train_end"]


def test_that_evaluation_batch_logs_hold_the_loss_and_the_metrics():
    recorder = Recorder()
    x, y = data()
    results = small_model().evaluate(x, y, batch_size=10, verbose=0, callbacks=[recorder],
                                     return_dict=True)
    name, batch, logs = recorder.calls[2]
    assert (name, batch, set(logs)) == ("on_test_batch_end", 0, {"loss", "mae"})
    assert logs == pytest.approx(results)  # one batch: its running means are the results


def test_that_predict_calls_the_predict_hooks_with_each_batchs_outputs():
    recorder = Recorder()
    x, _ = data(7)
    predictions = small_model().predict(x, batch_size=4, callbacks=[recorder])
    names = [call[0] for call in recorder.calls]
    assert names == ["on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
                     "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end"]
    first, second = recorder.calls[2], recorder.calls[4]
    assert (first[1], second[1]) == (0, 1)
    np.testing.assert_array_equal(first[2]["outputs"], predictions[:4])
    np.testing.assert_array_equal(second[2]["outputs"], predictions[4:])


def test_that_learning_rate_reads_the_current_rate_as_a_float():
    optimizer = optimizers.RMSprop(learning_rate=0.1)
    assert type(optimizer.learning_rate) is float and optimizer.learning_rate == 0.1
    scheduled = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5))
    scheduled.iterations = 2
    assert scheduled.learning_rate == pytest.approx(0.025)  # Keras: schedule(iterations)


@pytest.mark.parametrize("value", [0.05, np.float32(0.05), np.float64(0.05), np.array(0.05)])
def test_that_assigning_learning_rate_sets_the_rate(value):
    optimizer = optimizers.RMSprop(learning_rate=0.1)
    optimizer.learning_rate = value
    assert optimizer.learning_rate == pytest.approx(0.05)
    assert optimizer.get_config()["learning_rate"] == pytest.approx(0.05)


def test_that_an_invalid_learning_rate_says_what_was_received():
    optimizer = optimizers.SGD()
    with pytest.raises(SpecError, match=r"`learning_rate` must be .*Received: learning_rate"):
        optimizer.learning_rate = -1.0
    with pytest.raises(SpecError, match="learning_rate"):
        optimizer.learning_rate = np.array([0.1, 0.2])


def test_that_a_scheduled_rate_is_not_settable_but_a_schedule_may_replace_it():
    optimizer = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.01
    optimizer.learning_rate = schedules.ExponentialDecay(0.2, 1, 0.5)
    assert optimizer.learning_rate == pytest.approx(0.2)


def test_that_a_callback_assigning_learning_rate_changes_training_steps():
    class Halve(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.model.optimizer.learning_rate = self.model.optimizer.learning_rate / 2

    x, y = data()
    model = small_model()
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[Halve()])
    assert history.history["learning_rate"] == pytest.approx([0.005, 0.0025, 0.00125])
