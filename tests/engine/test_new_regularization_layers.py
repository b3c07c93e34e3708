"""SpatialDropout1D/2D, GaussianDropout, AlphaDropout and ActivityRegularization: Keras's
formulas in training, the identity at inference, gradients, configs and checkpoints."""

import json
import math

import numpy as np
import pytest

from engine import GradientTape, Input, Model, Sequential, backend, layers, load_model, registry
from engine import losses as losses_module
from engine.errors import ShapeError, SpecError
from tests.engine.gradcheck import check_layer_gradients, to_float64

NOISE_LAYERS = [layers.SpatialDropout1D, layers.SpatialDropout2D, layers.GaussianDropout,
                layers.AlphaDropout]
ALL_LAYERS = NOISE_LAYERS + [layers.ActivityRegularization]
SHAPES = {layers.SpatialDropout1D: (4, 5, 3), layers.SpatialDropout2D: (3, 4, 4, 2)}
ALPHA_P = -1.6732632423543772 * 1.0507009873554805  # SELU's saturation value


def shape_for(cls):
    return SHAPES.get(cls, (4, 6))


# ----- registry and configuration ----------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL_LAYERS, ids=lambda c: c.__name__)
def test_that_each_layer_is_registered_in_the_regularization_group_and_round_trips(cls):
    layer = cls()
    config = layer.get_config()
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Regularization" and cls.DESCRIPTION
    assert {p.name for p in cls.PARAMS} | {"name", "trainable"} == set(config)
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config


def test_keras_defaults_and_configs():
    assert layers.SpatialDropout2D(0.2).get_config()["data_format"] == "channels_last"
    assert layers.AlphaDropout(0.1, noise_shape=(None, 1, 4), seed=3).get_config() | {
        "name": None} == {"name": None, "trainable": True, "rate": 0.1,
                          "noise_shape": [None, 1, 4], "seed": 3}
    assert layers.ActivityRegularization().get_config()["l1"] == 0.0
    assert [layers.GaussianDropout(0.5).rate, layers.SpatialDropout1D().seed] == [0.5, None]


@pytest.mark.parametrize("cls", NOISE_LAYERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("rate", [1.0, 1.5, -0.1, "0.5", None])
def test_that_a_bad_rate_names_the_layer_rate_and_the_valid_range(cls, rate):
    with pytest.raises(SpecError, match=r"drop.*`rate`") as info:
        cls(rate, name="drop")
    if isinstance(rate, float):
        assert ">= 0.0 and < 1.0" in str(info.value)


def test_that_spatial_dropout_2d_refuses_channels_first_with_the_fix():
    with pytest.raises(SpecError, match="channels_last.*Received: data_format='channels_first'"
                                        ".*Permute"):
        layers.SpatialDropout2D(0.5, data_format="channels_first")
    with pytest.raises(SpecError, match="`data_format`"):
        layers.SpatialDropout2D(0.5, data_format="channels_middle")


@pytest.mark.parametrize("cls, shape", [(layers.SpatialDropout1D, (4,)),
                                        (layers.SpatialDropout2D, (4, 4))])
def test_that_spatial_dropout_names_the_rank_it_expects(cls, shape):
    with pytest.raises(ShapeError, match=r"'sd'.*rank.*Reshape"):
        cls(0.5, name="sd").compute_output_shape(shape)


@pytest.mark.parametrize("noise_shape", [3, (None, 0), (None, 1.5), "1, 2"])
def test_that_a_bad_noise_shape_is_refused(noise_shape):
    with pytest.raises(SpecError, match="`noise_shape`.*Received"):
        layers.AlphaDropout(0.5, noise_shape=noise_shape)


@pytest.mark.parametrize("noise_shape", [(None, 5), (None, 1, 4, 1), (None, 3, 1)])
def test_that_a_noise_shape_that_does_not_fit_the_input_is_a_shape_error(noise_shape):
    with pytest.raises(ShapeError, match=r"'ad'.*noise_shape.*\(None, 2, 4\)"):
        layers.AlphaDropout(0.5, noise_shape=noise_shape, name="ad").compute_output_shape((2, 4))


@pytest.mark.parametrize("l1, l2", [(-0.1, 0.0), (0.0, "big"), (None, 0.0)])
def test_that_bad_activity_factors_are_refused(l1, l2):
    with pytest.raises(SpecError, match="`l[12]`"):
        layers.ActivityRegularization(l1=l1, l2=l2)


# ----- inference ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL_LAYERS, ids=lambda c: c.__name__)
def test_that_inference_is_the_identity_both_ways(cls, rng):
    x = rng.standard_normal(shape_for(cls)).astype(np.float32)
    layer = cls()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(2 * x), 2 * x)


@pytest.mark.parametrize("cls", NOISE_LAYERS, ids=lambda c: c.__name__)
def test_that_rate_zero_is_the_identity_in_training(cls, rng):
    x = rng.standard_normal(shape_for(cls)).astype(np.float32)
    np.testing.assert_array_equal(cls(0.0)(x, training=True), x)


# ----- training formulas -------------------------------------------------------------------------
@pytest.mark.parametrize("cls, shape", [(layers.SpatialDropout1D, (400, 7, 50)),
                                        (layers.SpatialDropout2D, (400, 3, 4, 50))])
def test_that_spatial_dropout_keeps_or_drops_whole_channels(cls, shape):
    y = cls(0.3)(np.ones(shape, dtype=np.float32), training=True)
    assert y.dtype == np.float32
    per_channel = y.reshape(shape[0], -1, shape[-1])
    np.testing.assert_array_equal(per_channel, per_channel[:, :1, :].repeat(
        per_channel.shape[1], axis=1))  # every position of a channel alike (Keras's test)
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs(np.mean(y == 0) - 0.3) < 0.02


def test_that_gaussian_dropout_noise_has_mean_one_and_keras_stddev():
    # keras/src/layers/regularization/gaussian_dropout_test.py: std sqrt(rate / (1 - rate)).
    y = layers.GaussianDropout(0.3, seed=1337)(np.ones((200, 500), np.float32), training=True)
    assert y.dtype == np.float32
    assert abs(float(y.std()) - math.sqrt(0.3 / 0.7)) < 0.02
    assert abs(float(y.mean()) - 1.0) < 0.01


def alpha_dropout_affine(rate):
    """a and b of Klambauer et al. (2017), eq. 13: mean 0 and variance 1 are kept."""
    a = 1.0 / math.sqrt((1 - rate) * (1 + rate * ALPHA_P ** 2))
    return a, -a * ALPHA_P * rate


def test_that_alpha_dropout_gives_each_unit_the_kept_or_the_dropped_value(rng):
    x = rng.standard_normal((50, 40)).astype(np.float32)
    y = layers.AlphaDropout(0.3)(x, training=True)
    a, b = alpha_dropout_affine(0.3)
    kept = np.isclose(y, a * x + b, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(y, a * ALPHA_P + b, rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32 and np.all(kept | dropped)
    assert abs(np.mean(dropped & ~kept) - 0.3) < 0.03


def test_that_alpha_dropout_keeps_zero_mean_and_unit_variance(rng):
    y = layers.AlphaDropout(0.2)(rng.standard_normal((400, 500)).astype(np.float32),
                                 training=True)
    assert abs(float(y.mean())) < 0.01 and abs(float(y.std()) - 1.0) < 0.01


@pytest.mark.parametrize("noise_shape", [(None, 1, None), (20, 1, 10)])
def test_that_alpha_dropout_shares_its_mask_along_size_one_noise_axes(noise_shape):
    # keras/src/layers/regularization/alpha_dropout_test.py, dynamic and static shapes.
    y = layers.AlphaDropout(0.5, noise_shape=noise_shape)(np.ones((20, 5, 10), np.float32),
                                                           training=True)
    for step in range(1, 5):
        np.testing.assert_array_equal(y[:, step, :], y[:, 0, :])
    assert len(np.unique(y)) == 2


@pytest.mark.parametrize("cls", NOISE_LAYERS, ids=lambda c: c.__name__)
def test_that_engine_seeds_and_layer_seeds_make_the_noise_reproducible(cls):
    x = np.ones(shape_for(cls), np.float32)
    layer = cls(0.5)
    backend.set_seed(7)
    first = layer(x, training=True)
    backend.set_seed(7)
    np.testing.assert_array_equal(layer(x, training=True), first)
    backend.set_seed(1)
    seeded = cls(0.5, seed=11)(x, training=True)
    backend.set_seed(2)
    np.testing.assert_array_equal(cls(0.5, seed=11)(x, training=True), seeded)


# ----- gradients ---------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_fn, shape", [
    (lambda: layers.SpatialDropout1D(0.4), (3, 4, 5)),
    (lambda: layers.SpatialDropout2D(0.4), (2, 3, 3, 4)),
    (lambda: layers.GaussianDropout(0.3), (3, 5)),
    (lambda: layers.AlphaDropout(0.3), (3, 5)),
    (lambda: layers.AlphaDropout(0.3, noise_shape=(None, 1, 4)), (3, 2, 4)),
])
@pytest.mark.parametrize("training", [True, False])
def test_noise_layer_gradients_with_a_reseeded_mask(layer_fn, shape, training, rng):
    check_layer_gradients(layer_fn(), rng.standard_normal(shape), training=training, reseed=5)


def numeric_total_gradient(layer, x, upstream, eps=1e-6):
    """Central differences of sum(forward(x) * upstream) + the layer's penalty."""
    def total(values):
        out = layer.forward(values)
        return float((out * upstream).sum() + layer.regularization_loss())

    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (total(plus) - total(minus)) / (2 * eps)
    return grad


def test_activity_regularization_gradient_includes_its_penalty(rng):
    x = rng.standard_normal((3, 4))
    x += np.sign(x) * 0.1  # away from |x|'s kink at 0
    upstream = rng.standard_normal(x.shape)
    layer = layers.ActivityRegularization(l1=0.3, l2=0.2)
    layer.forward(x)
    analytic = layer.backward(upstream)
    np.testing.assert_allclose(analytic, numeric_total_gradient(layer, x, upstream),
                               rtol=1e-5, atol=1e-7)
    check_layer_gradients(layers.ActivityRegularization(), x)  # zero factors: the identity


# ----- the activity penalty in a model -----------------------------------------------------------
def test_activity_penalty_matches_the_keras_test_value():
    # keras/src/layers/regularization/activity_regularization_test.py: 4 * 0.3 + 2 * 0.2.
    layer = layers.ActivityRegularization(l1=0.2, l2=0.3)
    layer(2 * np.ones((1, 1), np.float32))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0], 1.6, rtol=1e-6)
    layer(2 * np.ones((5, 1), np.float32))  # divided by the batch size, as in Keras 3
    np.testing.assert_allclose(layer.regularization_loss(), 1.6, rtol=1e-6)
    assert layers.ActivityRegularization().losses == []


def penalized_model(l1=0.0, l2=0.5):
    model = Sequential([Input((3,)), layers.Dense(2, kernel_initializer="ones"),
                        layers.ActivityRegularization(l1=l1, l2=l2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_that_fit_evaluate_and_model_losses_count_the_activity_penalty():
    x = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0]], np.float32)
    y = np.zeros((2, 2), np.float32)
    model = penalized_model()
    out = x @ np.ones((3, 2), np.float32)  # the Dense output: [[3, 3], [0, 0]]
    mse = float(np.mean(out ** 2))
    penalty = 0.5 * float((out ** 2).sum()) / 2
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), mse + penalty, rtol=1e-6)
    np.testing.assert_allclose(float(model.losses[0]), penalty, rtol=1e-6)
    np.testing.assert_allclose(model.train_on_batch(x, y), mse + penalty, rtol=1e-6)


def test_that_the_penalty_gradient_reaches_the_weights_before_it():
    x = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0]], np.float32)
    y = np.array([[3.0, 3.0], [0.0, 0.0]], np.float32)  # the loss alone is already zero
    plain, penalized = penalized_model(l2=0.0), penalized_model(l2=0.5)
    plain.train_on_batch(x, y)
    penalized.train_on_batch(x, y)
    np.testing.assert_array_equal(plain.get_weights()[0], np.ones((3, 2)))
    kernel = penalized.get_weights()[0]
    # dL/dkernel = x^T (2 * l2 * out / batch) = x^T out / 2; sgd with learning rate 0.01.
    expected = 1.0 - 0.01 * (x.T @ (x @ np.ones((3, 2))) / 2)
    np.testing.assert_allclose(kernel, expected, rtol=1e-5)


def test_that_a_gradient_tape_with_model_losses_includes_the_penalty():
    x = np.array([[1.0, 2.0, 0.0]], np.float32)
    model = penalized_model(l1=0.1, l2=0.0)
    loss_fn = losses_module.MeanSquaredError()
    with GradientTape() as tape:
        pred = model(x, training=True)
        loss = loss_fn(np.asarray([[3.0, 3.0]], np.float32), pred) + sum(model.losses)
    (kernel_grad, _) = tape.gradient(loss, model.trainable_variables)
    np.testing.assert_allclose(float(loss), 0.1 * 6.0, rtol=1e-6)
    np.testing.assert_allclose(kernel_grad, 0.1 * np.outer(x[0], [1.0, 1.0]), rtol=1e-6)


def test_that_a_gradient_tape_without_model_losses_leaves_the_penalty_out():
    x = np.array([[1.0, 2.0, 0.0]], np.float32)
    model = penalized_model(l1=0.1, l2=0.0)
    with GradientTape() as tape:
        pred = model(x, training=True)
        loss = losses_module.MeanSquaredError()(np.asarray([[3.0, 3.0]], np.float32), pred)
    (kernel_grad, _) = tape.gradient(loss, model.trainable_variables)
    np.testing.assert_allclose(kernel_grad, 0.0, atol=1e-7)


# ----- models and checkpoints --------------------------------------------------------------------
def test_that_a_model_with_every_layer_trains_and_round_trips_spec_and_checkpoint(tmp_path, rng):
    inputs = Input((6, 6, 2))
    x = layers.Conv2D(4, 3, padding="same", activation="selu")(inputs)
    x = layers.SpatialDropout2D(0.2, seed=1)(x)
    x = layers.Reshape((36, 4))(x)
    x = layers.SpatialDropout1D(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.GaussianDropout(0.1)(x)
    x = layers.AlphaDropout(0.1, noise_shape=(None, 144))(x)
    x = layers.ActivityRegularization(l1=1e-3, l2=1e-3)(x)
    model = Model(inputs, layers.Dense(3, activation="softmax")(x))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    data = rng.standard_normal((16, 6, 6, 2)).astype(np.float32)
    history = model.fit(data, rng.integers(0, 3, 16), epochs=2, batch_size=8, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])

    rebuilt = Model.from_spec(json.loads(json.dumps(model.to_spec())))
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0),
                               rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "noise.lcm")
    loaded = load_model(tmp_path / "noise.lcm")
    assert loaded.to_spec() == model.to_spec()
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_that_float64_weights_and_inputs_stay_float64(rng):
    # The gradient checker runs in float64: no layer may force float32 inside.
    for cls in NOISE_LAYERS:
        layer = cls(0.3)
        layer.build(shape_for(cls)[1:])
        to_float64(layer)
        assert layer(rng.standard_normal(shape_for(cls)), training=True).dtype == np.float64


# ----- GPU ----------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("cls", NOISE_LAYERS, ids=lambda c: c.__name__)
def test_that_noise_layers_run_on_cupy_with_cupy_masks(cls, rng):
    x = backend.to_device(rng.standard_normal(shape_for(cls)).astype(np.float32), "gpu")
    layer = cls(0.4)
    y = layer(x, training=True)
    grad = layer.backward(x)
    assert backend.is_gpu_array(y) and backend.is_gpu_array(grad) and y.dtype == np.float32
    assert not np.array_equal(backend.to_numpy(y), backend.to_numpy(x))
    np.testing.assert_array_equal(backend.to_numpy(layer(x)), backend.to_numpy(x))
    seeded = [backend.to_numpy(cls(0.4, seed=3)(x, training=True)) for _ in range(2)]
    np.testing.assert_array_equal(seeded[0], seeded[1])


@pytest.mark.gpu
def test_that_the_activity_penalty_is_computed_on_cupy(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    cpu, gpu = layers.ActivityRegularization(0.1, 0.2), layers.ActivityRegularization(0.1, 0.2)
    cpu(x)
    gpu(backend.to_device(x, "gpu"))
    np.testing.assert_allclose(float(gpu.regularization_loss()), float(cpu.regularization_loss()),
                               rtol=1e-5)
    np.testing.assert_allclose(backend.to_numpy(gpu.backward(backend.to_device(x, "gpu"))),
                               cpu.backward(x), rtol=1e-5, atol=1e-6)
