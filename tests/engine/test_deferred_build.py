"""A Sequential without an Input builds from its first data or from build(batch_shape), and
Keras's input_shape= / input_dim= / batch_input_shape= on its first layer make its Input."""

import numpy as np
import pytest

from engine import Input, Model, Sequential, layers, load_model
from engine.data import Dataset
from engine.errors import ShapeError, SpecError
from engine.graph import ModelGraph


def unbuilt_mlp():
    model = Sequential()
    model.add(layers.Flatten())
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    return model


def images(rng, n=48):
    return rng.random((n, 28, 28)).astype(np.float32), rng.integers(0, 10, n)


# ----- the two seeds of the issue, imports changed only ---------------------------------------
def test_that_input_shape_on_the_first_layer_gives_a_model_that_trains_and_predicts(rng):
    from engine.layers import Dense
    from engine.models import Sequential

    model = Sequential([Dense(64, activation='relu', input_shape=(100,)),
                        Dense(10, activation='softmax')])
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])
    x = rng.random((64, 100))
    y = np.eye(10)[rng.integers(0, 10, 64)]
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert model.predict(x[:5]).shape == (5, 10)
    assert model.count_params() == 100 * 64 + 64 + 64 * 10 + 10


def test_that_a_sequential_built_by_add_without_input_trains_on_its_first_data(rng):
    from engine.layers import Dense, Flatten
    from engine.models import Sequential

    model = Sequential()
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dense(10, activation='softmax'))
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    x, y = images(rng)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.count_params() == 784 * 128 + 128 + 128 * 10 + 10


# ----- when the build happens ------------------------------------------------------------------
@pytest.mark.parametrize("first_use", ["predict", "call", "evaluate", "train_on_batch",
                                       "predict_on_batch", "fit_dataset"])
def test_that_every_first_use_of_data_builds_the_model(rng, first_use):
    model = unbuilt_mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = images(rng, 8)
    assert not model.built
    if first_use == "predict":
        model.predict(x)
    elif first_use == "call":
        model(x)
    elif first_use == "evaluate":
        model.evaluate(x, y, verbose=0)
    elif first_use == "train_on_batch":
        model.train_on_batch(x, y)
    elif first_use == "predict_on_batch":
        model.predict_on_batch(x)
    else:
        model.fit(Dataset.from_tensor_slices((x, y)).batch(4), epochs=1, verbose=0)
    assert model.built
    assert model.input_shapes == [(28, 28)]


def test_that_build_takes_the_batch_shape_as_keras_does():
    model = unbuilt_mlp()
    model.build((None, 28, 28))
    assert model.built and model.output_shapes == [(10,)]
    assert len(model.weights) == 4


def test_that_build_refuses_a_shape_without_the_batch_axis():
    model = Sequential([layers.Dense(4)])
    with pytest.raises(SpecError, match=r"batch axis first, e\.g\. input_shape=\(None, 28, 28\)"):
        model.build((784,))
    assert not model.built


def test_that_a_built_model_refuses_to_be_built_for_another_shape():
    model = Sequential([layers.Dense(4)])
    model.build((None, 8))
    model.build((None, 8))  # the same shape again is fine
    with pytest.raises(SpecError, match=r"already been configured to use input shape \(None, 8\)"):
        model.build((None, 9))


def test_that_an_empty_sequential_cannot_be_built():
    with pytest.raises(SpecError, match="has no layers. Call `model.add"):
        Sequential(name="empty").build((None, 3))


def test_that_data_that_does_not_fit_leaves_the_model_unbuilt(rng):
    model = Sequential([layers.Conv2D(4, 3)])
    with pytest.raises(SpecError, match="cannot be built"):
        model.predict(rng.random((2, 5)))
    assert not model.built
    assert model.predict(rng.random((2, 5, 5, 1))).shape == (2, 3, 3, 4)


def test_that_a_later_call_with_other_features_names_both_shapes(rng):
    model = unbuilt_mlp()
    model.predict(rng.random((2, 28, 28)))
    with pytest.raises(ShapeError, match=r"expects shape \(None, 28, 28\).*\(None, 8, 8\)"):
        model.predict(rng.random((2, 8, 8)))


def test_that_compile_before_the_build_checks_its_arguments_at_once():
    model = unbuilt_mlp()
    with pytest.raises(SpecError, match="Unknown loss"):
        model.compile(optimizer="adam", loss="not_a_loss")
    assert not model.compiled


def test_that_layers_added_after_the_build_train_with_the_compiled_loss(rng):
    model = Sequential([layers.Dense(8, activation="relu")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = rng.random((32, 5)), rng.integers(0, 3, 32)
    model.predict(x)
    model.add(layers.Dense(3, activation="softmax"))
    logs = model.fit(x, y, epochs=1, verbose=0).history
    assert set(logs) >= {"loss", "accuracy"}
    assert model.output_shapes == [(3,)]


def test_that_a_failed_add_leaves_the_model_as_it_was():
    model = Sequential([Input((4,)), layers.Dense(3)])
    with pytest.raises(SpecError):
        model.add(layers.Conv2D(2, 3))
    assert [layer.name for layer in model.layers] == ["dense"]
    assert model.built


# ----- summary before the build ---------------------------------------------------------------
def test_that_summary_before_the_build_shows_unbuilt_layers_and_how_to_build():
    lines = []
    text = unbuilt_mlp().summary(print_fn=lines.append)
    assert lines == [text]
    assert "flatten (Flatten)" in text and "dense (Dense)" in text
    assert text.count("0 (unbuilt)") == 3 and "│ ?" in text
    assert " Total params: 0 (0.00 B)" in text
    assert "model.build((None, *sample_shape))" in text


# ----- Keras's legacy input arguments --------------------------------------------------------
@pytest.mark.parametrize("kwargs, shape, batch", [
    ({"input_dim": 100}, (100,), None),
    ({"input_shape": (28, 28)}, (28, 28), None),
    ({"input_shape": (8,), "batch_size": 16}, (8,), 16),
    ({"batch_input_shape": (None, 6)}, (6,), None),
    ({"batch_input_shape": (4, 6)}, (6,), 4),
])
def test_that_legacy_input_arguments_on_the_first_layer_make_the_input(kwargs, shape, batch):
    model = Sequential([layers.Dense(2, **kwargs)])
    assert model.built and model.input_shapes == [shape]
    assert model.inputs[0].shape == (batch, *shape)


def test_that_input_shape_on_a_later_layer_is_ignored_as_in_keras():
    model = Sequential([layers.Dense(3, input_shape=(5,)), layers.Dense(2, input_shape=(99,))])
    assert model.input_shapes == [(5,)]
    assert model.layers[1].get_weights()[0].shape == (3, 2)


def test_that_input_shape_in_the_functional_api_is_ignored_as_in_keras():
    x = Input((5,))
    y = layers.Dense(2, input_shape=(99,))(x)
    assert Model(x, y).count_params() == 12


def test_that_input_shape_stays_out_of_the_layer_config():
    assert "input_shape" not in layers.Dense(2, input_shape=(5,)).get_config()


@pytest.mark.parametrize("kwargs, message", [
    ({"input_shape": (5,), "input_dim": 5}, "pass only one of `input_shape`, `input_dim`"),
    ({"batch_size": 8}, "`batch_size` goes with `input_shape`"),
    ({"input_shape": (0, 3)}, r"`input_shape` must be a tuple of positive integers"),
    ({"input_dim": 2.5}, "`input_dim` must be a positive integer"),
    ({"batch_input_shape": (5,)}, r"batch axis first, e\.g\. batch_input_shape=\(None"),
])
def test_that_bad_legacy_input_arguments_name_the_layer_and_the_fix(kwargs, message):
    with pytest.raises(SpecError, match=message) as info:
        layers.Dense(2, name="head", **kwargs)
    assert "Layer 'head' (Dense)" in str(info.value)


# ----- Input(...) ---------------------------------------------------------------------------
def test_that_input_keeps_batch_size_dtype_and_name():
    x = Input(shape=(4,), batch_size=32, dtype="int32", name="ids")
    assert x.shape == (32, 4) and x.dtype == "int32" and x.name == "ids"
    assert Input(batch_shape=(None, 3)).shape == (None, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"shape": (4,), "sparse": True}, "does not support `sparse` inputs"),
    ({"shape": (4,), "ragged": True}, "does not support `ragged` inputs"),
    ({"shape": (4,), "tensor": np.zeros((1, 4))}, "does not support `tensor` inputs"),
    ({"shape": (4,), "dtype": "string"}, "`dtype` must name a numeric type"),
    ({"shape": (4,), "batch_shape": (None, 4)}, "either `batch_shape` or `shape`"),
    ({"shape": (4,), "batch_size": 0}, "`batch_size` must be a positive integer"),
])
def test_that_input_refuses_what_layercraft_cannot_take_with_a_message(kwargs, message):
    with pytest.raises(SpecError, match=message):
        Input(name="x", **kwargs)


# ----- after the build: spec, canvas, saving ------------------------------------------------
def test_that_the_built_spec_starts_with_an_input_of_the_built_shape(rng):
    model = unbuilt_mlp()
    model.predict(rng.random((2, 28, 28)))
    spec = model.to_spec()
    first = spec["layers"][0]
    assert first["class_name"] == "Input" and first["config"]["shape"] == [28, 28]
    analysis = ModelGraph.from_spec(spec).analyze()  # what the canvas loads
    assert analysis.ok and analysis.shapes[first["name"]] == (28, 28)


def test_that_an_unbuilt_sequential_has_no_spec_and_says_how_to_build():
    with pytest.raises(SpecError, match=r"no Input to save yet.*model\.build\(\(None"):
        unbuilt_mlp().to_spec()


def test_that_a_deferred_model_saves_and_loads_with_its_predictions(rng, tmp_path):
    model = unbuilt_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = images(rng, 16)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "deferred.lcm")
    loaded = load_model(tmp_path / "deferred.lcm")
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
