"""Export to Keras 3 `.keras` files: Keras's own `load_model` opens them and predicts what the
engine predicts (within 1e-4 on a fixed batch). Tests that need Keras (torch backend) are
marked `interop`; the ones that need only h5py skip without it."""

import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest

import engine
from engine import Input, Model, Sequential, layers, registry
from engine.errors import LayerCraftError, SpecError
from engine.interop import keras_export
from tests.engine import keras_layer_cases
from tests.engine.keras_layer_cases import (
    CASES,
    KERAS_PREDICT_DIFFERS,
    TOLERANCE,
    case_inputs,
    case_model,
    max_difference,
    random_weights,
)

keras, h5py = keras_layer_cases.keras, keras_layer_cases.h5py  # the shared fixtures


def randomize(model, rng):
    names = [f"{la.name}/{k}" for la in model.layers for k in la.params]
    model.set_weights(random_weights(model.get_weights(), names, rng))


def keras_difference(keras, model, path, inputs):
    """Exports `model`, loads it with Keras, returns the largest prediction difference."""
    keras_export.export(model, path)
    loaded = keras.models.load_model(path)
    x = inputs if len(inputs) > 1 else inputs[0]
    return max_difference(model.predict(x, verbose=0), loaded.predict(x, verbose=0)), loaded


def mlp():
    return Sequential([Input((8,)), layers.Dense(16, activation="relu"),
                       layers.Dense(3, activation="softmax")], name="mlp")


@pytest.mark.interop
def test_that_keras_opens_an_exported_mlp_and_predicts_the_same(keras, tmp_path, rng):
    model = mlp()
    randomize(model, rng)
    model.compile(optimizer=engine.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = rng.normal(size=(16, 8)).astype("float32")
    difference, loaded = keras_difference(keras, model, tmp_path / "mlp.keras", [x])
    assert difference < TOLERANCE
    assert type(loaded).__name__ == "Sequential" and loaded.name == "mlp"
    assert type(loaded.optimizer).__name__ == "Adam"
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    assert loaded.loss == "sparse_categorical_crossentropy"


@pytest.mark.interop
def test_that_a_learning_rate_schedule_and_loss_objects_reach_keras(keras, tmp_path):
    model = mlp()
    schedule = engine.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    model.compile(optimizer=engine.optimizers.SGD(schedule, momentum=0.9),
                  loss=engine.losses.Huber(), metrics=[engine.metrics.MeanAbsoluteError()])
    keras_export.export(model, tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer).__name__ == "SGD" and loaded.optimizer.momentum == 0.9
    assert type(loaded.optimizer._learning_rate).__name__ == "ExponentialDecay"
    assert type(loaded.loss).__name__ == "Huber"


@pytest.mark.interop
def test_that_keras_opens_an_exported_cnn_and_predicts_the_same(keras, tmp_path, rng):
    model = Sequential([Input((12, 12, 3)), layers.Conv2D(4, 3, activation="relu"),
                        layers.BatchNormalization(), layers.MaxPooling2D(),
                        layers.Dropout(0.3), layers.Flatten(), layers.Dense(2)])
    x = rng.normal(size=(16, 12, 12, 3)).astype("float32")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, rng.normal(size=(16, 2)).astype("float32"), epochs=2, verbose=0)
    difference, loaded = keras_difference(keras, model, tmp_path / "cnn.keras", [x])
    assert difference < TOLERANCE
    assert [la.__class__.__name__ for la in loaded.layers] == [
        "Conv2D", "BatchNormalization", "MaxPooling2D", "Dropout", "Flatten", "Dense"]


@pytest.mark.interop
@pytest.mark.parametrize("reset_after", [True, False])
def test_that_keras_opens_an_exported_rnn_model_and_predicts_the_same(keras, tmp_path, rng,
                                                                       reset_after):
    model = Sequential([Input((7,)), layers.Embedding(20, 4), layers.LSTM(5, return_sequences=True),
                        layers.GRU(3, reset_after=reset_after), layers.Dense(1)])
    randomize(model, rng)
    x = rng.integers(0, 20, size=(16, 7)).astype("float32")
    difference, loaded = keras_difference(keras, model, tmp_path / "rnn.keras", [x])
    assert difference < TOLERANCE
    gru = loaded.layers[2]
    assert gru.reset_after is reset_after
    assert tuple(gru.cell.bias.shape) == ((2, 9) if reset_after else (9,))


@pytest.mark.interop
def test_that_keras_opens_an_exported_functional_model_with_merges(keras, tmp_path, rng):
    a, b = Input((6,), name="a"), Input((6,), name="b")
    h = layers.Dense(4, activation="tanh")(a)
    g = layers.Dense(4)(b)
    merged = layers.Concatenate()([layers.Add()([h, g]), h])
    model = Model([a, b], [layers.Dense(2)(merged), layers.Dense(1, activation="sigmoid")(g)])
    randomize(model, rng)
    inputs = [rng.normal(size=(16, 6)).astype("float32") for _ in range(2)]
    difference, loaded = keras_difference(keras, model, tmp_path / "merge.keras", inputs)
    assert difference < TOLERANCE
    assert [t.name for t in loaded.inputs] == ["a", "b"]


@pytest.mark.interop
def test_that_a_shared_layer_and_recurrent_states_export_as_keras_calls(keras, tmp_path, rng):
    sequence, h0, c0 = Input((5, 4)), Input((4,)), Input((4,))
    shared = layers.Dense(4, name="shared")
    outputs, h, c = layers.LSTM(4, return_state=True)(shared(sequence), initial_state=[h0, c0])
    again = shared(layers.RepeatVector(2)(outputs))
    model = Model([sequence, h0, c0], [again, layers.Add()([h, c])])
    randomize(model, rng)
    inputs = [rng.normal(size=(8, *shape)).astype("float32") for shape in ((5, 4), (4,), (4,))]
    difference, loaded = keras_difference(keras, model, tmp_path / "shared.keras", inputs)
    assert difference < TOLERANCE
    assert len(loaded.get_layer("shared")._inbound_nodes) == 2


@pytest.mark.interop
def test_that_a_causal_attention_mask_becomes_a_keras_call_argument(keras, tmp_path, rng):
    x = Input((5, 4))
    attended = layers.MultiHeadAttention(2, 3, use_causal_mask=True)(x, x)
    model = Model(x, layers.Attention(use_causal_mask=True)([attended, x]))
    randomize(model, rng)
    inputs = [rng.normal(size=(4, 5, 4)).astype("float32")]
    difference, _ = keras_difference(keras, model, tmp_path / "causal.keras", inputs)
    assert difference < TOLERANCE


@pytest.mark.interop
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_that_every_engine_layer_exports_to_the_same_keras_prediction(keras, tmp_path, rng,
                                                                       case):
    model = case_model(engine, case)
    randomize(model, rng)
    if case[0] in KERAS_PREDICT_DIFFERS:
        keras_export.export(model, tmp_path / "layer.keras")
        loaded = keras.models.load_model(tmp_path / "layer.keras").layers[-1]
        assert {k: loaded.get_config()[k] for k in case[2]} == case[2]
        return
    difference, _ = keras_difference(keras, model, tmp_path / "layer.keras",
                                     case_inputs(case, rng))
    assert difference < TOLERANCE


def test_that_the_cases_cover_every_built_in_layer():
    covered = {case[1] for case in CASES} | {"Input"}
    built_in = {registry.class_name_of(c) for c in registry.classes("layer")
                if c.__module__.startswith("engine.layers")}
    assert built_in - covered == set()


def test_that_the_archive_has_keras_members_and_layer_paths(h5py, tmp_path, rng):
    model = mlp()
    path = tmp_path / "mlp.keras"
    assert keras_export.export(model, path) == []
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        archive.extract("model.weights.h5", tmp_path)
    with h5py.File(tmp_path / "model.weights.h5") as h5:
        kernel = h5["layers/dense_1/vars/0"][()]
        assert h5["layers/dense_1/vars"].attrs["name"] == model.layers[1].name
    np.testing.assert_array_equal(kernel, model.layers[1].get_weights()[0])


def test_that_a_layercraft_only_metric_is_left_out_with_a_note(h5py, tmp_path):
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", engine.metrics.ConfusionMatrix(num_classes=3)])
    notes = keras_export.export(model, tmp_path / "m.keras")
    assert notes == [("The metric ConfusionMatrix is LayerCraft's own; Keras has no such "
                      "class, so it is left out of the compile settings.")]


def test_that_a_path_without_the_keras_suffix_is_refused(h5py, tmp_path):
    with pytest.raises(SpecError, match=r"Keras files must end in \.keras.*'.*m\.keras'"):
        keras_export.export(mlp(), tmp_path / "m.h5")


def test_that_a_user_registered_layer_is_named_and_refused(h5py, tmp_path):
    @registry.register("layer")
    class Doubler(layers.Identity):
        def forward(self, x, training=False):
            return 2 * x

    try:
        model = Sequential([Input((3,)), Doubler(name="twice")])
        with pytest.raises(SpecError, match=r"Layer 'twice' \(Doubler\) is not one of "
                                            r"LayerCraft's built-in layers"):
            keras_export.export(model, tmp_path / "m.keras")
    finally:
        registry._REGISTRIES["layer"].pop("Doubler")
    assert not (tmp_path / "m.keras").exists()


def test_that_without_h5py_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(LayerCraftError, match=r'pip install "layercraft\[keras\]"'):
        keras_export.export(mlp(), tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_that_an_unbuilt_sequential_is_refused(h5py, tmp_path):
    with pytest.raises(SpecError, match="not built yet"):
        keras_export.export(Sequential([layers.Dense(2)]), tmp_path / "m.keras")



@pytest.mark.interop
def test_model_save_with_a_keras_name_writes_keras_format_that_both_open(keras, tmp_path):
    """Keras's habit `model.save("name.keras")` gives a real .keras file, not a checkpoint
    under that name: Keras and `engine.load_model` both read it back."""
    engine.backend.set_seed(0)
    model = Sequential([Input((5,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    path = tmp_path / "mine.keras"
    model.save(path)
    assert "config.json" in zipfile.ZipFile(path).namelist()
    x = np.random.default_rng(0).random((4, 5)).astype("float32")
    np.testing.assert_allclose(engine.load_model(path).predict(x), model.predict(x), atol=1e-6)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0),
                               model.predict(x), atol=1e-5)


def test_an_op_node_is_refused_by_the_keras_export_with_what_to_do_instead(h5py, tmp_path):
    from engine import ops

    x = Input((4,))
    model = Model(x, ops.relu(layers.Dense(2)(x)) * 2.0)
    with pytest.raises(SpecError, match=r"engine.ops operation.*\.lcm"):
        keras_export.export(model, tmp_path / "ops.keras")
    assert not (tmp_path / "ops.keras").exists()


def test_model_save_keeps_what_keras_cannot_hold_as_a_checkpoint_and_says_why(h5py, tmp_path):
    """As the keras-io guides do with custom classes: `save("m.keras")`, then load it."""
    from engine import ops

    x = Input((4,))
    model = Model(x, ops.relu(layers.Dense(2)(x)) * 2.0)
    with pytest.warns(UserWarning, match=r"LayerCraft checkpoint, which Keras cannot open.*"
                                         r"engine.ops operation"):
        model.save(tmp_path / "ops.keras")
    data = np.ones((1, 4), "float32")
    np.testing.assert_array_equal(engine.load_model(tmp_path / "ops.keras").predict(data),
                                  model.predict(data))


def test_without_h5py_a_keras_name_keeps_a_checkpoint_that_load_model_reads(tmp_path,
                                                                           monkeypatch):
    """The core install has no h5py: `model.save("m.keras")` still saves everything (a
    LayerCraft checkpoint, with a warning that Keras cannot open it) and loads back."""
    from engine.interop import keras_weights

    def missing():
        raise LayerCraftError("no h5py here")

    monkeypatch.setattr(keras_weights, "h5py_module", missing)
    model = Sequential([Input((3,)), layers.Dense(2)])
    with pytest.warns(UserWarning, match="LayerCraft checkpoint, which Keras cannot open"):
        model.save(tmp_path / "m.keras")
    x = np.ones((1, 3), "float32")
    np.testing.assert_array_equal(engine.load_model(tmp_path / "m.keras").predict(x),
                                  model.predict(x))
