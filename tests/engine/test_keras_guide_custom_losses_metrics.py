"""keras-io guides/training_with_built_in_methods.py, sections "Custom losses" and "Custom
metrics", run on the engine.

Changes from the guide: the imports (`import keras` -> `import engine as keras`, `from keras
import ops` -> `from engine import ops`); the data shrunk (MNIST -> 256 offline digits at
MNIST's shape, see guide_data.py; 1 epoch of batch 64). The code is the guide's Keras 3
version (ops.mean/ops.square, `add_variable`); the TensorFlow-era version of the metric
(`add_weight(name="ctp", initializer="zeros")`) is run too. Each test then checks what the
guide only prints.
"""

import numpy as np
from guide_data import mnist_load_data

import engine as keras
from engine import layers, ops


def _data(n=256):
    (x_train, y_train), _ = mnist_load_data(n_train=n, n_test=1)
    x_train = x_train.reshape(n, 784).astype("float32") / 255
    return x_train, y_train.astype("float32")


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


# ----- the guide's code ---------------------------------------------------------------------------
def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(
            shape=(), name="ctp", initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0.0)


class CategoricalTruePositivesTF(keras.metrics.Metric):
    """The guide's TensorFlow-era version: `add_weight`, and `tf.*` written as ops."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super(CategoricalTruePositivesTF, self).__init__(name=name, **kwargs)  # noqa: UP008
        self.true_positives = self.add_weight(name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


# ----- the guide's runs, and what they should show --------------------------------------------------
def test_a_loss_function_trains_the_model_as_mean_squared_error_would():
    x_train, y_train = _data()
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)

    # We need to one-hot encode the labels to use MSE
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    before = model.evaluate(x_train, y_train_one_hot, verbose=0)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)

    after = model.evaluate(x_train, y_train_one_hot, verbose=0)
    assert after < before
    # The loss is the function's value, averaged over the samples (sum_over_batch_size).
    y_pred = model.predict(x_train, verbose=0)
    np.testing.assert_allclose(after, np.mean((np.asarray(y_train_one_hot) - y_pred) ** 2),
                               rtol=1e-5)
    assert len(history.history["loss"]) == 1  # logged under "loss", as Keras logs it


def test_a_loss_subclass_with_only_call_trains_with_its_regularization_term():
    x_train, y_train = _data()
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())

    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    before = model.evaluate(x_train, y_train_one_hot, verbose=0)
    model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)

    assert model.evaluate(x_train, y_train_one_hot, verbose=0) < before
    y_pred = model.predict(x_train, verbose=0)
    y = np.asarray(y_train_one_hot)
    expected = np.mean(np.mean((y - y_pred) ** 2, -1) + 0.1 * np.mean((0.5 - y_pred) ** 2, -1))
    np.testing.assert_allclose(model.evaluate(x_train, y_train_one_hot, verbose=0), expected,
                               rtol=1e-5)


def test_a_metric_subclass_with_variables_is_logged_as_a_float_each_epoch():
    x_train, y_train = _data()
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)

    counts = history.history["categorical_true_positives"]
    assert len(counts) == 3 and all(type(c) is float for c in counts)
    # The guide compares (N,) labels with (N, 1) predictions: NumPy/Keras broadcasting makes
    # that an (N, N) table per batch, so each epoch counts within 0..sum of batch**2.
    assert all(0 <= c <= 4 * 64 * 64 for c in counts)
    # reset_state ran before each epoch: a count is one epoch's, not the running total.
    logs = model.evaluate(x_train, y_train, batch_size=64, verbose=0, return_dict=True)
    preds = np.argmax(model.predict(x_train, verbose=0), axis=1)
    expected = sum(float((y_train[i:i + 64][:, None] == preds[i:i + 64][None, :]).sum())
                   for i in range(0, 256, 64))
    assert logs["categorical_true_positives"] == expected


def test_the_tensorflow_era_metric_with_add_weight_works_the_same():
    x_train, y_train = _data(128)
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[CategoricalTruePositivesTF(), CategoricalTruePositives("keras3")])
    logs = model.evaluate(x_train, y_train, batch_size=64, verbose=0, return_dict=True)
    assert logs["categorical_true_positives"] == logs["keras3"] > 0
