"""The Evaluate tab: metrics, confusion matrix, cell samples, ROC, regression plots."""

import numpy as np
import pytest

from app import evaluation_view as ev_module
from app.data_panel.prepared import prepare
from app.evaluation_metrics import per_class_scores, roc_curve
from app.evaluation_view import EvaluationView
from engine import Model, checkpoint
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
