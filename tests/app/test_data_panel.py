"""The data contract (prepare, sanity checks) and the Data tab."""

import numpy as np
import pytest

from app.data_panel import prepared as prepared_module
from app.data_panel.prepared import prepare
from app.data_panel.sanity import sanity_warnings, single_class_warning
from engine import datasets

DIGITS = {"dataset": "digits", "preprocessing": [{"op": "scale", "factor": 1 / 16}]}
SPARSE = {"loss": "sparse_categorical_crossentropy"}


# ----- prepare() ----------------------------------------------------------------------------------
def test_that_prepare_scales_splits_and_reshapes_digits_to_the_model_input():
    p = prepare(DIGITS, (8, 8, 1))
    assert p.task == "classification" and p.is_image
    assert p.x_train.shape[1:] == (8, 8, 1) and p.x_train.dtype == np.float32
    assert len(p.x_train) + len(p.x_val) == 1437 and len(p.x_val) == round(0.1 * 1437)
    assert p.x_test.shape == (360, 8, 8, 1) and p.raw_test.shape == (360, 8, 8)
    assert p.x_train.max() == pytest.approx(1.0) and p.raw_test.max() == 16
    assert p.y_train.dtype == np.int64 and p.class_names == [str(d) for d in range(10)]
    np.testing.assert_allclose(p.transform_raw(p.raw_test[:3]), p.x_test[:3])


def test_that_the_same_seed_gives_the_same_split_and_another_seed_another():
    a, b = prepare({**DIGITS, "seed": 3}, None), prepare({**DIGITS, "seed": 3}, None)
    c = prepare({**DIGITS, "seed": 4}, None)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.y_val, c.y_val)


def test_that_validation_can_be_the_sets_own_test_split():
    p = prepare({**DIGITS, "validation": "test"}, (64,))
    assert p.x_val is p.x_test and len(p.x_train) == 1437 and p.x_train.shape[1:] == (64,)


def test_that_a_shape_of_another_size_is_left_for_the_panel_to_report():
    assert prepare(DIGITS, (28, 28)).sample_shape == (8, 8)


def test_that_standardize_learns_from_training_data_only_and_one_hot_encodes_labels():
    p = prepare({"dataset": "iris", "preprocessing": [{"op": "standardize"}, {"op": "one_hot"}]},
                (4,))
    np.testing.assert_allclose(p.x_train.mean(axis=0), 0, atol=1e-5)
    assert p.y_train.shape == (len(p.x_train), 3) and not p.is_image
    assert p.feature_names[0] == "sepal length (cm)"
    np.testing.assert_array_equal(p.class_indices(p.y_test), p.y_test.argmax(axis=1))


def test_that_an_imported_csv_gets_a_held_out_test_split(tmp_path):
    path = tmp_path / "points.csv"
    rows = [f"{i},{i % 7},{'a' if i % 2 else 'b'}" for i in range(100)]
    path.write_text("x1,x2,kind\n" + "\n".join(rows) + "\n")
    p = prepare({"source": {"kind": "csv", "path": str(path), "label": "kind"},
                 "test_split": 0.2, "validation_split": 0.0}, (2,))
    assert len(p.x_test) == 20 and len(p.x_train) == 80 and p.x_val is None
    assert p.class_names == ["a", "b"] and p.feature_names == ["x1", "x2"]


def test_that_regression_targets_stay_float():
    p = prepare({"dataset": "diabetes"}, (10,))
    assert p.task == "regression" and p.y_train.dtype == np.float32 and p.class_names == []


# ----- sanity warnings ----------------------------------------------------------------------------
def _with(p, **changes):
    for key, value in changes.items():
        setattr(p, key, value)
    return p


def test_that_clean_digits_raise_no_warning():
    assert sanity_warnings(prepare(DIGITS, None), SPARSE, (10,)) == []


def test_strong_class_imbalance_is_reported():
    p = prepare({"dataset": "breast_cancer", "preprocessing": [{"op": "standardize"}]}, None)
    keep = np.flatnonzero(p.y_train == 1).tolist() + np.flatnonzero(p.y_train == 0)[:5].tolist()
    _with(p, x_train=p.x_train[keep], y_train=p.y_train[keep])
    found = sanity_warnings(p, SPARSE, (2,))
    assert any("imbalance" in w and "'benign'" in w for w in found)


def test_identical_training_and_test_samples_are_reported():
    p = prepare(DIGITS, None)
    _with(p, x_test=np.concatenate([p.x_train[:5], p.x_test[5:]]))
    assert any(w.startswith("5 of the 360 test samples") for w in sanity_warnings(p, SPARSE,
                                                                                  (10,)))


def test_labels_that_do_not_fit_the_loss_are_reported():
    p = prepare(DIGITS, None)
    assert any("one-hot" in w for w in sanity_warnings(p, {"loss": "categorical_crossentropy"},
                                                       (10,)))
    assert any("regression" in w for w in sanity_warnings(p, {"loss": "mean_squared_error"},
                                                          (10,)))
    assert any("outputs 3 values" in w for w in sanity_warnings(p, SPARSE, (3,)))
    regression = prepare({"dataset": "diabetes"}, None)
    assert any("for classes" in w for w in sanity_warnings(regression, SPARSE, (1,)))


def test_constant_features_are_named():
    p = prepare({"dataset": "iris"}, None)
    p.x_train[:, 2] = 1.5
    found = sanity_warnings(p, SPARSE, (3,))
    assert any("'petal length (cm)'" in w and "never change" in w for w in found)


def test_single_class_predictions_are_reported_after_the_first_epoch():
    same = np.tile([0.1, 0.7, 0.2], (20, 1))
    assert "'b'" in single_class_warning(same, ["a", "b", "c"])
    assert single_class_warning(np.eye(3)) is None
    assert single_class_warning(np.full((8, 1), 0.2)) is not None


# ----- the panel ----------------------------------------------------------------------------------
@pytest.fixture
def panel(qtbot, document):
    from app.data_panel.panel import DataPanel

    document.load({"format": "layercraft.model", "version": 1, "name": "m", "layers": [
        {"name": "input", "class_name": "Input", "config": {"shape": [8, 8]}, "inputs": []},
        {"name": "flatten", "class_name": "Flatten", "config": {}, "inputs": ["input"]},
        {"name": "out", "class_name": "Dense", "config": {"units": 10, "activation": "softmax"},
         "inputs": ["flatten"]}], "outputs": ["out"]}, settings={"data": DIGITS})
    widget = DataPanel(document)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def test_that_the_panel_prepares_the_projects_data_and_previews_it(panel):
    p = panel.current()
    assert p.name == "digits" and p.x_train.shape[1:] == (8, 8)
    assert panel.grid.count() > 0 and panel.check_shape() is None
    assert panel.chart.values["train"].sum() == len(p.x_train)
    assert panel.controls.combo.objectName() == "datasetCombo"
    assert panel.controls.combo.findData("mnist") > panel.controls.combo.findData("moons")


def test_that_choosing_a_set_emits_data_changed_and_saves_the_spec(panel, qtbot, document):
    with qtbot.waitSignal(panel.data_changed) as blocker:
        panel.select_dataset("iris")
    assert blocker.args[0].name == "iris"
    assert document.settings["data"]["dataset"] == "iris"
    assert document.settings["data"]["preprocessing"] == [{"op": "standardize"}]
    assert panel.preview.currentWidget() is panel.table and panel.table.rowCount() > 0


def test_that_opening_a_project_restores_its_data_spec(panel, document):
    document.load(document.to_spec(), settings={"data": {"dataset": "wine", "seed": 7}})
    assert panel.current().name == "wine" and panel.controls.seed_spin.value() == 7


def test_that_a_shape_mismatch_offers_to_set_the_input_shape_undoably(panel, document):
    panel.select_dataset("iris")
    assert "(4,)" in panel.check_shape() and panel.shape_fix.isVisibleTo(panel)
    panel.set_input_shape()
    assert document.node("input").config["shape"] == [4]
    assert panel.check_shape() is None
    document.undo_stack.undo()
    assert document.node("input").config["shape"] == [8, 8]


def test_that_warnings_follow_the_compile_settings_and_can_be_dismissed(panel, document):
    from app.commands import SetCompile

    document.push(SetCompile(document, {**document.compile_spec,
                                        "loss": "categorical_crossentropy"}))
    assert any("one-hot" in w for w in panel.warnings())
    panel.warning_list.dismiss(panel.warnings()[0])
    assert panel.warnings() == []
    panel.controls.one_hot_check.setChecked(True)
    assert panel.current().y_train.ndim == 2


def test_that_a_csv_with_a_bad_value_shows_the_loaders_message(panel, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,label\n1,2,x\n3,oops,y\n5,6,x\n")
    dialog = panel.import_file("csv", str(path))
    assert "line 3" in dialog.error_text() and "'oops' is not a number" in dialog.error_text()
    assert not dialog.import_button.isEnabled()
    dialog.close()


def test_that_an_imported_csv_with_a_chosen_label_column_becomes_the_data(panel, qtbot,
                                                                          tmp_path, document):
    path = tmp_path / "good.csv"
    path.write_text("a,kind,b\n" + "\n".join(f"{i},{'up' if i % 3 else 'down'},{i * 2}"
                                             for i in range(60)) + "\n")
    dialog = panel.import_file("csv", str(path))
    dialog.fields["label"].setCurrentIndex(dialog.fields["label"].findData("kind"))
    assert dialog.error_text() == "" and dialog.table.rowCount() == 30
    with qtbot.waitSignal(panel.data_changed, timeout=5000) as blocker:
        dialog.import_button.click()
    assert blocker.args[0].class_names == ["down", "up"]
    assert document.settings["data"]["source"]["label"] == "kind"


def test_that_a_download_shows_progress_and_can_be_cancelled(panel, qtbot, monkeypatch):
    calls = {}

    def fake_fetch(name, progress=None, cancel=None):
        calls["name"] = name
        for step in range(500):
            progress(step * 1000, 500_000)
            if cancel.wait(0.01):
                raise prepared_module.DataError("The download was cancelled.")
        raise AssertionError("never cancelled")

    monkeypatch.setattr(datasets.download, "fetch_dataset", fake_fetch)
    monkeypatch.setattr(datasets, "is_available_offline", lambda name: name != "mnist")
    panel.select_dataset("mnist")
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=10_000)
    assert panel.cancel_button.isVisibleTo(panel) and calls["name"] == "mnist"
    panel.cancel_download()
    assert panel.job.shutdown(3000)
    assert "cancelled" in panel.status.text() and panel.download_button.isVisibleTo(panel)
    assert not panel.job.running


def test_that_a_large_csv_is_read_in_the_background_and_then_previewed(panel, qtbot, tmp_path,
                                                                        monkeypatch):
    from app.data_panel import import_dialog

    monkeypatch.setattr(import_dialog, "BACKGROUND_BYTES", 1000)  # this file counts as large
    path = tmp_path / "large.csv"
    path.write_text("a,b,kind\n" + "\n".join(f"{i},{i * 0.5},{'up' if i % 2 else 'down'}"
                                             for i in range(400)) + "\n")
    dialog = panel.import_file("csv", str(path))
    assert dialog.status.text().startswith("Reading large.csv")
    assert not dialog.import_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.loaded is not None, timeout=5000)
    assert dialog.table.rowCount() == 30 and "400 samples" in dialog.status.text()
    dialog.close()
