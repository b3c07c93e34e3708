"""The Evaluate tab: metrics, confusion matrix, cell samples, ROC, regression plots."""

import dataclasses

import numpy as np
import pytest

from app import evaluation_view as ev_module
from app.data_panel.prepared import prepare
from app.evaluation_metrics import per_class_scores, roc_curve
from app.evaluation_view import EvaluationView
from engine import Model
from engine.saving import checkpoint
from tests.app.analysis_fixtures import trained_classifier, trained_regressor

DIGITS = {"dataset": "digits", "preprocessing": [{"op": "scale", "factor": 1 / 16}]}


@pytest.fixture(scope="module")
def digits():
    prepared = prepare(DIGITS, (8, 8))
    return prepared, trained_classifier(prepared, epochs=3)


@pytest.fixture
def view(qtbot):
    widget = EvaluationView()
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def test_that_evaluation_shows_a_confusion_matrix_of_the_whole_test_split(view, digits):
    prepared, model = digits
    view.set_data(prepared)
    view.set_model(model)
    with_signal = []
    view.evaluated.connect(with_signal.append)
    assert view.evaluate()
    result = with_signal[0]
    assert result.confusion.sum() == len(prepared.x_test) == 360
    table = view.confusion
    counts = sum(int(table.item(r, c).text().replace("·", "0"))
                 for r in range(10) for c in range(10))
    assert counts == 360 and table.rowCount() == 10
    metrics = view.metrics.values()
    assert metrics["accuracy"] == pytest.approx(np.trace(result.confusion) / 360, abs=1e-4)
    assert "loss" in metrics and view.scores.rowCount() == 10


def test_that_clicking_a_cell_lists_its_samples_most_confident_first(view, digits):
    prepared, model = digits
    view.set_data(prepared)
    view.set_model(model)
    view.evaluate()
    result = view.result
    r, c = np.unravel_index(np.argmax(result.confusion), result.confusion.shape)
    view.confusion.click_cell(int(r), int(c))
    true_class, predicted, indices = view.shown_cell
    assert (true_class, predicted) == (r, c) and len(indices) == result.confusion[r, c]
    assert all(prepared.y_test[i] == r and result.predicted[i] == c for i in indices)
    confidence = result.confidence()[indices]
    assert np.all(np.diff(confidence) <= 0)
    assert view.cell_grid.count() == len(indices)
    assert view.cell_grid.index_at(0) == indices[0]


def test_that_tabular_cell_samples_are_table_rows_and_binary_tasks_get_a_roc_curve(view):
    prepared = prepare({"dataset": "breast_cancer", "preprocessing": [{"op": "standardize"}]},
                       (30,))
    view.set_data(prepared)
    view.set_model(trained_classifier(prepared, epochs=2, hidden=8))
    view.evaluate()
    assert "ROC AUC" in view.metrics.values() and view.side.isTabEnabled(1)
    fpr, tpr, auc = next(iter(view.result.roc.values()))
    assert fpr[0] == 0 and tpr[-1] == pytest.approx(1.0) and 0.5 < auc <= 1.0
    view.confusion.click_cell(1, 1)
    assert view.cell_stack.currentWidget() is view.cell_table
    assert view.cell_table.rowCount() == view.result.confusion[1, 1]


def test_that_regression_evaluation_shows_the_scatter_and_residuals(view):
    prepared = prepare({"dataset": "diabetes", "preprocessing": [{"op": "standardize"}]}, (10,))
    view.set_data(prepared)
    view.set_model(trained_regressor(prepared, epochs=2))
    view.evaluate()
    assert view.center.currentWidget() is view.regression
    x, y = view.regression.scatter.getData()
    assert len(x) == len(prepared.x_test) == 89
    np.testing.assert_allclose(x, prepared.y_test, rtol=1e-6)
    _, residual = view.regression.residuals.getData()
    np.testing.assert_allclose(residual, y - x, rtol=1e-5, atol=1e-4)
    assert {"mae", "RMSE", "R²"} <= set(view.metrics.values())


def test_that_large_test_splits_are_evaluated_off_the_gui_thread(view, digits, qtbot,
                                                                 monkeypatch):
    monkeypatch.setattr(ev_module, "THREAD_THRESHOLD", 100)
    prepared, model = digits
    view.set_data(prepared)
    view.set_model(model)
    with qtbot.waitSignal(view.evaluated, timeout=10_000) as blocker:
        view.evaluate()
        assert not view.evaluate_button.isEnabled()
    assert blocker.args[0].confusion.sum() == 360 and view.evaluate_button.isEnabled()


def test_that_a_checkpoint_can_be_loaded_and_a_damaged_one_changes_nothing(view, digits,
                                                                           tmp_path):
    prepared, model = digits
    path = tmp_path / "run.lcm"
    checkpoint.save_model(model, str(path))
    view.set_data(prepared)
    assert view.load_checkpoint(str(path)) and isinstance(view.model(), Model)
    assert view.evaluate() and view.result.confusion.sum() == 360
    loaded = view.model()
    bad = tmp_path / "bad.lcm"
    bad.write_bytes(b"not a checkpoint")
    assert not view.load_checkpoint(str(bad))
    assert view.model() is loaded and "bad.lcm" in view.status.text()


def test_that_missing_model_or_mismatched_data_is_explained(view, digits):
    prepared, model = digits
    view.set_data(prepared)
    assert not view.evaluate() and "No trained model" in view.status.text()
    view.set_model(model)
    view.set_data(prepare(DIGITS, (64,)))
    assert not view.evaluate() and "(8, 8)" in view.status.text()


def test_that_the_training_controllers_model_is_used_when_none_was_given(qtbot, digits):
    prepared, model = digits

    class Window:
        class training_controller:  # noqa: N801 - stands in for the real controller
            @staticmethod
            def current_model():
                return model

    view = EvaluationView(Window())
    qtbot.addWidget(view)
    view.set_data(prepared)
    assert view.evaluate()


def test_per_class_scores_and_roc_formulas():
    scores = per_class_scores(np.array([[3, 1], [0, 2]]))
    np.testing.assert_allclose(scores["precision"], [1.0, 2 / 3])
    np.testing.assert_allclose(scores["recall"], [0.75, 1.0])
    np.testing.assert_allclose(scores["f1"], [6 / 7, 0.8])
    fpr, tpr, auc = roc_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert auc == pytest.approx(0.75)
    assert fpr[-1] == 1 and tpr[-1] == 1


# ----- display: axis titles, singular and plural, one-vs-rest ROC ----------------------------------
def only_test_samples(prepared, indices):
    """`prepared` with its test split cut down to `indices`."""
    return dataclasses.replace(prepared, x_test=prepared.x_test[indices],
                               y_test=prepared.y_test[indices],
                               raw_test=prepared.raw_test[indices])


def test_that_the_confusion_matrix_says_which_axis_is_true_and_which_predicted(view, digits):
    view.set_data(digits[0])
    view.set_model(digits[1])
    view.show()
    view.evaluate()
    frame = view.confusion_view
    assert frame.true_title.text() == "True class" and frame.true_title.isVisible()
    assert frame.predicted_title.text() == "Predicted class"
    assert frame.predicted_title.isVisible()
    # the row title reads upwards beside the rows: taller than wide, left of the table
    assert frame.true_title.height() > frame.true_title.width()
    assert frame.true_title.geometry().right() < view.confusion.geometry().left()
    assert frame.predicted_title.geometry().bottom() < view.confusion.geometry().top()


def test_that_one_sample_is_counted_in_the_singular(view, digits):
    prepared, model = digits
    view.set_data(only_test_samples(prepared, [0]))
    view.set_model(model)
    assert view.evaluate()
    assert "Evaluated 1 test sample with" in view.status.text()
    predicted = int(view.result.predicted[0])
    view.confusion.click_cell(int(prepared.y_test[0]), predicted)
    assert ": 1 sample (" in view.cell_title.text() and "1 samples" not in view.cell_title.text()
    view.set_data(only_test_samples(prepared, [0, 1]))
    view.evaluate()
    assert "Evaluated 2 test samples with" in view.status.text()


def test_that_a_ten_class_task_offers_one_roc_curve_per_class_with_its_auc(view, digits):
    prepared, model = digits
    view.set_data(prepared)
    view.set_model(model)
    view.evaluate()
    assert view.side.isTabEnabled(1)
    roc = view.roc
    assert roc.picker.count() == 10 and not roc.picker.isHidden()
    for c in range(10):
        fpr, tpr, auc = view.result.roc[prepared.class_names[c]]
        assert auc == pytest.approx(roc_curve(view.result.y_true == c,
                                              view.result.probabilities[:, c])[2])
        assert f"AUC {auc:.3f}" in roc.picker.itemText(c)
    roc.show_class(prepared.class_names[7])
    x, y = roc.curves[0].getData()
    np.testing.assert_allclose(x, view.result.roc[prepared.class_names[7]][0])
    assert any(text.startswith(f"{prepared.class_names[7]} vs rest (AUC")
               for text in roc.legend_texts())
    assert "ROC AUC (macro, one-vs-rest)" in view.metrics.values()


def test_that_a_class_missing_from_the_test_split_is_named_instead_of_drawn(view, digits):
    prepared, model = digits
    without_nine = np.flatnonzero(prepared.y_test != 9)
    view.set_data(only_test_samples(prepared, without_nine))
    view.set_model(model)
    view.evaluate()
    assert view.roc.picker.count() == 9
    assert "No curve for 9" in view.roc.note.text() and not view.roc.note.isHidden()


def test_that_a_test_split_of_one_class_explains_why_there_is_no_roc_curve(view, digits):
    prepared, model = digits
    view.set_data(only_test_samples(prepared, np.flatnonzero(prepared.y_test == 3)))
    view.set_model(model)
    view.evaluate()
    assert view.result.roc is None and view.roc.curves == []
    assert "only one class" in view.roc.note.text() and view.roc.plot.isHidden()
