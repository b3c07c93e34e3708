"""A model called on a symbolic tensor is one node of the outer model (Keras's
`encoder(img)`): it trains with the outer model, shares its weights with the inner model
object, and is saved as data (the inner spec) with its weights."""

import json

import numpy as np
import pytest

import engine
import engine as keras
from engine import layers
from engine.errors import ShapeError, SpecError


def autoencoder_from_the_guide():
    # keras-io guides/functional_api.py, "All models are callable, just like layers",
    # imports changed (`import engine as keras`, `from engine import layers`).
    encoder_input = keras.Input(shape=(28, 28, 1), name="original_img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)

    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    encoder.summary(print_fn=lambda *_: None)

    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    x = layers.Reshape((4, 4, 1))(decoder_input)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)

    decoder = keras.Model(decoder_input, decoder_output, name="decoder")
    decoder.summary(print_fn=lambda *_: None)

    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
    autoencoder.summary(print_fn=lambda *_: None)
    return encoder, decoder, autoencoder


def test_that_the_guides_autoencoder_nests_two_models_as_nodes(rng):
    encoder, decoder, autoencoder = autoencoder_from_the_guide()
    spec = autoencoder.to_spec()
    nodes = {e["name"]: e for e in spec["layers"]}
    assert nodes["encoder"]["class_name"] == "Model"
    assert nodes["encoder"]["config"]["spec"] == encoder.to_spec()
    assert nodes["decoder"]["inputs"] == ["encoder"]
    assert autoencoder.output_shapes == [(28, 28, 1)]
    assert autoencoder.count_params() == encoder.count_params() + decoder.count_params()
    images = rng.random((4, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(autoencoder.predict(images, verbose=0),
                               decoder.predict(encoder.predict(images, verbose=0), verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_that_fitting_the_autoencoder_trains_the_encoders_own_weights(rng, tmp_path):
    encoder, _, autoencoder = autoencoder_from_the_guide()
    images = rng.random((16, 28, 28, 1)).astype("float32")
    before = encoder.get_weights()
    autoencoder.compile(optimizer="adam", loss="mse")
    history = autoencoder.fit(images, images, epochs=3, batch_size=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert any(np.abs(b - a).max() > 0 for b, a in zip(before, encoder.get_weights()))
    path = tmp_path / "autoencoder.lcm"
    autoencoder.save(path)
    loaded = engine.load_model(path)
    np.testing.assert_array_equal(loaded.predict(images, verbose=0),
                                  autoencoder.predict(images, verbose=0))
    inner = loaded.get_layer("encoder")  # answers as the encoder model, as in Keras
    np.testing.assert_array_equal(inner.predict(images, verbose=0),
                                  encoder.predict(images, verbose=0))
    assert json.loads(json.dumps(loaded.to_spec())) == autoencoder.to_spec()


def test_that_the_guides_ensemble_of_three_models_trains(rng):
    # keras-io guides/functional_api.py, the ensembling example after the autoencoder.
    def get_model():
        inputs = keras.Input(shape=(128,))
        outputs = layers.Dense(1)(inputs)
        return keras.Model(inputs, outputs)

    model1 = get_model()
    model2 = get_model()
    model3 = get_model()

    inputs = keras.Input(shape=(128,))
    y1 = model1(inputs)
    y2 = model2(inputs)
    y3 = model3(inputs)
    outputs = layers.average([y1, y2, y3])
    ensemble_model = keras.Model(inputs=inputs, outputs=outputs)

    x = rng.normal(size=(32, 128)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    ensemble_model.compile(optimizer="adam", loss="mse")
    history = ensemble_model.fit(x, y, epochs=4, verbose=0).history["loss"]
    assert history[-1] < history[0]
    expected = np.mean([m.predict(x, verbose=0) for m in (model1, model2, model3)], axis=0)
    np.testing.assert_allclose(ensemble_model.predict(x, verbose=0), expected, rtol=1e-5,
                               atol=1e-6)


def test_that_a_sequential_without_input_builds_when_called_and_stays_sequential(rng):
    head = keras.Sequential([layers.Dense(3, activation="relu"), layers.Dense(2)], name="head")
    inputs = keras.Input((5,))
    model = keras.Model(inputs, head(inputs) * 0.5)
    node = model.to_spec()["layers"][1]
    assert node["config"]["model_class"] == "Sequential"
    again = keras.Model.from_spec(model.to_spec())
    assert type(again.get_layer("head").model).__name__ == "Sequential"
    x = rng.normal(size=(4, 5)).astype("float32")
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x, verbose=0), head.predict(x, verbose=0) * 0.5,
                               rtol=1e-6)


def test_that_a_model_called_on_the_wrong_shape_says_what_it_expects():
    inner = _dense_model(4)
    with pytest.raises(ShapeError, match=r"expects input shape \(None, 4\)"):
        inner(keras.Input((5,)))


def test_that_calling_one_model_twice_in_a_graph_is_refused_with_a_way_out():
    inner = _dense_model(4)
    x = keras.Input((4,))
    twice = inner(inner(layers.Dense(4)(x)))
    with pytest.raises(SpecError, match="called 2 times"):
        keras.Model(x, twice)


@pytest.mark.parametrize("config,message", [
    ({"spec": None}, "needs its model's spec"),
    ({"spec": {"layers": []}, "model_class": "Subclassed"}, "model_class"),
])
def test_that_a_damaged_nested_model_entry_is_refused(config, message):
    with pytest.raises(SpecError, match=message):
        engine.nested.ModelNode(**config)


def test_that_nesting_deeper_than_the_limit_is_refused():
    spec = _dense_model(2).to_spec()
    for _ in range(engine.nested.MAX_NESTING + 1):
        spec = {"format": "layercraft.model", "version": 1, "name": "outer",
                "layers": [{"name": "input", "class_name": "Input", "config": {"shape": [2]},
                            "inputs": []},
                           {"name": "inner", "class_name": "Model", "config": {"spec": spec},
                            "inputs": ["input"]}],
                "outputs": ["inner"]}
    with pytest.raises(SpecError, match="nest more than"):
        keras.Model.from_spec(spec)


def _dense_model(width):
    inputs = keras.Input((width,))
    return keras.Model(inputs, layers.Dense(width)(inputs))
