"""`python -m engine export`: which weights it takes (a checkpoint, a project's last run's
best checkpoint, else fresh ones with a note), the notes it prints, and errors as one
sentence with exit code 1 (2 for bad options). Only the tests marked `interop` need onnx.
"""

import json
import sys

import numpy as np
import pytest

from engine import Input, Sequential, interop, layers
from engine.cli import load_for_export
from engine.cli_commands import main


def small_model():
    model = Sequential([Input((6,)), layers.Dense(4, activation="relu"),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture
def checkpoint(tmp_path):
    model = small_model()
    path = tmp_path / "trained.lcm"
    model.save(path)
    return path, model


def project_file(folder, model, runs=()):
    path = folder / "digits.lcproj"
    path.write_text(json.dumps({
        "format": "layercraft.project", "version": 1, "model": model.to_spec(),
        "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy"},
        "runs": list(runs)}))
    return path


def same_weights(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))


@pytest.fixture
def fake_export(monkeypatch):
    """Records what the CLI hands the exporter, instead of writing a file."""
    calls = []

    def export(model, path, format_name, compile_config=None, batch_size=None):
        calls.append((model, path, format_name, compile_config))
        return [f"{format_name} note"]

    monkeypatch.setattr(interop, "export", export)
    return calls


# ----- which model and weights ------------------------------------------------------------
def test_that_a_checkpoint_exports_its_weights_and_compile_settings(checkpoint):
    path, trained = checkpoint
    model, compile_config, notes = load_for_export(str(path))
    assert same_weights(model, trained)
    assert compile_config["loss"] == "sparse_categorical_crossentropy"
    assert notes == ["Weights: the checkpoint trained.lcm."]


def test_that_a_project_exports_its_last_runs_best_checkpoint(tmp_path, checkpoint):
    path, trained = checkpoint
    runs = [{"name": "run-1", "best_checkpoint": "gone.lcm"},
            {"name": "run-2", "best_checkpoint": str(path), "checkpoints": ["other.lcm"]}]
    model, _, notes = load_for_export(str(project_file(tmp_path, trained, runs)))
    assert same_weights(model, trained)
    assert notes == ["Weights: the last run's checkpoint trained.lcm."]


def test_that_a_relative_checkpoint_path_is_read_beside_the_project(tmp_path, checkpoint):
    path, trained = checkpoint
    runs = [{"name": "run-1", "checkpoints": ["first.lcm", path.name]}]
    model, _, _ = load_for_export(str(project_file(tmp_path, trained, runs)))
    assert same_weights(model, trained)


def test_that_a_project_without_runs_gives_untrained_weights_and_says_so(tmp_path):
    model, compile_config, notes = load_for_export(str(project_file(tmp_path, small_model())))
    assert [type(layer).__name__ for layer in model.layers][-1] == "Dense"
    assert compile_config["optimizer"] == "adam"
    assert notes[0].startswith("Untrained weights") and "no trained run" in notes[0]


def test_that_a_missing_checkpoint_gives_untrained_weights_and_names_it(tmp_path):
    runs = [{"name": "run-1", "best_checkpoint": str(tmp_path / "deleted.lcm")}]
    _, _, notes = load_for_export(str(project_file(tmp_path, small_model(), runs)))
    assert notes[0].startswith("Untrained weights") and "deleted.lcm" in notes[0]


@pytest.mark.interop
def test_that_a_keras_file_exports_its_weights(tmp_path):
    pytest.importorskip("h5py")
    trained = small_model()
    interop.export(trained, tmp_path / "colleague.keras", "keras")
    model, _, notes = load_for_export(str(tmp_path / "colleague.keras"))
    assert same_weights(model, trained)
    assert notes[0] == "Weights: the Keras file colleague.keras."


# ----- the command ------------------------------------------------------------------------
def test_that_export_dispatches_and_prints_the_notes(checkpoint, tmp_path, fake_export, capsys):
    path, trained = checkpoint
    target = tmp_path / "out.keras"
    assert main(["export", str(path), "--format", "keras", "--output", str(target)]) == 0
    (model, written, format_name, compile_config), = fake_export
    assert (written, format_name) == (target, "keras") and same_weights(model, trained)
    assert compile_config["loss"] == "sparse_categorical_crossentropy"
    out = capsys.readouterr().out
    assert f"wrote {target} (keras)" in out
    assert "  - Weights: the checkpoint trained.lcm." in out and "  - keras note" in out


def test_that_format_and_output_are_required_and_checked(checkpoint, capsys):
    path, _ = checkpoint
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(path), "--output", "m.onnx"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(path), "--format", "tflite", "--output", "m.tflite"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'tflite'" in capsys.readouterr().err


def test_that_a_missing_model_file_is_one_sentence_and_exit_code_1(tmp_path, capsys):
    code = main(["export", str(tmp_path / "nope.lcm"), "--format", "onnx", "--output",
                 str(tmp_path / "m.onnx")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: File not found") and "Traceback" not in err


def test_that_a_missing_onnx_package_says_how_to_install_it(checkpoint, tmp_path,
                                                             monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    path, _ = checkpoint
    code = main(["export", str(path), "--format", "onnx", "--output", str(tmp_path / "m.onnx")])
    assert code == 1
    assert 'pip install "layercraft[onnx]"' in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


# ----- end to end, with onnx --------------------------------------------------------------
@pytest.mark.interop
def test_that_the_exported_onnx_file_predicts_like_the_checkpoint(checkpoint, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    path, trained = checkpoint
    target = tmp_path / "served.onnx"
    assert main(["export", str(path), "--format", "onnx", "--output", str(target)]) == 0
    x = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert np.max(np.abs(got - trained.predict(x, verbose=0))) < 1e-4


@pytest.mark.interop
def test_that_an_unsupported_layer_is_exit_code_1_and_writes_nothing(tmp_path, capsys):
    pytest.importorskip("onnx")
    model = Sequential([Input((8, 8, 3)), layers.Resizing(4, 4, name="shrink")])
    model.save(tmp_path / "shrink.lcm")
    target = tmp_path / "shrink.onnx"
    assert main(["export", str(tmp_path / "shrink.lcm"), "--format", "onnx", "--output",
                 str(target)]) == 1
    assert "'shrink' (Resizing)" in capsys.readouterr().err
    assert not target.exists()


def test_that_a_projects_batch_size_reaches_the_pytorch_train_script(tmp_path):
    from engine import cli_commands  # noqa: PLC0415
    from app.examples import path as example_path  # noqa: PLC0415

    out = tmp_path / "pkg"
    assert cli_commands.main(["export", example_path("cnn_digits"), "--format", "pytorch",
                              "--output", str(out)]) == 0
    assert "BATCH_SIZE = 32" in (out / "train.py").read_text()
    other = tmp_path / "pkg64"
    assert cli_commands.main(["export", example_path("cnn_digits"), "--format", "pytorch",
                              "--output", str(other), "--batch-size", "64"]) == 0
    assert "BATCH_SIZE = 64" in (other / "train.py").read_text()


def test_that_a_checkpoint_with_an_upper_case_suffix_is_read_as_a_checkpoint(checkpoint,
                                                                             tmp_path):
    from engine.cli import load_for_export  # noqa: PLC0415

    path, trained = checkpoint
    upper = tmp_path / "TRAINED.LCM"
    upper.write_bytes(path.read_bytes())
    model, _, notes = load_for_export(str(upper))
    assert same_weights(model, trained) and notes == ["Weights: the checkpoint TRAINED.LCM."]
