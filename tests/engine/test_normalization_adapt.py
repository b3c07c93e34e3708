"""Normalization: Keras docstring values, adapt() on arrays and batches, gradients, and the
adapted statistics surviving spec, weights and checkpoint round trips."""

import json

import numpy as np
import pytest

import engine
from engine import layers, registry
from engine.data import Dataset
from engine.errors import DataError, ShapeError, SpecError
from engine.layers.normalization_adapt import Normalization
from tests.engine.gradcheck import check_layer_gradients

KERAS_ADAPT_DATA = np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]],
                            dtype="float32")


def test_that_normalization_is_registered_with_a_round_tripping_config():
    layer = Normalization(axis=(1, 2), mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    assert Normalization.from_config(config).get_config() == config
    assert config["axis"] == [1, 2] and config["mean"] == [1.0, 2.0]
    assert registry.get_class("layer", "Normalization") is Normalization
    assert Normalization.CATEGORY == "Preprocessing"


def test_that_keras_docstring_values_come_out():
    # The four examples of keras.layers.Normalization's docstring.
    layer = Normalization(axis=None)
    layer.adapt(np.array([1., 2., 3., 4., 5.], dtype="float32"))
    np.testing.assert_allclose(layer(np.array([1., 2., 3.], dtype="float32")),
                               [-1.4142135, -0.70710677, 0.], rtol=1e-6)
    layer = Normalization(axis=-1)
    layer.adapt(KERAS_ADAPT_DATA)
    np.testing.assert_allclose(layer(np.array([[0., 7., 4.]], dtype="float32")), [[-1., -1., -1.]])
    layer = Normalization(mean=3., variance=2.)
    np.testing.assert_allclose(layer(np.array([[1.], [2.], [3.]], dtype="float32")),
                               [[-1.4142135], [-0.70710677], [0.]], rtol=1e-6)
    layer = Normalization(axis=-1, invert=True)
    layer.adapt(KERAS_ADAPT_DATA)
    np.testing.assert_allclose(layer(np.array([[1., 2., 3.]], dtype="float32")), [[2., 10., 8.]])


def test_that_adapt_stores_keras_weights_mean_variance_and_count():
    layer = Normalization()
    layer.adapt(KERAS_ADAPT_DATA)
    mean, variance, count = layer.get_weights()
    np.testing.assert_allclose(mean, [1., 8., 5.])
    np.testing.assert_allclose(variance, [1., 1., 1.])
    assert count.shape == () and layer.non_trainable_weight_names == ["mean", "variance", "count"]
    assert layer.count_params() == 7 and not layer.trainable_weights


def test_that_image_statistics_are_per_channel_and_match_a_direct_computation(rng):
    images = rng.uniform(0, 255, (6, 4, 5, 3)).astype("float32")
    layer = Normalization()
    layer.adapt(images)
    expected = (images - images.mean(axis=(0, 1, 2))) / images.std(axis=(0, 1, 2))
    np.testing.assert_allclose(layer(images), expected, rtol=1e-4, atol=1e-5)
    both = Normalization(axis=(1, 2))
    both.adapt(images)
    assert both.get_weights()[0].shape == (4, 5)
    np.testing.assert_allclose(both.get_weights()[0], images.mean(axis=(0, 3)), rtol=1e-5)


def test_that_adapting_on_batches_equals_adapting_on_the_whole_array(rng):
    data = rng.standard_normal((50, 4)) * [1, 2, 3, 4] + [5, -1, 0, 2]
    whole, batched = Normalization(), Normalization()
    whole.adapt(data)
    batched.adapt((data[i:i + 7], np.zeros(7)) for i in range(0, 50, 7))  # (x, y) batches
    for a, b in zip(whole.get_weights(), batched.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    dataset = Dataset.from_tensor_slices(data).batch(16)
    from_dataset = Normalization()
    from_dataset.adapt(dataset)
    np.testing.assert_allclose(from_dataset.get_weights()[0], whole.get_weights()[0], rtol=1e-5)


def test_that_fixed_statistics_broadcast_and_make_no_weights():
    x = np.array([[1., 2., 3.], [3., 6., 9.]], dtype="float32")
    layer = Normalization(mean=[1., 2., 3.], variance=[4., 16., 36.])
    np.testing.assert_allclose(layer(x), [[0, 0, 0], [1, 1, 1]])
    assert layer.get_weights() == []
    scalar = Normalization(axis=None, mean=2.0, variance=4.0)
    np.testing.assert_allclose(scalar(x), (x - 2.0) / 2.0)


@pytest.mark.parametrize("kwargs", [{}, {"invert": True}, {"axis": None},
                                    {"mean": [1.0, -2.0, 0.5], "variance": [2.0, 0.5, 3.0]}])
def test_normalization_gradients(rng, kwargs):
    layer = Normalization(**kwargs)
    if "mean" not in kwargs:
        layer.adapt(rng.standard_normal((20, 3)) * 3.0 + 1.0)
    check_layer_gradients(layer, rng.standard_normal((4, 3)))


def test_that_an_adapted_layer_in_a_code_built_model_survives_save_and_load(tmp_path, rng):
    x_train = (rng.standard_normal((64, 4)) * [10, 1, 0.1, 5] + [100, 0, -3, 7]).astype("f4")
    y_train = (x_train[:, :1] > 100).astype("f4")
    norm = layers.Normalization()
    norm.adapt(x_train)
    model = engine.Sequential([engine.Input((4,)), norm, layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x_train, y_train, epochs=2, batch_size=16, verbose=0)
    np.testing.assert_allclose(norm.get_weights()[0], x_train.mean(axis=0), rtol=1e-5)
    path = tmp_path / "norm.lcm"
    model.save(path)
    loaded = engine.load_model(path)
    restored = next(layer for layer in loaded.layers if isinstance(layer, Normalization))
    np.testing.assert_allclose(restored.get_weights()[0], x_train.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(loaded.predict(x_train, verbose=0),
                               model.predict(x_train, verbose=0), rtol=1e-5)
    again = engine.Model.from_spec(json.loads(json.dumps(model.to_spec())))
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x_train, verbose=0),
                               model.predict(x_train, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("kwargs,match", [
    ({"mean": 1.0}, "both `mean` and `variance`"),
    ({"mean": [1.0, 2.0], "variance": [1.0]}, "same shape"),
    ({"mean": "zero", "variance": 1.0}, "mean"),
    ({"axis": "last"}, "axis"),
])
def test_that_bad_arguments_raise_a_spec_error_naming_them(kwargs, match):
    with pytest.raises(SpecError, match=match):
        Normalization(**kwargs)


def test_that_shape_and_data_problems_say_what_to_fix(rng):
    with pytest.raises(ShapeError, match="axis 0 is the batch"):
        Normalization(axis=0).compute_output_shape((3,))
    with pytest.raises(ShapeError, match="needs 1, 3"):
        Normalization(mean=[1., 2.], variance=[1., 1.]).compute_output_shape((3,))
    layer = Normalization()
    layer.adapt(rng.standard_normal((5, 3)))
    with pytest.raises(DataError, match="built for inputs"):
        layer.adapt(rng.standard_normal((5, 4)))
    with pytest.raises(DataError, match="no batches"):
        Normalization().adapt(iter([]))
    with pytest.raises(SpecError, match="nothing to learn"):
        Normalization(mean=0.0, variance=1.0).adapt(rng.standard_normal((5, 3)))
