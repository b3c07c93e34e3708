"""File > Open and `python -m app model.keras` put a Keras 3 model on the canvas: its layers,
its compile settings, and the model with its weights for Evaluate and Predict."""

import json
import zipfile

import numpy as np
import pytest

from app import messages
from engine import Input, Model, layers
from engine.interop import keras_export

h5py = pytest.importorskip("h5py")


@pytest.fixture
def keras_file(tmp_path):
    """A functional model with a merge, exported with its compile settings."""
    a, b = Input((4,), name="a"), Input((4,), name="b")
    merged = layers.Add(name="sum")([layers.Dense(3, name="left")(a),
                                     layers.Dense(3, name="right")(b)])
    model = Model([a, b], layers.Dense(2, activation="softmax", name="probs")(merged),
                  name="colleague")
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / "colleague.keras"
    keras_export.export(model, path)
    return model, path


def predictions(model, seed=0):
    rng = np.random.default_rng(seed)
    inputs = [rng.normal(size=(5, 4)).astype("float32") for _ in range(2)]
    return model.predict(inputs, verbose=0)


def assert_shows(window, model, path):
    assert set(window.scene.nodes) == {"a", "b", "left", "right", "sum", "probs"}
    assert window.document.graph.outputs == ["probs"]
    assert window.document.compile_spec["loss"] == "categorical_crossentropy"
    assert window.document.compile_spec["optimizer"]["class_name"] == "SGD"
    assert window.project.path is None  # saving asks for a project name
    assert window.document.is_modified()
    assert window.project.title().startswith("colleague[*]")
    opened = window.training_controller.current_model()
    np.testing.assert_allclose(predictions(opened), predictions(model), atol=1e-6)


def test_that_file_open_shows_a_keras_model_on_the_canvas(window, keras_file):
    model, path = keras_file
    window.project.ask_open_path = lambda: str(path)
    window.actions["open"].trigger()
    assert_shows(window, model, path)
    assert messages.open_dialogs() == []


def test_that_the_app_opens_a_keras_file_given_on_the_command_line(qtbot, keras_file):
    from app.main_window import MainWindow

    model, path = keras_file
    window = MainWindow(str(path), restore=False)  # what `python -m app colleague.keras` does
    window.project.ask_unsaved = lambda: "discard"
    qtbot.addWidget(window)
    assert_shows(window, model, path)
    window.document.mark_saved()


def test_that_a_keras_file_with_a_lambda_layer_changes_nothing_and_says_why(window, keras_file):
    _, path = keras_file
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    [left] = [entry for entry in config["config"]["layers"] if entry["name"] == "left"]
    left["class_name"] = "Lambda"  # as Keras names one
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    before = window.document.to_spec()
    assert not window.project.open_path(str(path))
    assert window.document.to_spec() == before
    [box] = messages.open_dialogs()
    assert "Layer 'left' (Lambda) is a Lambda layer: it holds Python code" in box.text()
    box.close()
