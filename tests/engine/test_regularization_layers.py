"""Dropout and GaussianNoise: identity at inference, seeded randomness in training."""

import json

import numpy as np
import pytest

from engine import backend, registry
from engine.errors import SpecError
from engine.layers.regularization import Dropout, GaussianNoise
from tests.engine.gradcheck import check_layer_gradients


@pytest.mark.parametrize("cls", [Dropout, GaussianNoise])
def test_that_regularization_layers_are_registered_and_round_trip_their_config(cls):
    layer = cls(seed=3)
    config = layer.get_config()
    assert {p.name for p in cls.PARAMS} == set(config) - {"name", "trainable"}
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Regularization" and cls.TRAINING_DEPENDENT and cls.DESCRIPTION


def test_palette_defaults():
    assert Dropout().rate == 0.5 and Dropout().seed is None
    assert GaussianNoise().stddev == 0.1


@pytest.mark.parametrize("cls", [Dropout, GaussianNoise])
def test_that_inference_is_the_identity(rng, cls):
    x = rng.standard_normal((4, 6))
    layer = cls()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x * 2), x * 2)


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_that_training_dropout_zeroes_about_rate_and_scales_the_rest(rate):
    x = np.ones((200, 100), dtype=np.float32)
    y = Dropout(rate)(x, training=True)
    assert y.dtype == np.float32
    dropped = np.mean(y == 0)
    assert abs(dropped - rate) < 0.02
    np.testing.assert_allclose(y[y != 0], 1.0 / (1.0 - rate), rtol=1e-6)


def test_that_dropout_backward_uses_the_forward_mask(rng):
    x = rng.standard_normal((8, 10))
    layer = Dropout(0.4)
    y = layer(x, training=True)
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), y / x)


def test_that_rate_zero_is_the_identity_even_in_training(rng):
    x = rng.standard_normal((3, 4))
    layer = Dropout(0.0)
    np.testing.assert_array_equal(layer(x, training=True), x)


def test_that_backend_set_seed_makes_dropout_and_noise_reproducible():
    x = np.ones((5, 7))
    for layer in (Dropout(0.5), GaussianNoise(0.5)):
        backend.set_seed(7)
        first = layer(x, training=True)
        backend.set_seed(7)
        np.testing.assert_array_equal(layer(x, training=True), first)
        assert not np.array_equal(layer(x, training=True), first)


def test_that_a_seeded_layer_uses_its_own_generator():
    x = np.ones((6, 9))
    a, b = Dropout(0.5, seed=11), Dropout(0.5, seed=11)
    backend.set_seed(1)
    ya = a(x, training=True)
    backend.set_seed(2)
    np.testing.assert_array_equal(b(x, training=True), ya)


@pytest.mark.parametrize("rate", [1.5, 1.0, -0.1, "0.5", None])
def test_that_an_invalid_rate_names_rate_and_the_valid_range(rate):
    with pytest.raises(SpecError, match=r"`rate`"):
        Dropout(rate)
    if isinstance(rate, float):
        with pytest.raises(SpecError, match=r">= 0\.0 and < 1\.0"):
            Dropout(rate)


@pytest.mark.parametrize("kwargs, word", [
    ({"stddev": 1.5}, "stddev"), ({"stddev": -0.1}, "stddev"), ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"), ({"noise_shape": (1, 2)}, "noise_shape"),
])
def test_other_bad_arguments(kwargs, word):
    cls = Dropout if "noise_shape" in kwargs else GaussianNoise
    with pytest.raises(SpecError, match=word):
        cls(**kwargs)


def test_that_training_noise_has_the_requested_stddev_and_dtype():
    x = np.zeros((400, 100), dtype=np.float32)
    y = GaussianNoise(0.3)(x, training=True)
    assert y.dtype == np.float32
    assert abs(float(y.std()) - 0.3) < 0.01
    assert abs(float(y.mean())) < 0.01


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 3, 2)])
def test_dropout_gradients_in_training_with_a_reseeded_mask(rng, shape):
    check_layer_gradients(Dropout(0.3), rng.standard_normal(shape), training=True, reseed=5)


@pytest.mark.parametrize("training", [False, True])
def test_gaussian_noise_gradients(rng, training):
    check_layer_gradients(GaussianNoise(0.2), rng.standard_normal((3, 5)), training=training,
                          reseed=5)


def test_dropout_gradients_at_inference(rng):
    check_layer_gradients(Dropout(0.5), rng.standard_normal((3, 5)), training=False)
