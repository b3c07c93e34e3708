"""The README's autodiff example, as printed there, on the bundled digits."""

import numpy as np

import engine as keras
from engine import ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class MLP(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = Linear(64), keras.layers.Dense(10)

    def call(self, x, training=False):
        return self.out(keras.activations.relu(self.hidden(x)))


def test_the_readme_autodiff_example_trains_both_ways():
    (x_train, y_train), (x_test, y_test) = keras.datasets.load("digits")
    x_train = x_train.reshape(len(x_train), -1) / 16.0
    x_test = x_test.reshape(len(x_test), -1) / 16.0
    model = MLP()
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train, epochs=5, verbose=0)
    accuracy = np.mean(np.argmax(model.predict(x_test, verbose=0), axis=-1) == y_test)
    assert accuracy > 0.85

    x, y = x_train[:64].astype("float32"), y_train[:64]
    before = float(ops.mean(keras.losses.sparse_categorical_crossentropy(
        y, model(x), from_logits=True)))
    for _ in range(5):
        with keras.GradientTape() as tape:
            loss = ops.mean(keras.losses.sparse_categorical_crossentropy(
                y, model(x), from_logits=True))
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply(grads, model.trainable_variables)
    assert float(loss) < before
