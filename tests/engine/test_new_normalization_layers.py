"""UnitNormalization and GroupNormalization: Keras's values, gradients, configs, checkpoints."""

import json

import numpy as np
import pytest

from engine import Input, Sequential, backend, layers, load_model, registry
from engine.errors import ShapeError, SpecError
from tests.engine.gradcheck import check_layer_gradients

NEW_LAYERS = [layers.UnitNormalization, layers.GroupNormalization]


def reference_group_norm(x, groups, epsilon=1e-3):
    """Group normalization over the last axis, written out with loops (Wu & He, 2018)."""
    out = np.empty_like(x, dtype=np.float64)
    size = x.shape[-1] // groups
    for n in range(x.shape[0]):
        for g in range(groups):
            part = x[n, ..., g * size:(g + 1) * size]
            out[n, ..., g * size:(g + 1) * size] = (part - part.mean()) / np.sqrt(
                part.var() + epsilon)
    return out


# ----- registry and configuration ----------------------------------------------------------------
@pytest.mark.parametrize("cls", NEW_LAYERS, ids=lambda c: c.__name__)
def test_that_each_layer_is_registered_in_the_normalization_group_and_round_trips(cls):
    layer = cls()
    config = layer.get_config()
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Normalization" and cls.DESCRIPTION
    assert {p.name for p in cls.PARAMS} | {"name", "trainable"} == set(config)
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config


def test_group_normalization_has_keras_defaults():
    config = layers.GroupNormalization().get_config()
    assert config | {"name": None} == {
        "name": None, "trainable": True, "groups": 32, "axis": -1, "epsilon": 0.001,
        "center": True, "scale": True, "beta_initializer": "zeros", "gamma_initializer": "ones",
        "beta_regularizer": None, "gamma_regularizer": None}
    assert layers.UnitNormalization().get_config()["axis"] == -1


@pytest.mark.parametrize("cls, kwargs, argument", [
    (layers.GroupNormalization, {"groups": 0}, "groups"),
    (layers.GroupNormalization, {"groups": -2}, "groups"),
    (layers.GroupNormalization, {"groups": 1.5}, "groups"),
    (layers.GroupNormalization, {"groups": "32"}, "groups"),
    (layers.GroupNormalization, {"epsilon": 0.0}, "epsilon"),
    (layers.GroupNormalization, {"gamma_regularizer": "l3"}, "gamma_regularizer"),
    (layers.GroupNormalization, {"axis": 0}, "axis"),
    (layers.GroupNormalization, {"axis": [1, 2]}, "axis"),
    (layers.UnitNormalization, {"axis": 0}, "axis"),
    (layers.UnitNormalization, {"axis": [1, 2]}, "axis"),
    (layers.UnitNormalization, {"axis": "last"}, "axis"),
])
def test_that_bad_arguments_name_the_layer_and_the_argument(cls, kwargs, argument):
    with pytest.raises(SpecError, match=f"norm.*`{argument}`"):
        cls(name="norm", **kwargs)


def test_that_a_one_entry_axis_list_is_that_axis():
    assert layers.UnitNormalization(axis=[1]).axis == 1
    assert layers.GroupNormalization(axis=(-1,)).axis == -1


def test_that_constraints_are_accepted_only_as_none():
    layers.GroupNormalization(beta_constraint=None, gamma_constraint=None)
    with pytest.raises(SpecError, match="`gamma_constraint` is not supported.*non_neg"):
        layers.GroupNormalization(gamma_constraint="non_neg")


@pytest.mark.parametrize("groups, shape", [(3, (4, 4)), (8, (5, 4)), (32, (10,))])
def test_that_groups_must_divide_the_channels(groups, shape):
    with pytest.raises(ShapeError, match=rf"'gn'.*{shape[-1]} channels.*groups={groups}"):
        layers.GroupNormalization(groups, name="gn").compute_output_shape(shape)


@pytest.mark.parametrize("cls", NEW_LAYERS, ids=lambda c: c.__name__)
def test_that_an_axis_outside_the_input_is_a_shape_error(cls):
    with pytest.raises(ShapeError, match=r"axis=3.*\(None, 4, 4\)"):
        cls(axis=3).compute_output_shape((4, 4))


def test_group_normalization_weights_are_gamma_then_beta_per_channel():
    layer = layers.GroupNormalization(groups=2)
    layer.build((5, 5, 6))
    assert [w.shape for w in layer.get_weights()] == [(6,), (6,)]
    assert list(layer.params) == ["gamma", "beta"]
    assert layer.count_params_for((5, 5, 6)) == (12, 0)
    plain = layers.GroupNormalization(groups=2, center=False, scale=False)
    assert plain.count_params_for((5, 5, 6)) == (0, 0)


# ----- golden values -----------------------------------------------------------------------------
def test_group_normalization_matches_keras_test_values():
    # keras/src/layers/normalization/group_normalization_test.py (atol 1e-3 there too).
    x1 = np.array([[-1.0, -1.0, 1.0, 1.0, 2.0, 2.0, 0, -2.0]], np.float32)
    np.testing.assert_allclose(
        layers.GroupNormalization(1, axis=-1, scale=False, center=False)(x1),
        [[-0.898, -0.898, 0.539, 0.539, 1.257, 1.257, -0.180, -1.616]], atol=1e-3)
    np.testing.assert_allclose(
        layers.GroupNormalization(2, axis=1, scale=False, center=False)(x1),
        [[-1.0, -1.0, 1.0, 1.0, 0.904, 0.904, -0.301, -1.507]], atol=1e-3)
    x2 = np.array([[[-1.0, -1.0, 2.0, 2.0], [1.0, 1.0, 0, -2.0]]], np.float32)
    np.testing.assert_allclose(
        layers.GroupNormalization(2, axis=2, scale=False, center=False)(x2),
        [[[-1.0, -1.0, 0.904, 0.904], [1.0, 1.0, -0.301, -1.507]]], atol=1e-3)
    x3 = np.array([[[-1.0, 1.0, 0, 2.0], [1.0, 3.0, -4, -2.0]]], np.float32)
    np.testing.assert_allclose(
        layers.GroupNormalization(4, axis=-1, scale=False, center=False)(x3),
        [[[-1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, -1.0]]], atol=1e-3)


@pytest.mark.parametrize("groups, shape", [(2, (3, 4, 4, 6)), (-1, (2, 5, 3)), (1, (4, 8))])
def test_group_normalization_matches_the_written_out_formula(groups, shape, rng):
    x = rng.normal(1.0, 3.0, shape).astype(np.float32)
    layer = layers.GroupNormalization(groups=groups)
    layer.build(shape[1:])
    gamma, beta = rng.uniform(0.5, 1.5, shape[-1]), rng.standard_normal(shape[-1])
    layer.set_weights([gamma, beta])
    y = layer(x)
    per_channel = groups if groups > 0 else shape[-1]
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, reference_group_norm(x, per_channel) * gamma + beta,
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(layer(x, training=True), y)  # no batch statistics


def test_unit_normalization_gives_unit_norms_along_its_axis(rng):
    # keras/src/layers/normalization/unit_normalization_test.py and its docstring.
    y = layers.UnitNormalization()(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_allclose(y, [[0, 1 / 5 ** 0.5, 2 / 5 ** 0.5],
                                   [3 / 50 ** 0.5, 4 / 50 ** 0.5, 5 / 50 ** 0.5]], rtol=1e-6)
    y = layers.UnitNormalization(axis=1)(rng.standard_normal((2, 3, 2)).astype(np.float32))
    assert y.dtype == np.float32
    np.testing.assert_allclose((y ** 2).sum(axis=1), 1.0, rtol=1e-6)


def test_that_a_zero_vector_stays_zero_with_a_finite_gradient():
    layer = layers.UnitNormalization()
    x = np.zeros((1, 3), np.float32)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_allclose(layer.backward(np.ones((1, 3), np.float32)), 1e12, rtol=1e-6)


# ----- gradients ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, kwargs", [
    ((4, 6), {}), ((2, 3, 5), {}), ((2, 3, 5), {"axis": 1}), ((2, 2, 3, 4), {"axis": -2}),
])
def test_unit_normalization_gradients(shape, kwargs, rng):
    check_layer_gradients(layers.UnitNormalization(**kwargs), rng.standard_normal(shape))


def test_unit_normalization_gradient_where_the_norm_is_clamped():
    x = np.array([[3e-13, -2e-13, 1e-13]])  # squared norm below 1e-24: y = x / 1e-12
    check_layer_gradients(layers.UnitNormalization(), x, eps=1e-14, atol=1e-3)


@pytest.mark.parametrize("shape, kwargs", [
    ((3, 6), {"groups": 2}), ((2, 3, 3, 4), {"groups": 2}), ((2, 4, 3), {"groups": -1}),
    ((2, 4, 3), {"groups": 2, "axis": 1}), ((2, 5, 4), {"groups": 1, "scale": False}),
    ((2, 5, 4), {"groups": 4, "center": False}),
])
def test_group_normalization_gradients(shape, kwargs, rng):
    layer = layers.GroupNormalization(**kwargs)
    layer.build(shape[1:])
    layer.set_weights([rng.uniform(0.5, 1.5, w.shape) if key == "gamma"
                       else rng.standard_normal(w.shape)
                       for key, w in layer.params.items()])
    check_layer_gradients(layer, rng.normal(0.5, 2.0, shape))


def test_that_an_inference_forward_leaves_the_training_state_for_backward(rng):
    x = rng.standard_normal((4, 3, 4)).astype(np.float32)
    grad = rng.standard_normal(x.shape).astype(np.float32)
    for layer in (layers.UnitNormalization(), layers.GroupNormalization(groups=2)):
        layer(x, training=True)
        expected = layer.backward(grad)
        layer.forward(x, training=True)
        layer.inference_only = True
        layer.forward(rng.standard_normal((6, 3, 4)).astype(np.float32))
        layer.inference_only = False
        np.testing.assert_array_equal(layer.backward(grad), expected)


# ----- models, specs and checkpoints -------------------------------------------------------------
def test_that_a_model_with_both_layers_trains_and_round_trips_spec_and_checkpoint(
        tmp_path, rng):
    model = Sequential([
        Input((6, 6, 3)), layers.Conv2D(8, 3, padding="same"),
        layers.GroupNormalization(groups=4, gamma_regularizer="l2"), layers.ReLU(),
        layers.GlobalAveragePooling2D(), layers.Dense(4), layers.UnitNormalization(),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = rng.standard_normal((16, 6, 6, 3)).astype(np.float32)
    gamma_before = model.layers[1].get_weights()[0].copy()
    model.fit(x, rng.integers(0, 2, 16), epochs=2, batch_size=8, verbose=0)
    assert not np.allclose(model.layers[1].get_weights()[0], gamma_before)

    rebuilt = Sequential.from_spec(json.loads(json.dumps(model.to_spec())))
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "norms.lcm")
    loaded = load_model(tmp_path / "norms.lcm")
    assert loaded.to_spec() == model.to_spec()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ----- GPU ----------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("layer_fn", [lambda: layers.UnitNormalization(axis=1),
                                      lambda: layers.GroupNormalization(groups=2)])
def test_that_each_layer_on_cupy_matches_numpy(layer_fn, rng):
    x = rng.normal(1.0, 2.0, (3, 5, 4)).astype(np.float32)
    upstream = rng.standard_normal(x.shape).astype(np.float32)
    cpu, gpu = layer_fn(), layer_fn()
    gpu.device = "gpu"
    cpu.build(x.shape[1:])
    gpu.build(x.shape[1:])
    y_gpu = gpu.forward(backend.to_device(x, "gpu"))
    dx_gpu = gpu.backward(backend.to_device(upstream, "gpu"))
    assert backend.is_gpu_array(y_gpu) and y_gpu.dtype == np.float32
    np.testing.assert_allclose(backend.to_numpy(y_gpu), cpu.forward(x), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(dx_gpu), cpu.backward(upstream), rtol=1e-4,
                               atol=1e-5)
    for key in cpu.grads:
        np.testing.assert_allclose(backend.to_numpy(gpu.grads[key]), cpu.grads[key], rtol=1e-4,
                                   atol=1e-4)
