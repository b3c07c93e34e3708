"""Data that would train into nonsense is refused before training, saying why and what to do:
negative or unknown class weights, complex numbers, values that overflow float32."""

import numpy as np
import pytest

from engine import Input, Sequential, layers
from engine.errors import DataError


@pytest.fixture
def classifier():
    model = Sequential([Input((3,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((12, 3)).astype(np.float32), np.arange(12) % 3


@pytest.mark.parametrize("class_weight, message", [
    ({0: -1}, "must be a finite number >= 0. Received: -1. A negative weight"),
    ({0: float("nan")}, "must be a finite number >= 0"),
    ({0: "heavy"}, "Received: 'heavy'"),
    ({7: 2.0}, r"the key 7, which is not a class in the labels.*\[0, 1, 2\]"),
    ({"0": 2.0}, "the key '0'"),
])
def test_that_bad_class_weights_are_refused(classifier, data, class_weight, message):
    with pytest.raises(DataError, match=message):
        classifier.fit(*data, class_weight=class_weight, epochs=1, verbose=0)


def test_that_valid_class_weights_train_like_the_same_sample_weights(classifier, data):
    x, y = data
    twin = Sequential([Input((3,)), layers.Dense(3, activation="softmax")])
    twin.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    twin.set_weights(classifier.get_weights())
    weights = {0: 1.0, 1: 3, 2: 0.0}
    classifier.fit(x, y, class_weight=weights, epochs=2, shuffle=False, verbose=0)
    twin.fit(x, y, sample_weight=np.array([weights[c] for c in y], np.float32), epochs=2,
             shuffle=False, verbose=0)
    for a, b in zip(classifier.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_that_one_hot_labels_accept_every_column_as_a_class(data):
    x, y = data
    model = Sequential([Input((3,)), layers.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    one_hot = np.eye(4, dtype=np.float32)[y]  # class 3 has no sample, yet is a column
    model.fit(x, one_hot, class_weight={3: 2.0}, epochs=1, verbose=0)


def test_that_complex_inputs_are_refused_instead_of_cast(classifier, data):
    x, y = data
    with pytest.raises(DataError, match=r"complex numbers .*np\.abs"):
        classifier.fit(x.astype(np.complex64), y, epochs=1, verbose=0)


@pytest.mark.parametrize("scale", [1e30, 1e20])
def test_that_values_that_overflow_float32_training_are_refused(classifier, data, scale):
    x, y = data
    with pytest.raises(DataError, match="as large as .* Scale the data first"):
        classifier.fit(x * scale, y, epochs=1, verbose=0)


def test_that_large_but_trainable_values_and_integer_images_are_accepted(classifier, data):
    x, y = data
    classifier.fit(x * 1e6, y, epochs=1, verbose=0)
    classifier.fit((x * 255).astype(np.uint8), y, epochs=1, verbose=0)
