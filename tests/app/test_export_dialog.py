"""File > Export…: the dialog offers every format with its description and what it cannot
carry, exports the trained model (else the canvas, with a note on untrained weights), shows
the exporter's notes, and shows errors as sentences. Only the `interop` test needs onnx.
"""

import sys

import numpy as np
import pytest

from app import export_dialog
from app.export_dialog import ExportDialog
from engine import Input, Sequential, interop, layers
from engine.errors import SpecError


def trained_model():
    model = Sequential([Input((8, 8)), layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture
def fake_export(monkeypatch):
    """Records what the dialog hands the engine, instead of writing a file."""
    calls = []

    def export(model, path, format_name, compile_config=None, batch_size=None):
        calls.append((model, path, format_name, compile_config))
        return [f"a {format_name} note"]

    monkeypatch.setattr(interop, "export", export)
    return calls


@pytest.fixture
def dialog(qtbot, document):
    document.load(trained_model().to_spec())  # the canvas
    dlg = ExportDialog(document)
    qtbot.addWidget(dlg)
    return dlg


def test_that_file_export_opens_the_dialog_with_the_trained_model(window):
    model = trained_model()
    window.training_controller.set_model(model, "run-7 (reopened with the project)")
    window.actions["export_model"].trigger()
    assert isinstance(window.dialog, ExportDialog)
    assert window.dialog.trained_model is model and window.dialog.uses_trained_model()
    assert window.actions["export_model"] in window.menus["file"].actions()
    window.dialog.close()


def test_that_every_format_is_offered_with_its_description(dialog):
    combo = dialog.format_combo
    assert [combo.itemData(i) for i in range(combo.count())] == list(interop.FORMATS)
    for name, (_, description) in interop.FORMATS.items():
        dialog.set_format(name)
        assert dialog.description.text() == description
        assert export_dialog.LIMITS[name][:40] in dialog.notes.text()


def test_that_without_a_trained_model_the_notes_warn_of_untrained_weights(dialog):
    assert dialog.source_combo.count() == 1 and not dialog.uses_trained_model()
    assert "untrained" in dialog.notes.text()


def test_that_browse_asks_for_a_file_or_a_folder_and_fills_the_path(dialog, monkeypatch):
    asked = []
    monkeypatch.setattr(export_dialog, "save_file",
                        lambda parent, caption, kind, name, filters: asked.append(name)
                        or f"/exports/{name}")
    monkeypatch.setattr(export_dialog, "open_folder",
                        lambda parent, caption, kind: asked.append(kind) or "/exports")
    stem = dialog.document.graph.name  # the model's name names the file
    dialog.set_format("onnx")
    assert dialog.browse() == f"/exports/{stem}.onnx"
    assert dialog.path_edit.text() == f"/exports/{stem}.onnx" and dialog.export_button.isEnabled()
    dialog.set_format("keras")
    assert dialog.path_edit.text() == f"/exports/{stem}.keras"
    dialog.set_format("pytorch")
    assert dialog.browse() == f"/exports/{stem}_pytorch"
    assert asked == [f"{stem}.onnx", "export_pytorch"]


def test_that_export_writes_the_trained_model_and_lists_the_notes(qtbot, document,
                                                                  fake_export):
    model = trained_model()
    dlg = ExportDialog(document, model, "the last training run")
    qtbot.addWidget(dlg)
    dlg.set_format("keras")
    dlg.path_edit.setText("/exports/digits.keras")
    assert dlg.export()
    (exported, path, format_name, compile_config), = fake_export
    assert exported is model and (path, format_name) == ("/exports/digits.keras", "keras")
    assert compile_config["optimizer"]["class_name"] == "SGD"
    assert "Wrote /exports/digits.keras" in dlg.notes.text()
    assert "Weights: the last training run." in dlg.notes.text()
    assert "a keras note" in dlg.notes.text() and dlg.error.isHidden()


def test_that_the_canvas_is_exported_with_fresh_weights_and_says_so(dialog, fake_export):
    dialog.path_edit.setText("/exports/canvas.onnx")
    assert dialog.export()
    (exported, *_), = fake_export
    assert exported.to_spec()["layers"] == dialog.document.to_spec()["layers"]
    assert "Untrained weights" in dialog.notes.text()


def test_that_an_export_error_is_a_sentence_in_the_dialog(dialog, monkeypatch):
    def refuse(*args, **kwargs):
        raise SpecError("Layer 'shrink' (Resizing) has no ONNX conversion.")

    monkeypatch.setattr(interop, "export", refuse)
    dialog.path_edit.setText("/exports/m.onnx")
    assert not dialog.export()
    assert not dialog.error.isHidden()
    assert dialog.error.text() == "Layer 'shrink' (Resizing) has no ONNX conversion."
    assert "Traceback" not in dialog.error.text()


def test_that_an_empty_canvas_is_refused_with_the_reason(qtbot, document, fake_export):
    dlg = ExportDialog(document)
    qtbot.addWidget(dlg)
    dlg.path_edit.setText("/exports/m.onnx")
    assert not dlg.export()
    assert "The model is empty" in dlg.error.text() and fake_export == []


def test_that_a_missing_onnx_package_shows_the_install_command(dialog, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    dialog.set_format("onnx")
    dialog.path_edit.setText(str(tmp_path / "m.onnx"))
    assert not dialog.export()
    assert 'pip install "layercraft[onnx]"' in dialog.error.text()
    assert not (tmp_path / "m.onnx").exists()


@pytest.mark.interop
def test_that_the_dialog_writes_an_onnx_file_that_predicts_like_the_model(qtbot, document,
                                                                          tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = trained_model()
    dlg = ExportDialog(document, model, "the last training run")
    qtbot.addWidget(dlg)
    dlg.set_format("onnx")
    dlg.path_edit.setText(str(tmp_path / "served.onnx"))
    assert dlg.export(), dlg.error.text()
    x = np.random.default_rng(0).normal(size=(4, 8, 8)).astype(np.float32)
    session = ort.InferenceSession(str(tmp_path / "served.onnx"),
                                   providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert np.max(np.abs(got - model.predict(x, verbose=0))) < 1e-4
