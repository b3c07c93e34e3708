"""ReLU, LeakyReLU, PReLU, ELU, Softmax and Identity: Keras's values, gradients, configs,
checkpoints, and a Keras guide's GAN models with only the imports changed."""

import json
import math

import numpy as np
import pytest

import engine as keras
from engine import Input, Model, backend, layers, load_model, registry
from engine.errors import ShapeError, SpecError
from tests.engine.gradcheck import check_layer_gradients

ACTIVATION_LAYERS = [layers.ReLU, layers.LeakyReLU, layers.PReLU, layers.ELU, layers.Softmax,
                     layers.Identity]
KERAS_INPUT = np.array([[-10.0, -5.0, 0.0, 5.0, 10.0]], dtype=np.float32)


# ----- registry and configuration ----------------------------------------------------------------
@pytest.mark.parametrize("cls", ACTIVATION_LAYERS, ids=lambda c: c.__name__)
def test_that_each_layer_is_registered_in_the_core_palette_group_and_round_trips(cls):
    layer = cls()
    config = layer.get_config()
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Core" and cls.DESCRIPTION
    assert {p.name for p in cls.PARAMS} | {"name", "trainable"} == set(config)
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config


def test_that_defaults_and_default_names_are_keras_ones():
    assert layers.ReLU().get_config() | {"name": None} == {
        "name": None, "trainable": True, "max_value": None, "negative_slope": 0.0,
        "threshold": 0.0}
    assert layers.LeakyReLU().negative_slope == 0.3
    assert layers.ELU().alpha == 1.0
    assert layers.Softmax().axis == -1
    prelu = layers.PReLU()
    assert (prelu.alpha_initializer, prelu.alpha_regularizer, prelu.shared_axes) == (
        "zeros", None, None)
    keras.clear_session()
    assert [layers.ReLU().name, layers.PReLU().name, layers.LeakyReLU().name] == [
        "re_lu", "p_re_lu", "leaky_re_lu"]


@pytest.mark.parametrize("cls, kwargs, argument", [
    (layers.ReLU, {"max_value": -10.0}, "max_value"),
    (layers.ReLU, {"negative_slope": -10.0}, "negative_slope"),
    (layers.ReLU, {"negative_slope": None}, "negative_slope"),
    (layers.ReLU, {"threshold": -10.0}, "threshold"),
    (layers.LeakyReLU, {"negative_slope": -0.1}, "negative_slope"),
    (layers.LeakyReLU, {"negative_slope": None}, "negative_slope"),
    (layers.ELU, {"alpha": "one"}, "alpha"),
    (layers.Softmax, {"axis": 1.5}, "axis"),
    (layers.Softmax, {"axis": [1, 2]}, "axis"),
    (layers.PReLU, {"shared_axes": [0]}, "shared_axes"),
    (layers.PReLU, {"alpha_initializer": "nope"}, "alpha_initializer"),
])
def test_that_bad_arguments_name_the_layer_the_argument_and_the_value(cls, kwargs, argument):
    with pytest.raises(SpecError, match=f"`{argument}`") as info:
        cls(name="act", **kwargs)
    assert "act" in str(info.value) and str(kwargs[argument]) in str(info.value)


def test_that_softmax_over_the_batch_axis_is_refused_with_a_fix():
    with pytest.raises(SpecError, match="axis=0.*axis=-1"):
        layers.Softmax(axis=0)


def test_that_a_prelu_constraint_is_refused_because_the_engine_has_none():
    assert layers.PReLU(alpha_constraint=None).get_config()["shared_axes"] is None
    with pytest.raises(SpecError, match="`alpha_constraint` is not supported.*MaxNorm"):
        layers.PReLU(alpha_constraint="MaxNorm")


def test_that_leaky_relu_still_takes_the_deprecated_alpha_with_a_warning():
    with pytest.warns(DeprecationWarning, match="negative_slope"):
        layer = layers.LeakyReLU(alpha=0.2)
    assert layer.negative_slope == 0.2


def test_that_shared_axes_outside_the_input_are_a_shape_error():
    layer = layers.PReLU(shared_axes=[1, 3], name="p")
    with pytest.raises(ShapeError, match=r"'p'.*shared_axes=\[1, 3\].*\(None, 4, 5\)"):
        layer.compute_output_shape((4, 5))
    assert layer.compute_output_shape((4, 5, 6)) == (4, 5, 6)


# ----- golden values -----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, x, expected", [
    # The cases of keras/src/layers/activations/relu_test.py.
    ({"max_value": 10, "negative_slope": 0.0, "threshold": 0}, KERAS_INPUT,
     [0.0, 0.0, 0.0, 5.0, 10.0]),
    ({"max_value": 10, "negative_slope": 0.5, "threshold": 0}, KERAS_INPUT,
     [-5.0, -2.5, 0.0, 5.0, 10.0]),
    ({"max_value": 8, "negative_slope": 0.0, "threshold": 5}, [[6.0, 7.0, 0.0, 5, 10]],
     [6.0, 7.0, 0.0, 0.0, 8.0]),
    # By hand: below the threshold 2, y = 0.5 * (x - 2); above it, min(x, 4).
    ({"max_value": 4.0, "negative_slope": 0.5, "threshold": 2.0}, [[-2.0, 1.0, 2.0, 3.0, 9.0]],
     [-2.0, -0.5, 0.0, 3.0, 4.0]),
])
def test_relu_matches_keras_values(kwargs, x, expected):
    y = layers.ReLU(**kwargs)(np.asarray(x, dtype=np.float32))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y[0], expected, rtol=1e-6)


def test_leaky_relu_elu_and_softmax_match_the_keras_docstrings():
    np.testing.assert_allclose(layers.LeakyReLU(negative_slope=0.5)(KERAS_INPUT)[0],
                               [-5.0, -2.5, 0.0, 5.0, 10.0])
    np.testing.assert_allclose(layers.ELU(alpha=2.0)(KERAS_INPUT)[0],
                               [2 * math.expm1(-10), 2 * math.expm1(-5), 0.0, 5.0, 10.0],
                               rtol=1e-6)
    np.testing.assert_allclose(layers.Softmax()(np.array([[1.0, 2.0, 1.0]], np.float32))[0],
                               [0.21194157, 0.5761169, 0.21194157], rtol=1e-6)


def test_that_softmax_sums_to_one_along_its_axis(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32) * 50  # large logits stay finite
    y = layers.Softmax(axis=1)(x)
    assert y.dtype == np.float32 and np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)


def test_prelu_matches_the_keras_test_reference(rng):
    # keras/src/layers/activations/prelu_test.py: (x > 0) * x + (x <= 0) * alpha * x.
    x = rng.standard_normal((2, 10, 5, 3)).astype(np.float32)
    layer = layers.PReLU(shared_axes=(1, 2))
    layer.build(x.shape[1:])
    alpha = rng.random((1, 1, 3)).astype(np.float32)
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x), (x > 0) * x + (x <= 0) * alpha * x, rtol=1e-6)
    assert layer.count_params() == 3


def test_that_identity_returns_its_input_unchanged(rng):
    x = rng.standard_normal((3, 4))
    assert layers.Identity()(x) is x


# ----- gradients ---------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    layers.ReLU(), layers.ReLU(max_value=0.8), layers.ReLU(negative_slope=0.3),
    layers.ReLU(max_value=1.2, negative_slope=0.2, threshold=0.4),
    layers.LeakyReLU(), layers.LeakyReLU(negative_slope=1.5), layers.ELU(), layers.ELU(0.4),
    layers.Softmax(), layers.Softmax(axis=1), layers.Identity(),
], ids=repr)
@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 5)])
def test_activation_gradients(layer, shape, rng):
    check_layer_gradients(layer, rng.standard_normal(shape))


@pytest.mark.parametrize("kwargs, shape", [
    ({}, (3, 5)), ({"shared_axes": [1, 2]}, (2, 3, 4, 2)), ({"shared_axes": 1}, (3, 4, 2)),
])
def test_prelu_gradients_for_inputs_and_alpha(kwargs, shape, rng):
    layer = layers.PReLU(**kwargs)
    layer.build(shape[1:])
    layer.set_weights([rng.uniform(0.1, 0.9, layer.params["alpha"].shape)])
    check_layer_gradients(layer, rng.standard_normal(shape))


def test_that_an_inference_forward_leaves_the_training_state_for_backward(rng):
    # A persistent GradientTape may call predict between the forward pass and the gradient.
    x = rng.standard_normal((4, 6)).astype(np.float32)
    grad = rng.standard_normal((4, 6)).astype(np.float32)
    for layer in (layers.ReLU(negative_slope=0.1), layers.ELU(), layers.Softmax(),
                  layers.PReLU(alpha_initializer="ones")):
        layer(x, training=True)
        expected = layer.backward(grad)
        layer.forward(x, training=True)
        layer.inference_only = True
        layer.forward(rng.standard_normal((7, 6)).astype(np.float32))
        layer.inference_only = False
        np.testing.assert_array_equal(layer.backward(grad), expected)


# ----- models, specs and checkpoints -------------------------------------------------------------
def activation_model():
    inputs = Input((6, 6, 2))
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = layers.PReLU(shared_axes=[1, 2], alpha_initializer="random_uniform")(x)
    x = layers.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.05)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(8)(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.ELU(alpha=0.5)(x)
    x = layers.Identity()(x)
    x = layers.Dense(3)(x)
    return Model(inputs, layers.Softmax()(x))


def test_that_a_model_of_activation_layers_trains_and_round_trips_spec_and_checkpoint(
        tmp_path, rng):
    x = rng.standard_normal((16, 6, 6, 2)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    model = activation_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    alpha_before = model.get_layer("p_re_lu").get_weights()[0].copy()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert not np.allclose(model.get_layer("p_re_lu").get_weights()[0], alpha_before)

    spec = json.loads(json.dumps(model.to_spec()))
    rebuilt = Model.from_spec(spec)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "acts.lcm")
    loaded = load_model(tmp_path / "acts.lcm")
    assert loaded.to_spec() == model.to_spec()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ----- a Keras guide's models, imports changed -----------------------------------------------------
def test_the_gan_models_from_the_keras_custom_train_step_guide(rng):
    # keras-io guides/custom_train_step_in_tensorflow.py ("Wrapping up: an end-to-end GAN
    # example"): the two models copied as written, `from keras import layers` being engine's.
    # Create the discriminator
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )

    # Create the generator
    latent_dim = 128
    generator = keras.Sequential(
        [
            keras.Input(shape=(latent_dim,)),
            # We want to generate 128 coefficients to reshape into a 7x7x128 map
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )

    # The discriminator half of the guide's train_step, on 2 real and 2 generated images.
    batch_size = 2
    real_images = rng.random((batch_size, 28, 28, 1)).astype(np.float32)
    random_latent_vectors = rng.standard_normal((batch_size, latent_dim)).astype(np.float32)
    generated_images = backend.to_numpy(generator(random_latent_vectors))
    assert generated_images.shape == (2, 28, 28, 1)
    combined_images = np.concatenate([generated_images, real_images], axis=0)
    labels = np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))], axis=0)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    d_optimizer = keras.optimizers.Adam(learning_rate=0.0003)
    before = [w.copy() for w in discriminator.get_weights()]
    with keras.GradientTape() as tape:
        predictions = discriminator(combined_images)
        d_loss = loss_fn(labels, predictions)
    grads = tape.gradient(d_loss, discriminator.trainable_weights)
    d_optimizer.apply(grads, discriminator.trainable_weights)
    assert math.isfinite(float(d_loss))
    assert all(not np.array_equal(a, b) for a, b in zip(before, discriminator.get_weights()))

    # And a fit step of the generator on a tiny target (fit instead of the guide's GAN loop).
    generator.compile(optimizer=keras.optimizers.Adam(learning_rate=0.0003), loss="mse")
    history = generator.fit(random_latent_vectors, real_images, epochs=1, batch_size=2,
                            verbose=0)
    assert math.isfinite(history.history["loss"][0])


# ----- GPU ----------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("layer_fn", [
    lambda: layers.ReLU(max_value=1.0, negative_slope=0.2, threshold=0.1),
    lambda: layers.LeakyReLU(), lambda: layers.ELU(), lambda: layers.Softmax(axis=1),
    lambda: layers.PReLU(shared_axes=[1], alpha_initializer="random_uniform"),
    lambda: layers.Identity(),
])
def test_that_each_activation_layer_on_cupy_matches_numpy(layer_fn, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    upstream = rng.standard_normal(x.shape).astype(np.float32)
    cpu, gpu = layer_fn(), layer_fn()
    gpu.device = "gpu"
    cpu.build(x.shape[1:])
    gpu.build(x.shape[1:])
    gpu.set_weights(cpu.get_weights())
    y_gpu = gpu.forward(backend.to_device(x, "gpu"))
    dx_gpu = gpu.backward(backend.to_device(upstream, "gpu"))
    assert backend.is_gpu_array(y_gpu) and y_gpu.dtype == np.float32
    np.testing.assert_allclose(backend.to_numpy(y_gpu), cpu.forward(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(dx_gpu), cpu.backward(upstream), rtol=1e-5,
                               atol=1e-6)
    for key in cpu.grads:
        np.testing.assert_allclose(backend.to_numpy(gpu.grads[key]), cpu.grads[key], rtol=1e-4,
                                   atol=1e-5)
