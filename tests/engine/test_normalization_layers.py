"""BatchNormalization and LayerNormalization: Keras semantics, gradients, config, errors."""

import numpy as np
import pytest

from engine import backend
from engine.errors import ShapeError, SpecError
from engine.layers.normalization import BatchNormalization, LayerNormalization
from tests.engine.gradcheck import check_layer_gradients

EPS = 1e-3


def built(layer, input_shape):
    layer.build(input_shape)
    return layer


def randomize_weights(layer, rng):
    """Gamma/beta away from 1/0 and non-trivial moving statistics, so every term matters."""
    for key, value in layer.params.items():
        if key in ("gamma", "moving_variance"):
            value[...] = rng.uniform(0.5, 1.5, value.shape)
        else:
            value[...] = rng.standard_normal(value.shape)


# ----- configuration ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [BatchNormalization, LayerNormalization])
def test_that_params_match_config_keys_and_config_round_trips(cls):
    layer = cls(epsilon=0.01, center=False)
    config = layer.get_config()
    assert [p.name for p in cls.PARAMS] == [k for k in config if k not in ("name", "trainable")]
    assert cls.from_config(config).get_config() == config
    assert cls.CATEGORY == "Normalization"


def test_batch_normalization_has_keras_defaults():
    config = BatchNormalization().get_config()
    assert config["name"] == "batch_normalization"
    assert (config["axis"], config["momentum"], config["epsilon"]) == (-1, 0.99, 0.001)
    assert config["center"] is True and config["scale"] is True
    assert (config["beta_initializer"], config["gamma_initializer"]) == ("zeros", "ones")
    assert config["moving_mean_initializer"] == "zeros"
    assert config["moving_variance_initializer"] == "ones"
    assert BatchNormalization.TRAINING_DEPENDENT is True


def test_layer_normalization_has_keras_defaults():
    config = LayerNormalization().get_config()
    assert config["name"] == "layer_normalization"
    assert (config["axis"], config["epsilon"], config["center"], config["scale"]) == (
        -1, 0.001, True, True)


@pytest.mark.parametrize("kwargs", [
    {"momentum": 1.5}, {"momentum": -0.1}, {"epsilon": 0.0}, {"epsilon": -1e-3},
    {"center": "yes"}, {"axis": 1.5}, {"axis": 0}, {"gamma_initializer": "nope"},
    {"moving_variance_initializer": 3}, {"beta_regularizer": "l3"}, {"renorm": True},
])
def test_batch_normalization_rejects_bad_arguments(kwargs):
    with pytest.raises(SpecError):
        BatchNormalization(**kwargs)


@pytest.mark.parametrize("kwargs", [{"epsilon": 0}, {"scale": 1}, {"axis": 0}, {"axis": "last"}])
def test_layer_normalization_rejects_bad_arguments(kwargs):
    with pytest.raises(SpecError):
        LayerNormalization(**kwargs)


def test_that_axis_zero_error_explains_the_batch_axis():
    with pytest.raises(SpecError, match="batch"):
        BatchNormalization(axis=0)


# ----- shapes and weights ----------------------------------------------------------------------
def test_batch_normalization_counts_params_as_keras():
    assert BatchNormalization().count_params_for((8, 8, 64)) == (128, 128)
    assert BatchNormalization(scale=False).count_params_for((8, 8, 64)) == (64, 128)
    assert BatchNormalization(center=False, scale=False).count_params_for((64,)) == (0, 128)
    assert BatchNormalization(trainable=False).count_params_for((8, 8, 64)) == (0, 256)
    assert BatchNormalization(axis=1).count_params_for((3, 8, 8)) == (6, 6)


def test_batch_normalization_weights_are_in_keras_order():
    layer = built(BatchNormalization(), (4, 4, 3))
    assert list(layer.params) == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert list(layer.grads) == ["gamma", "beta"]
    assert layer.non_trainable_weight_names == ["moving_mean", "moving_variance"]
    gamma, beta, mean, var = layer.get_weights()
    np.testing.assert_array_equal(gamma, np.ones(3))
    np.testing.assert_array_equal(beta, np.zeros(3))
    np.testing.assert_array_equal(mean, np.zeros(3))
    np.testing.assert_array_equal(var, np.ones(3))
    assert layer.count_params() == 12


def test_layer_normalization_weights_and_counts():
    layer = built(LayerNormalization(), (5, 16))
    assert list(layer.params) == ["gamma", "beta"]
    assert LayerNormalization().count_params_for((8, 8, 64)) == (128, 0)
    assert LayerNormalization(center=False).count_params_for((10,)) == (10, 0)


@pytest.mark.parametrize("cls", [BatchNormalization, LayerNormalization])
@pytest.mark.parametrize("shape", [(7,), (4, 4, 3), (5, 6)])
def test_that_output_shape_equals_input_shape(cls, shape):
    assert cls().compute_output_shape(shape) == shape


@pytest.mark.parametrize("cls", [BatchNormalization, LayerNormalization])
def test_that_an_axis_outside_the_input_is_a_shape_error(cls):
    with pytest.raises(ShapeError, match=r"axis=3.*\(None, 32\)"):
        cls(axis=3).compute_output_shape((32,))
    with pytest.raises(ShapeError, match="axis=-3"):
        cls(axis=-3).compute_output_shape((32,))
    with pytest.raises(ShapeError):
        cls().compute_output_shape(())  # only a batch axis: nothing to normalize


# ----- BatchNormalization forward ------------------------------------------------------------
def test_batch_normalization_training_output_golden_values():
    layer = built(BatchNormalization(), (2,))
    layer.set_weights([np.array([2.0, 0.5]), np.array([1.0, -1.0]), np.zeros(2), np.ones(2)])
    x = np.array([[1.0, 2.0], [3.0, 6.0]])  # batch mean (2, 4), biased variance (1, 4)
    y = layer.forward(x, training=True)
    unit = np.array([1 / np.sqrt(1 + EPS), 2 / np.sqrt(4 + EPS)])
    expected = np.array([[-1.0, -1.0], [1.0, 1.0]]) * unit * [2.0, 0.5] + [1.0, -1.0]
    np.testing.assert_allclose(y, expected, rtol=1e-6)


@pytest.mark.parametrize("shape", [(16, 5), (6, 4, 4, 3)])
def test_that_training_output_has_zero_mean_and_unit_variance_per_feature(shape, rng):
    x = rng.normal(3.0, 2.5, shape)
    y = BatchNormalization()(x, training=True)
    axes = tuple(range(len(shape) - 1))
    np.testing.assert_allclose(y.mean(axis=axes), 0.0, atol=1e-6)
    np.testing.assert_allclose(y.var(axis=axes), 1.0, atol=1e-3)  # eps shrinks it a little


def test_that_one_training_step_updates_moving_statistics_with_momentum(rng):
    layer = built(BatchNormalization(momentum=0.9), (3,))
    moving_mean, moving_var = layer.params["moving_mean"], layer.params["moving_variance"]
    x = rng.normal(2.0, 3.0, (10, 3))
    layer.forward(x, training=True)
    # moving = moving * momentum + batch_stat * (1 - momentum), from 0 and 1
    np.testing.assert_allclose(moving_mean, 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(moving_var, 0.9 + 0.1 * x.var(axis=0), rtol=1e-5)  # biased
    assert layer.params["moving_mean"] is moving_mean  # updated in place
    assert layer.params["moving_variance"] is moving_var


def test_that_moving_statistics_use_channel_stats_of_images(rng):
    layer = built(BatchNormalization(momentum=0.5), (4, 4, 2))
    x = rng.normal(1.0, 2.0, (3, 4, 4, 2))
    layer.forward(x, training=True)
    np.testing.assert_allclose(layer.params["moving_mean"], 0.5 * x.mean(axis=(0, 1, 2)),
                               rtol=1e-5)
    np.testing.assert_allclose(layer.params["moving_variance"],
                               0.5 + 0.5 * x.var(axis=(0, 1, 2)), rtol=1e-5)


def test_that_inference_uses_moving_statistics_and_leaves_them_alone(rng):
    layer = built(BatchNormalization(), (3,))
    randomize_weights(layer, rng)
    gamma, beta, mean, var = layer.get_weights()
    x = rng.standard_normal((4, 3)).astype(np.float32)
    y = layer.forward(x, training=False)
    np.testing.assert_allclose(y, gamma * (x - mean) / np.sqrt(var + EPS) + beta, rtol=1e-5)
    np.testing.assert_array_equal(layer.params["moving_mean"], mean)
    np.testing.assert_array_equal(layer.params["moving_variance"], var)


def test_that_a_frozen_batch_normalization_runs_in_inference_mode_while_training(rng):
    layer = built(BatchNormalization(trainable=False), (3,))
    randomize_weights(layer, rng)
    before = layer.get_weights()
    x = rng.standard_normal((5, 3))
    np.testing.assert_allclose(layer.forward(x, training=True),
                               layer.forward(x, training=False))
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_batch_normalization_keeps_float32(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    layer = BatchNormalization()
    assert layer(x, training=True).dtype == np.float32
    assert layer(x).dtype == np.float32
    assert layer.backward(np.ones_like(x)).dtype == np.float32


def test_batch_normalization_on_a_non_last_axis_normalizes_that_axis(rng):
    x = rng.normal(5.0, 2.0, (4, 3, 2, 2))  # channels first: axis=1
    layer = BatchNormalization(axis=1, momentum=0.0)
    y = layer(x, training=True)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0.0, atol=1e-6)
    np.testing.assert_allclose(layer.params["moving_mean"], x.mean(axis=(0, 2, 3)), rtol=1e-5)


# ----- BatchNormalization gradients -----------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 3, 2)])
def test_batch_normalization_gradients(shape, training, rng):
    layer = built(BatchNormalization(momentum=0.8), shape[1:])
    randomize_weights(layer, rng)
    check_layer_gradients(layer, rng.normal(1.0, 2.0, shape), training=training)


@pytest.mark.parametrize("kwargs", [{"center": False}, {"scale": False},
                                    {"center": False, "scale": False}, {"axis": 1}])
def test_batch_normalization_gradients_with_options(kwargs, rng):
    layer = built(BatchNormalization(**kwargs), (3, 2, 2))
    randomize_weights(layer, rng)
    check_layer_gradients(layer, rng.standard_normal((3, 3, 2, 2)), training=True)


def test_frozen_batch_normalization_gradients_use_the_inference_path(rng):
    layer = built(BatchNormalization(trainable=False), (4,))
    randomize_weights(layer, rng)
    x = rng.standard_normal((6, 4))
    check_layer_gradients(layer, x, training=True)
    upstream = rng.standard_normal((6, 4))
    layer.forward(x, training=True)
    gamma, _, _, var = layer.get_weights()
    np.testing.assert_allclose(layer.backward(upstream), upstream * gamma / np.sqrt(var + EPS))


# ----- LayerNormalization --------------------------------------------------------------------
def test_layer_normalization_golden_values():
    layer = built(LayerNormalization(), (3,))
    layer.set_weights([np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.0, -0.5])])
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])
    y = layer.forward(x)
    # row 0: mean 2, var 2/3; row 1: mean 2, var 8
    xhat = np.array([[-1.0, 0.0, 1.0] / np.sqrt(2 / 3 + EPS), [-2.0, -2.0, 4.0] / np.sqrt(8 + EPS)])
    np.testing.assert_allclose(y, xhat * [1.0, 2.0, 3.0] + [0.5, 0.0, -0.5], rtol=1e-6)


def test_that_layer_normalization_normalizes_each_sample_alike_in_training_and_inference(rng):
    x = rng.normal(4.0, 3.0, (3, 5, 8))
    layer = LayerNormalization()
    y = layer(x, training=True)
    np.testing.assert_allclose(y.mean(axis=-1), 0.0, atol=1e-6)
    np.testing.assert_allclose(y.var(axis=-1), 1.0, atol=2e-3)
    np.testing.assert_allclose(layer(x, training=False), y)


@pytest.mark.parametrize("shape,kwargs", [
    ((4, 6), {}), ((2, 3, 5), {}), ((3, 4), {"scale": False}), ((3, 4), {"center": False}),
    ((2, 4, 3), {"axis": 1}),
])
def test_layer_normalization_gradients(shape, kwargs, rng):
    layer = built(LayerNormalization(**kwargs), shape[1:])
    randomize_weights(layer, rng)
    check_layer_gradients(layer, rng.normal(0.5, 2.0, shape))


# ----- GPU -----------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_on_gpu_matches_numpy(training, rng):
    x = rng.normal(1.0, 2.0, (4, 3, 3, 5)).astype(np.float32)
    upstream = rng.standard_normal(x.shape).astype(np.float32)
    cpu, gpu = BatchNormalization(momentum=0.9), BatchNormalization(momentum=0.9)
    gpu.device = "gpu"
    cpu.build(x.shape[1:])
    gpu.build(x.shape[1:])
    randomize_weights(cpu, rng)
    gpu.set_weights(cpu.get_weights())

    y_cpu = cpu.forward(x, training=training)
    y_gpu = gpu.forward(backend.to_device(x, "gpu"), training=training)
    dx_cpu = cpu.backward(upstream)
    dx_gpu = gpu.backward(backend.to_device(upstream, "gpu"))

    assert backend.is_gpu_array(y_gpu) and backend.is_gpu_array(dx_gpu)
    np.testing.assert_allclose(backend.to_numpy(y_gpu), y_cpu, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(dx_gpu), dx_cpu, rtol=1e-4, atol=1e-5)
    for key in cpu.grads:
        np.testing.assert_allclose(backend.to_numpy(gpu.grads[key]), cpu.grads[key],
                                   rtol=1e-4, atol=1e-4)
    for w_cpu, w_gpu in zip(cpu.get_weights(), gpu.get_weights()):
        np.testing.assert_allclose(w_gpu, w_cpu, rtol=1e-5, atol=1e-6)
