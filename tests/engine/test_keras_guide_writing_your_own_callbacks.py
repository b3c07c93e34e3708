"""The Keras guide "Writing your own callbacks" (keras-io guides/writing_your_own_callbacks.py),
run on the engine.

Each test is one section with the guide's code as written, except the imports
(`import tensorflow as tf` / `from tensorflow import keras` become the lines below) and the
data: `keras.datasets.mnist.load_data()` downloads, so `mnist_load_data` gives arrays of the
same shapes and dtypes made from the bundled digits (1000 train / 360 test samples). Other
changes are marked `# changed: <why>`. The asserts check what the guide's text says: the
hooks Keras calls, in Keras's order, with Keras's log keys.

One difference from Keras stays, on purpose: the engine's epoch logs also hold
`learning_rate` (the rate the epoch used; LayerCraft's training charts plot it), so the
`on_epoch_end`/`on_train_end` keys are Keras's plus `learning_rate`.
"""

# The guide's str.format, % formats and super(Class, self) calls are kept as written.
# ruff: noqa: UP008, UP031, UP032

import numpy as np
import pytest
from guide_data import mnist_load_data

import engine as keras


# Define the Keras model to add callbacks to
def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1, input_dim=784))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


@pytest.fixture(scope="module")
def data():
    # Load example MNIST data and pre-process it
    (x_train, y_train), (x_test, y_test) = mnist_load_data()  # changed: offline, same shapes
    x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
    x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

    # Limit the data to 1000 samples
    x_train = x_train[:1000]
    y_train = y_train[:1000]
    x_test = x_test[:1000]
    y_test = y_test[:1000]
    return x_train, y_train, x_test, y_test


class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        keys = list(logs.keys())
        print("Starting training; got log keys: {}".format(keys))

    def on_train_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop training; got log keys: {}".format(keys))

    def on_epoch_begin(self, epoch, logs=None):
        keys = list(logs.keys())
        print("Start epoch {} of training; got log keys: {}".format(epoch, keys))

    def on_epoch_end(self, epoch, logs=None):
        keys = list(logs.keys())
        print("End epoch {} of training; got log keys: {}".format(epoch, keys))

    def on_test_begin(self, logs=None):
        keys = list(logs.keys())
        print("Start testing; got log keys: {}".format(keys))

    def on_test_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop testing; got log keys: {}".format(keys))

    def on_predict_begin(self, logs=None):
        keys = list(logs.keys())
        print("Start predicting; got log keys: {}".format(keys))

    def on_predict_end(self, logs=None):
        keys = list(logs.keys())
        print("Stop predicting; got log keys: {}".format(keys))

    def on_train_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Training: start of batch {}; got log keys: {}".format(batch, keys))

    def on_train_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Training: end of batch {}; got log keys: {}".format(batch, keys))

    def on_test_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Evaluating: start of batch {}; got log keys: {}".format(batch, keys))

    def on_test_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Evaluating: end of batch {}; got log keys: {}".format(batch, keys))

    def on_predict_batch_begin(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Predicting: start of batch {}; got log keys: {}".format(batch, keys))

    def on_predict_batch_end(self, batch, logs=None):
        keys = list(logs.keys())
        print("...Predicting: end of batch {}; got log keys: {}".format(batch, keys))


METRIC_KEYS = ["loss", "mean_absolute_error"]
EPOCH_KEYS = METRIC_KEYS + ["val_loss", "val_mean_absolute_error", "learning_rate"]


def batch_lines(mode, count, end_keys):
    lines = []
    for batch in range(count):
        lines.append(f"...{mode}: start of batch {batch}; got log keys: []")
        lines.append(f"...{mode}: end of batch {batch}; got log keys: {end_keys}")
    return lines


def test_a_basic_example_calls_every_hook_in_keras_order(data, capsys):
    x_train, y_train, x_test, y_test = data
    model = get_model()
    model.fit(
        x_train,
        y_train,
        batch_size=128,
        epochs=1,
        verbose=0,
        validation_split=0.5,
        callbacks=[CustomCallback()],
    )
    # 500 training and 500 validation samples: 4 batches of 128 each.
    assert capsys.readouterr().out.splitlines() == [
        "Starting training; got log keys: []",
        "Start epoch 0 of training; got log keys: []",
        *batch_lines("Training", 4, METRIC_KEYS),
        "Start testing; got log keys: []",
        *batch_lines("Evaluating", 4, METRIC_KEYS),
        f"Stop testing; got log keys: {METRIC_KEYS}",
        f"End epoch 0 of training; got log keys: {EPOCH_KEYS}",
        f"Stop training; got log keys: {EPOCH_KEYS}",
    ]

    res = model.evaluate(
        x_test, y_test, batch_size=128, verbose=0, callbacks=[CustomCallback()]
    )
    assert capsys.readouterr().out.splitlines() == [
        "Start testing; got log keys: []",
        *batch_lines("Evaluating", 3, METRIC_KEYS),  # 360 test samples
        f"Stop testing; got log keys: {METRIC_KEYS}",
    ]
    assert len(res) == 2

    res = model.predict(x_test, batch_size=128, callbacks=[CustomCallback()])
    assert capsys.readouterr().out.splitlines() == [
        "Start predicting; got log keys: []",
        *batch_lines("Predicting", 3, ["outputs"]),
        "Stop predicting; got log keys: []",
    ]
    assert res.shape == (360, 1)


class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print(
            "Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"])
        )

    def on_test_batch_end(self, batch, logs=None):
        print(
            "Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"])
        )

    def on_epoch_end(self, epoch, logs=None):
        print(
            "The average loss for epoch {} is {:7.2f} "
            "and mean absolute error is {:7.2f}.".format(
                epoch, logs["loss"], logs["mean_absolute_error"]
            )
        )


def test_usage_of_the_logs_dict(data, capsys):
    x_train, y_train, x_test, y_test = data
    model = get_model()
    history = model.fit(
        x_train,
        y_train,
        batch_size=128,
        epochs=2,
        verbose=0,
        callbacks=[LossAndErrorPrintingCallback()],
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 * (8 + 1)  # 1000 samples: 8 batches of 128, then the epoch line
    assert lines[7].startswith("Up to batch 7, the average loss is")
    # The last batch's running average is the epoch's loss.
    assert lines[8] == ("The average loss for epoch 0 is {:7.2f} and mean absolute error is "
                        "{:7.2f}.".format(history.history["loss"][0],
                                          history.history["mean_absolute_error"][0]))

    res = model.evaluate(
        x_test,
        y_test,
        batch_size=128,
        verbose=0,
        callbacks=[LossAndErrorPrintingCallback()],
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "Up to batch 2, the average loss is {:7.2f}.".format(res[0])


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    """Stop training when the loss is at its min, i.e. the loss stops decreasing.

    Arguments:
        patience: Number of epochs to wait after min has been hit. After this
        number of no improvement, training stops.
    """

    def __init__(self, patience=0):
        super(EarlyStoppingAtMinLoss, self).__init__()
        self.patience = patience
        # best_weights to store the weights at which the minimum loss occurs.
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # The number of epoch it has waited when loss is no longer minimum.
        self.wait = 0
        # The epoch the training stops at.
        self.stopped_epoch = 0
        # Initialize the best as infinity.
        self.best = np.inf  # changed: NumPy 2 removed the `np.Inf` alias

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            # Record the best weights if current results is better (less).
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                print("Restoring model weights from the end of the best epoch.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            print("Epoch %05d: early stopping" % (self.stopped_epoch + 1))


def test_early_stopping_at_minimum_loss(data, capsys):
    x_train, y_train, _, _ = data
    early_stopping = EarlyStoppingAtMinLoss()  # changed: named, to check its state below
    model = get_model()
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        steps_per_epoch=5,
        epochs=30,
        verbose=0,
        callbacks=[LossAndErrorPrintingCallback(), early_stopping],
    )
    out = capsys.readouterr().out
    losses = history.history["loss"]
    # RMSprop at 0.1 overshoots: the loss stops decreasing well before epoch 30, and training
    # ends at the end of that epoch, with the best epoch's weights back in the model.
    assert 0 < early_stopping.stopped_epoch < 29
    assert len(losses) == early_stopping.stopped_epoch + 1
    assert losses[-1] >= min(losses[:-1])
    assert "Epoch %05d: early stopping" % (early_stopping.stopped_epoch + 1) in out
    for restored, best in zip(model.get_weights(), early_stopping.best_weights):
        np.testing.assert_array_equal(restored, best)


class CustomLearningRateScheduler(keras.callbacks.Callback):
    """Learning rate scheduler which sets the learning rate according to schedule.

    Arguments:
        schedule: a function that takes an epoch index
            (integer, indexed from 0) and current learning rate
            as inputs and returns a new learning rate as output (float).
    """

    def __init__(self, schedule):
        super(CustomLearningRateScheduler, self).__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        # changed: Keras 3 optimizers have no `lr` alias; its edition of the guide asks for
        # `learning_rate`
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        # Get the current learning rate from model's optimizer.
        # changed: `tf.keras.backend.get_value`/`set_value` are TensorFlow-only; Keras 3 (and
        # its edition of the guide) reads and assigns `optimizer.learning_rate`
        lr = float(self.model.optimizer.learning_rate)
        # Call schedule function to get the scheduled learning rate.
        scheduled_lr = self.schedule(epoch, lr)
        # Set the value back to the optimizer before this epoch starts
        self.model.optimizer.learning_rate = scheduled_lr
        print("\nEpoch %05d: Learning rate is %6.4f." % (epoch, scheduled_lr))


LR_SCHEDULE = [
    # (epoch to start, learning rate) tuples
    (3, 0.05),
    (6, 0.01),
    (9, 0.005),
    (12, 0.001),
]


def lr_schedule(epoch, lr):
    """Helper function to retrieve the scheduled learning rate based on epoch."""
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


def test_learning_rate_scheduling(data, capsys):
    x_train, y_train, _, _ = data
    model = get_model()
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        steps_per_epoch=5,
        epochs=15,
        verbose=0,
        callbacks=[
            LossAndErrorPrintingCallback(),
            CustomLearningRateScheduler(lr_schedule),
        ],
    )
    out = capsys.readouterr().out
    expected = [0.1] * 3 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3 + [0.001] * 3
    for epoch, rate in enumerate(expected):
        assert "Epoch %05d: Learning rate is %6.4f." % (epoch, rate) in out
    assert history.history["learning_rate"] == pytest.approx(expected)
    assert model.optimizer.learning_rate == pytest.approx(0.001)
