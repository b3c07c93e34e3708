"""The Keras model surface: inputs/outputs, layer.input/output, get_layer, to_json and
model_from_json, clone_model, weights, evaluate(return_dict=True)."""

import json

import numpy as np
import pytest

from engine import Input, Model, Sequential, layers, registry
from engine.errors import SpecError
from engine.models import clone_model, model_from_json
from engine.symbolic import SymbolicTensor


def small_sequential():
    return Sequential([Input((4,), name="features"), layers.Dense(8, activation="relu",
                                                                  name="hidden"),
                       layers.Dense(3, activation="softmax", name="probs")], name="small")


def shared_functional():
    x = Input((4,), name="x")
    shared = layers.Dense(4, activation="tanh", name="shared")
    y = layers.Dense(2, name="head")(shared(shared(x)))
    return Model(x, y, name="twice")


# ----- symbolic inputs and outputs -------------------------------------------------------------
def test_that_a_functional_model_keeps_the_tensors_it_was_made_from():
    x = Input((4,))
    y = layers.Dense(2)(x)
    model = Model(x, y)
    assert model.inputs == [x] and model.outputs == [y]
    assert model.input is x and model.output is y


def test_that_symbolic_tensors_have_a_batch_axis_of_none_and_float32():
    model = small_sequential()
    (tensor,) = model.outputs
    assert isinstance(tensor, SymbolicTensor)
    assert tensor.shape == (None, 3) and tensor.dtype == "float32" and tensor.ndim == 2
    assert model.inputs[0].shape == (None, 4)


def test_that_an_unbuilt_sequential_has_no_inputs_and_says_how_to_build():
    model = Sequential([layers.Dense(2)], name="later")
    with pytest.raises(AttributeError, match=r"'later' has no defined inputs yet.*build\("):
        _ = model.inputs
    with pytest.raises(AttributeError, match="has no defined outputs yet"):
        _ = model.outputs


def test_that_layer_input_and_output_follow_the_model_graph():
    model = small_sequential()
    hidden, probs = model.layers
    assert hidden.input is model.inputs[0]
    assert probs.input is hidden.output
    assert probs.output is model.outputs[0]


def test_that_a_layer_called_twice_gives_its_first_call_as_keras_3_does():
    model = shared_functional()
    shared = model.get_layer("shared")
    assert shared.input is model.inputs[0]
    assert shared.output.shape == (None, 4)
    assert model.get_layer("head").input is not shared.output  # the second call feeds head


def test_that_a_layer_never_called_has_no_output():
    with pytest.raises(AttributeError, match="dense has never been called and thus has no "
                                             "defined output"):
        _ = layers.Dense(2).output


def test_that_a_model_read_from_a_spec_has_layer_outputs_too():
    model = Model.from_spec(small_sequential().to_spec())
    assert model.get_layer("probs").output is model.outputs[0]


def test_that_layer_outputs_make_a_feature_extractor_over_the_same_weights(rng):
    model = small_sequential()
    extractor = Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = rng.random((5, 4)).astype(np.float32)
    hidden, probs = extractor.predict(x)
    np.testing.assert_allclose(probs, model.predict(x), rtol=1e-6)
    assert hidden.shape == (5, 8)


def test_that_a_model_still_trains_after_a_feature_extractor_shares_its_layers(rng):
    model = small_sequential()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    Model(inputs=model.inputs, outputs=model.get_layer("hidden").output)
    before = model.get_weights()[0].copy()
    model.fit(rng.random((16, 4)), rng.integers(0, 3, 16), epochs=1, verbose=0)
    assert not np.allclose(model.get_weights()[0], before)


# ----- weights ----------------------------------------------------------------------------------
def test_that_weights_are_empty_until_the_build_then_in_keras_order(rng):
    layer = layers.Dense(3)
    assert layer.weights == []
    layer(np.ones((1, 4), dtype=np.float32))
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]
    model = Sequential([layers.Dense(2), layers.Dense(3)])
    assert model.weights == []
    model(np.ones((3, 3), dtype=np.float32))
    assert len(model.weights) == 4


# ----- get_layer --------------------------------------------------------------------------------
def test_that_get_layer_finds_by_name_or_by_index():
    model = small_sequential()
    assert model.get_layer("probs").name == "probs"
    assert model.get_layer(name="hidden") is model.get_layer(index=0)


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "hidden", "index": 0}, ("Provide only a layer name or a layer index. "
                                      "Received: index=0, name=hidden")),
    ({"index": 5}, "Was asked to retrieve layer at index 5 but model 'small' only has 2 layers"),
    ({"name": "nope"}, r"No such layer: nope. Existing layers are: \['hidden', 'probs'\]"),
    ({}, "Provide either a layer name or layer index at `get_layer`"),
])
def test_that_get_layer_errors_say_what_keras_says(kwargs, message):
    with pytest.raises(SpecError, match=message):
        small_sequential().get_layer(**kwargs)


# ----- JSON ---------------------------------------------------------------------------------------
def test_that_to_json_and_model_from_json_rebuild_the_architecture_with_fresh_weights(rng):
    model = shared_functional()
    text = model.to_json(indent=2)
    assert json.loads(text) == model.to_spec()
    rebuilt = model_from_json(text)
    assert rebuilt.to_spec() == model.to_spec()
    assert not np.allclose(rebuilt.get_weights()[0], model.get_weights()[0])
    rebuilt.set_weights(model.get_weights())
    x = rng.random((3, 4)).astype(np.float32)
    np.testing.assert_allclose(rebuilt.predict(x), model.predict(x), rtol=1e-6)


def test_that_model_from_json_names_every_unknown_class():
    spec = small_sequential().to_spec()
    spec["layers"][1]["class_name"] = "MyDense"
    with pytest.raises(SpecError, match=r"'hidden' \(MyDense\).*register_keras_serializable"):
        model_from_json(json.dumps(spec))


def test_that_custom_objects_resolve_only_the_names_they_pass():
    text = small_sequential().to_json()
    assert model_from_json(text, custom_objects={"Dense": layers.Dense}).count_params() > 0

    class MyDense(layers.Dense):
        pass

    spec = small_sequential().to_spec()
    spec["layers"][1]["class_name"] = "MyDense"
    loaded = model_from_json(json.dumps(spec), custom_objects={"MyDense": MyDense})
    assert type(loaded.get_layer("hidden")) is MyDense
    with pytest.raises(SpecError, match=r"'hidden' \(MyDense\)"):
        model_from_json(json.dumps(spec), custom_objects={"OtherDense": MyDense})
    assert "MyDense" not in registry.names("layer")  # passing registers nothing


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ('{"class_name": "Sequential", "config": {}}', "this is a Keras model config"),
    ("[1, 2]", "expected a LayerCraft model spec"),
])
def test_that_model_from_json_refuses_what_is_not_a_spec(text, message):
    with pytest.raises(SpecError, match=message):
        model_from_json(text)


def test_that_sequential_from_config_refuses_a_model_that_is_not_a_chain():
    x = Input((4,))
    y = layers.Add()([x, layers.Dense(4)(x)])
    with pytest.raises(SpecError, match="is not a chain of layers.*Model.from_config"):
        Sequential.from_config(Model(x, y, name="residual").get_config())


# ----- clone_model ----------------------------------------------------------------------------
def test_that_clone_model_copies_the_architecture_but_not_the_weights():
    model = small_sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    clone = clone_model(model)
    assert isinstance(clone, Sequential) and clone is not model
    assert clone.to_spec() == model.to_spec()
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])
    assert clone.compiled and clone.compile_config == model.compile_config
    assert clone.optimizer is not model.optimizer


def test_that_a_cloned_functional_model_keeps_a_shared_layer_shared():
    model = shared_functional()
    clone = clone_model(model)
    assert clone.to_spec() == model.to_spec()
    assert clone.count_params() == model.count_params() == 20 + 10


def test_that_an_unbuilt_sequential_clones_unbuilt():
    clone = clone_model(Sequential([layers.Dense(2, name="a")]))
    assert not clone.built and [layer.name for layer in clone.layers] == ["a"]


def test_that_clone_function_and_input_tensors_shape_the_clone():
    def wider(layer):
        config = layer.get_config()
        if layer.name == "hidden":
            config["units"] = 16
        return type(layer).from_config(config)

    clone = clone_model(small_sequential(), clone_function=wider,
                        input_tensors=Input((4,), name="new_input"))
    assert clone.input_names == ["new_input"]
    assert clone.get_layer("hidden").units == 16


def test_that_call_function_inserts_layers_in_a_functional_clone():
    def add_dropout(layer, inputs):
        out = layer(inputs)
        return layers.Dropout(0.5)(out) if layer.name == "head" else out

    clone = clone_model(shared_functional(), call_function=add_dropout)
    assert type(clone.layers[-1]).__name__ == "Dropout"


def test_that_call_function_is_refused_for_a_sequential_as_in_keras():
    with pytest.raises(SpecError, match="`call_function` argument is not supported with "
                                        "Sequential models"):
        clone_model(small_sequential(), call_function=lambda layer, x: layer(x))


# ----- evaluate ---------------------------------------------------------------------------------
def test_that_evaluate_returns_a_dict_of_loss_and_metrics_when_asked(rng):
    model = small_sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = rng.random((10, 4)), rng.integers(0, 3, 10)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert [logs["loss"], logs["accuracy"]] == model.evaluate(x, y, verbose=0)


# ----- snippets of the Keras guide "Serialization and saving" (keras-io
# guides/serialization_and_saving.py), imports changed only -----------------------------------
def test_the_guide_config_round_trips_for_a_layer_a_sequential_and_a_functional_model():
    import engine as keras

    layer = keras.layers.Dense(3, activation="relu")
    layer_config = layer.get_config()
    new_layer = keras.layers.Dense.from_config(layer_config)
    assert new_layer.get_config() == layer_config

    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    config = model.get_config()
    new_model = keras.Sequential.from_config(config)
    assert isinstance(new_model, keras.Sequential) and new_model.get_config() == config

    inputs = keras.Input((32,))
    outputs = keras.layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    new_model = keras.Model.from_config(config)
    assert new_model.get_config() == config


def test_the_guide_to_json_and_clone_model_snippets():
    import engine as keras

    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
    json_config = model.to_json()
    new_model = keras.models.model_from_json(json_config)
    assert new_model.to_spec() == model.to_spec()

    new_model = keras.models.clone_model(model)
    assert new_model.to_spec() == model.to_spec()


def test_the_guide_extracts_part_of_a_functional_model_through_layer_input(capsys):
    import engine as keras

    inputs = keras.Input(shape=(784,), name="digits")
    x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = keras.layers.Dense(10, name="predictions")(x)
    functional_model = keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    # Extract a portion of the functional model defined in the Setup section.
    # The following lines produce a new model that excludes the final output
    # layer of the functional model.
    pretrained = keras.Model(
        functional_model.inputs, functional_model.layers[-1].input, name="pretrained_model"
    )
    pretrained.summary()
    assert "dense_2 (Dense)" in capsys.readouterr().out
    assert pretrained.output_shapes == [(64,)]


def test_the_guide_stacks_layers_extracted_from_a_functional_model_in_a_sequential(capsys):
    import engine as keras

    def create_functional_model():
        inputs = keras.Input(shape=(784,), name="digits")
        x = keras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
        x = keras.layers.Dense(64, activation="relu", name="dense_2")(x)
        outputs = keras.layers.Dense(10, name="predictions")(x)
        return keras.Model(inputs=inputs, outputs=outputs, name="3_layer_mlp")

    pretrained_model = create_functional_model()

    # Create a new model by extracting layers from the original model:
    extracted_layers = pretrained_model.layers[:-1]
    extracted_layers.append(keras.layers.Dense(5, name="dense_3"))
    model = keras.Sequential(extracted_layers)
    model.summary()
    assert "dense_3 (Dense)" in capsys.readouterr().out
    assert model.get_layer("dense_1") is pretrained_model.get_layer("dense_1")
    assert model.output_shapes == [(5,)]
