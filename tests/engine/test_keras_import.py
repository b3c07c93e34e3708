"""Opening Keras 3 `.keras` files: models built and saved by Keras itself load in the engine
and predict what Keras predicts (within 1e-4 on a fixed batch); Lambda layers, custom
classes and layers the engine does not have are refused by name, with no partial model.

Tests that need Keras (torch backend) are marked `interop`; the file-safety tests build
their files with the engine's exporter and need only h5py."""

import io
import json
import os
import sys
import zipfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import pytest

import engine
from engine import Input, Sequential, layers
from engine.errors import CheckpointError, LayerCraftError
from engine.interop import keras_export, keras_import
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


def randomize(keras_model, rng):
    weights = keras_model.get_weights()
    keras_model.set_weights(random_weights(weights, [w.path for w in keras_model.weights], rng))


def saved(keras_model, path, rng):
    randomize(keras_model, rng)
    keras_model.save(path)
    return path


def engine_difference(keras_model, path, inputs, rng):
    """Saves `keras_model` with Keras, opens it in the engine; the largest difference."""
    model = engine.load_model(saved(keras_model, path, rng))
    x = inputs if len(inputs) > 1 else inputs[0]
    return max_difference(keras_model.predict(x, verbose=0), model.predict(x, verbose=0)), model


# ----- models written by Keras ------------------------------------------------------------------
@pytest.mark.interop
def test_that_a_keras_mlp_opens_with_its_compile_settings(keras, tmp_path, rng):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")], name="mlp")
    model.compile(optimizer=keras.optimizers.RMSprop(0.005),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = rng.normal(size=(16, 8)).astype("float32")
    difference, opened = engine_difference(model, tmp_path / "mlp.keras", [x], rng)
    assert difference < TOLERANCE
    assert opened.name == "mlp"
    assert type(opened.optimizer).__name__ == "RMSprop"
    assert opened.optimizer.get_config()["learning_rate"] == pytest.approx(0.005)
    assert opened.compile_config["loss"] == "sparse_categorical_crossentropy"
    opened.fit(x, rng.integers(0, 3, 16), epochs=1, verbose=0)  # it trains as it is


@pytest.mark.interop
def test_that_a_custom_loss_leaves_the_model_uncompiled_with_a_note(keras, tmp_path):
    @keras.saving.register_keras_serializable(package="Colleague")
    def squared(y, p):
        return keras.ops.mean((y - p) ** 2)

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss=squared)
    model.save(tmp_path / "loss.keras")
    opened, notes = keras_import.import_model(tmp_path / "loss.keras")
    assert opened.compile_config is None
    assert notes == [("The compile settings were not used: the loss 'Colleague>squared' is a "
                      "custom function (module 'builtins'), whose code is not in the file. "
                      "Compile the model yourself.")]


@pytest.mark.interop
def test_that_training_only_settings_are_dropped_with_notes(keras, tmp_path, rng):
    L = keras.layers
    model = keras.Sequential([keras.Input((5, 3)), L.LSTM(4, dropout=0.2, name="lstm"),
                              L.Dense(2, kernel_constraint="non_neg", name="out")])
    x = rng.normal(size=(6, 5, 3)).astype("float32")
    opened, notes = keras_import.import_model(saved(model, tmp_path / "t.keras", rng))
    assert max_difference(model.predict(x, verbose=0), opened.predict(x, verbose=0)) < TOLERANCE
    assert notes == [
        ("Layer 'lstm' (LSTM): `dropout=0.2` was dropped: it acts only in training, and "
         "LayerCraft has no such setting."),
        ("Layer 'out' (Dense): `kernel_constraint='NonNeg'` was dropped: it acts only in "
         "training, and LayerCraft has no such setting.")]


@pytest.mark.interop
def test_that_a_trained_keras_cnn_opens_and_predicts_the_same(keras, tmp_path, rng):
    L = keras.layers
    model = keras.Sequential([keras.Input((12, 12, 3)), L.Conv2D(4, 3, activation="relu"),
                              L.BatchNormalization(), L.MaxPooling2D(), L.Dropout(0.3),
                              L.Flatten(), L.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(16, 12, 12, 3)).astype("float32")
    model.fit(x, rng.normal(size=(16, 2)).astype("float32"), epochs=2, verbose=0)
    model.save(tmp_path / "cnn.keras")
    opened = engine.load_model(tmp_path / "cnn.keras")
    assert max_difference(model.predict(x, verbose=0), opened.predict(x, verbose=0)) < TOLERANCE
    assert [type(la).__name__ for la in opened.layers[1:]] == [
        "Conv2D", "BatchNormalization", "MaxPooling2D", "Dropout", "Flatten", "Dense"]


@pytest.mark.interop
@pytest.mark.parametrize("reset_after", [True, False])
def test_that_a_keras_rnn_model_opens_and_predicts_the_same(keras, tmp_path, rng, reset_after):
    L = keras.layers
    model = keras.Sequential([keras.Input((7,)), L.Embedding(20, 4, mask_zero=True),
                              L.LSTM(5, return_sequences=True),
                              L.GRU(3, reset_after=reset_after), L.Dense(1)])
    x = rng.integers(0, 20, size=(16, 7)).astype("float32")
    x[:4, -3:] = 0  # padded steps, masked
    difference, opened = engine_difference(model, tmp_path / "rnn.keras", [x], rng)
    assert difference < TOLERANCE
    assert opened.get_layer(model.layers[2].name).reset_after is reset_after


@pytest.mark.interop
def test_that_a_keras_functional_model_with_merges_and_shared_layers_opens(keras, tmp_path,
                                                                           rng):
    L = keras.layers
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    shared = L.Dense(4, activation="tanh", name="shared")
    h, g = shared(a), shared(b)
    merged = L.Concatenate()([L.Add()([h, g]), L.Multiply()([h, g])])
    model = keras.Model([a, b], [L.Dense(2, name="out")(merged), L.Dense(1)(g)])
    inputs = [rng.normal(size=(16, 6)).astype("float32") for _ in range(2)]
    difference, opened = engine_difference(model, tmp_path / "merge.keras", inputs, rng)
    assert difference < TOLERANCE
    assert opened.input_names == ["a", "b"]
    assert opened.graph.nodes["shared_1"].shares == "shared"


@pytest.mark.interop
def test_that_recurrent_states_and_causal_attention_calls_open(keras, tmp_path, rng):
    L = keras.layers
    sequence, h0, c0 = keras.Input((5, 4)), keras.Input((3,)), keras.Input((3,))
    outputs, h, c = L.LSTM(3, return_sequences=True, return_state=True)(
        sequence, initial_state=[h0, c0])
    attended = L.MultiHeadAttention(2, 3)(outputs, outputs, use_causal_mask=True)
    model = keras.Model([sequence, h0, c0], [attended, L.Add()([h, c])])
    inputs = [rng.normal(size=(8, *s)).astype("float32") for s in ((5, 4), (3,), (3,))]
    difference, opened = engine_difference(model, tmp_path / "states.keras", inputs, rng)
    assert difference < TOLERANCE
    assert opened.get_layer(model.layers[4].name).use_causal_mask is True


@pytest.mark.interop
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_that_every_keras_layer_the_engine_has_opens_with_the_same_prediction(keras, tmp_path,
                                                                              rng, case):
    model = case_model(keras, case)
    if case[0] in KERAS_PREDICT_DIFFERS:
        opened = engine.load_model(saved(model, tmp_path / "layer.keras", rng)).layers[-1]
        assert {k: opened.get_config()[k] for k in case[2]} == case[2]
        return
    difference, _ = engine_difference(model, tmp_path / "layer.keras", case_inputs(case, rng),
                                      rng)
    assert difference < TOLERANCE


@pytest.mark.interop
def test_that_an_engine_export_opened_again_predicts_the_same(keras, tmp_path, rng):
    model = case_model(engine, CASES[0])
    path = tmp_path / "round.keras"
    keras_export.export(model, path)
    x = rng.normal(size=(4, 8)).astype("float32")
    reopened = engine.load_model(path)
    np.testing.assert_allclose(reopened.predict(x, verbose=0), model.predict(x, verbose=0))
    assert reopened.to_spec()["layers"] == model.to_spec()["layers"]


# ----- refused: code, custom classes, layers the engine does not have ---------------------------
@pytest.mark.interop
def test_that_a_lambda_layer_is_refused_by_name(keras, tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
                              keras.layers.Lambda(lambda t: t * 2, name="doubler")])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(CheckpointError, match=r"Layer 'doubler' \(Lambda\) is a Lambda layer: "
                                              r"it holds Python code, and LayerCraft never runs"):
        engine.load_model(tmp_path / "lambda.keras")


@pytest.mark.interop
def test_that_a_registered_custom_layer_is_refused_by_name(keras, tmp_path):
    @keras.saving.register_keras_serializable(package="Colleague")
    class Scale(keras.layers.Layer):
        def call(self, x):
            return 3 * x

    model = keras.Sequential([keras.Input((3,)), Scale(name="triple"), keras.layers.Dense(1)])
    model.save(tmp_path / "custom.keras")
    with pytest.raises(CheckpointError, match=r"Layer 'triple' \(Scale\) is a custom class "
                                              r"\('Colleague>Scale' from module"):
        engine.load_model(tmp_path / "custom.keras")


@pytest.mark.interop
def test_that_every_unsupported_layer_is_listed_and_nothing_is_built(keras, tmp_path):
    L = keras.layers
    model = keras.Sequential([keras.Input((6, 6, 3)), L.Conv2D(4, 3, data_format="channels_first"),
                              L.Flatten(), L.Dense(6, kernel_constraint="non_neg"),
                              L.Reshape((2, 3, 1)), L.ConvLSTM1D(2, 1)])
    model.save(tmp_path / "odd.keras")
    with pytest.raises(CheckpointError) as caught:
        engine.load_model(tmp_path / "odd.keras")
    message = str(caught.value)
    assert "2 layer(s) cannot be rebuilt in LayerCraft, so the model is not opened" in message
    assert "(Conv2D): the Keras setting `data_format='channels_first'` has no LayerCraft " \
           "equivalent. Expected: data_format='channels_last'." in message
    assert "(ConvLSTM1D): LayerCraft has no ConvLSTM1D layer." in message


# ----- file safety (engine-written files, h5py only) -----------------------------------------
def mlp():
    return Sequential([Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])


def rewrite(path, config=None, weights=None, extra=None):
    """Rewrites the archive at `path` with a changed config, weights file or extra member."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if config is not None:
        members["config.json"] = json.dumps(config(json.loads(members["config.json"]))).encode()
    if weights is not None:
        members["model.weights.h5"] = weights(members["model.weights.h5"])
    members.update(extra or {})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def exported(tmp_path, model=None):
    path = tmp_path / "m.keras"
    keras_export.export(model or mlp(), path)
    return path


def edited_h5(h5py, edit):
    def change(data):
        buffer = io.BytesIO(data)
        with h5py.File(buffer, "a") as h5:
            edit(h5)
        return buffer.getvalue()
    return change


def test_that_an_engine_written_file_opens_with_the_same_weights(h5py, tmp_path):
    model = mlp()
    opened, notes = keras_import.import_model(exported(tmp_path, model))
    assert notes == []
    for a, b in zip(opened.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_that_a_weight_linked_to_another_file_is_refused(h5py, tmp_path):
    path = exported(tmp_path)

    def link(h5):
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/x")

    rewrite(path, weights=edited_h5(h5py, link))
    with pytest.raises(CheckpointError, match=r"link 'layers/dense/vars/0' elsewhere "
                                              r"\(ExternalLink\); LayerCraft follows no links"):
        engine.load_model(path)


def test_that_a_weight_with_the_wrong_shape_names_the_layer(h5py, tmp_path):
    path = exported(tmp_path)

    def reshape(h5):
        del h5["layers/dense_1/vars/0"]
        h5["layers/dense_1/vars/0"] = np.zeros((30_000, 2), "float32")

    rewrite(path, weights=edited_h5(h5py, reshape))
    with pytest.raises(CheckpointError, match=r"do not fit layer 'dense_1': .*vars/0 "
                                              r"\(dense_1/kernel\) has shape \(30000, 2\), "
                                              r"expected \(3, 2\)"):
        engine.load_model(path)


def test_that_weights_stored_as_text_are_refused(h5py, tmp_path):
    path = exported(tmp_path)

    def as_text(h5):
        del h5["layers/dense/vars/1"]
        h5["layers/dense/vars/1"] = np.array([b"a", b"b", b"c"])

    rewrite(path, weights=edited_h5(h5py, as_text))
    with pytest.raises(CheckpointError, match="LayerCraft reads float16, float32, float64 and integers"):
        engine.load_model(path)


def test_that_a_missing_or_extra_weight_is_refused(h5py, tmp_path):
    path = exported(tmp_path)
    rewrite(path, weights=edited_h5(h5py, lambda h5: h5["layers/dense/vars"].create_dataset(
        "2", data=np.zeros(3, "float32"))))
    with pytest.raises(CheckpointError, match=r"'layers/dense/vars' holds 3 variable\(s\), "
                                              r"the layer has 2"):
        engine.load_model(path)


def test_that_a_class_from_another_module_is_refused_without_importing_it(h5py, tmp_path):
    path = exported(tmp_path)

    def hostile(config):
        config["config"]["layers"][1].update(module="os", class_name="system",
                                             registered_name="system")
        return config

    rewrite(path, config=hostile)
    with pytest.raises(CheckpointError, match=r"is a custom class \('system' from module 'os'\)"):
        engine.load_model(path)


def test_that_a_subclassed_model_is_refused(h5py, tmp_path):
    path = exported(tmp_path)
    rewrite(path, config=lambda c: {**c, "module": "my_project.models", "class_name": "MyNet"})
    with pytest.raises(CheckpointError, match="'MyNet' .*subclassed or custom model"):
        engine.load_model(path)


def test_that_unexpected_members_and_bombs_are_refused(h5py, tmp_path):
    path = exported(tmp_path)
    rewrite(path, extra={"assets/vocabulary.txt": b"a\nb"})
    with pytest.raises(CheckpointError, match="holds layer assets"):
        engine.load_model(path)
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", b" " * (64 * 1024 ** 2))
        archive.writestr("model.weights.h5", b"")
    with pytest.raises(CheckpointError, match="decompression bomb"):
        engine.load_model(bomb)


def test_that_a_damaged_file_says_so(h5py, tmp_path):
    path = exported(tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="truncated or not a Keras file"):
        engine.load_model(path)
    path = exported(tmp_path)
    rewrite(path, weights=lambda data: b"not hdf5")
    with pytest.raises(CheckpointError, match=r"model.weights.h5\) are not a readable HDF5"):
        engine.load_model(path)


def test_that_wrappers_nested_beyond_reason_are_refused(h5py, tmp_path):
    path = exported(tmp_path)

    def deep(config):
        inner = config["config"]["layers"][1]
        for i in range(300):
            inner = {"module": "keras.layers", "class_name": "TimeDistributed",
                     "config": {"name": f"td{i}", "layer": inner}}
        config["config"]["layers"][1] = inner
        return config

    rewrite(path, config=deep)
    with pytest.raises(CheckpointError, match="nested too deeply"):
        engine.load_model(path)


def test_that_opening_without_h5py_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    config, _ = keras_export.model_config(mlp(), [])
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"")
    with pytest.raises(LayerCraftError, match=r'pip install "layercraft\[keras\]"'):
        engine.load_model(path)
