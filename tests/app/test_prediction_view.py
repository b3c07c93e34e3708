"""The Predict tab: test samples, the drawing pad, image files, feature rows; and the
installation of the Data / Evaluate / Predict tabs into the main window."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtTest import QTest

from app.data_panel.prepared import prepare
from app.prediction_view import PredictionView, image_to_pixels
from tests.app.analysis_fixtures import trained_classifier, trained_regressor

DIGITS = {"dataset": "digits", "preprocessing": [{"op": "scale", "factor": 1 / 16}]}


@pytest.fixture(scope="module")
def digits():
    prepared = prepare(DIGITS, (8, 8, 1))
    return prepared, trained_classifier(prepared, epochs=3)


@pytest.fixture
def view(qtbot, digits):
    widget = PredictionView()
    qtbot.addWidget(widget)
    widget.set_data(digits[0])
    widget.set_model(digits[1])
    return widget


def test_that_a_test_sample_gets_probabilities_that_sum_to_one(view, digits):
    assert view.objectName() == "predictView" and view.grid.count() == 60
    view.grid.setCurrentRow(4)
    probs = view.probabilities()
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1.0, abs=1e-5)
    expected = digits[1].predict(digits[0].x_test[view.grid.index_at(4)][None])[0]
    np.testing.assert_allclose(probs, expected, rtol=1e-5)
    heights = view.chart.values["probability"]
    assert len(heights) == 5 and np.all(np.diff(heights) <= 0)
    assert view.prediction_label.text().startswith(digits[0].class_names[int(probs.argmax())])


def test_that_the_pad_is_sized_to_the_input_and_scaled_like_the_training_data(view):
    assert view.pad.input_size == (8, 8)
    view.pad.clear()
    assert view.pad_raw().max() == 0
    view.pad.stroke([(0.0, 4.5 / 8), (1.0, 4.5 / 8)])  # through the middle of row 4
    raw = view.pad_raw()
    assert raw.shape == (8, 8) and 15.0 < raw.max() <= 16.0  # digits' ink runs 0..16


def test_that_drawing_on_the_pad_changes_the_prediction(view, qtbot):
    view.pad.clear()
    before = view.predict_pad().copy()
    view.pad.stroke([(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)])  # a 7
    after = view.probabilities()
    assert not np.allclose(before, after) and after.sum() == pytest.approx(1.0, abs=1e-5)


def test_that_mouse_strokes_draw_and_predict_live(view, qtbot):
    view.resize(900, 400)
    view.show()
    qtbot.waitExposed(view)
    view.pad.clear()
    before = view.predict_pad().copy()
    pad = view.pad
    target = pad._target()
    start = QPoint(int(target.center().x()), int(target.top() + 10))
    QTest.mousePress(pad, Qt.LeftButton, Qt.NoModifier, start)
    for step in range(1, 9):
        point = QPoint(start.x(), int(target.top() + 10 + step * (target.height() - 20) / 8))
        QTest.mouseMove(pad, point)
    QTest.mouseRelease(pad, Qt.LeftButton, Qt.NoModifier, point)
    assert pad.pixels()[:, 3:5].sum() > 3  # a vertical line down the middle
    assert not np.allclose(before, view.probabilities())


def test_that_an_image_file_is_fitted_inverted_and_predicted(view, tmp_path):
    path = tmp_path / "seven.png"
    picture = Image.new("L", (64, 96), 255)  # black ink on white paper, taller than wide
    for y in range(10, 86):
        picture.putpixel((32, y), 0)
        picture.putpixel((33, y), 0)
    picture.save(path)
    pixels = image_to_pixels(str(path), (8, 8))
    assert pixels.shape == (8, 8) and pixels.max() > 0.1 and pixels[:, 0].max() == 0
    assert view.load_image(str(path))
    np.testing.assert_allclose(view.pad.pixels(), pixels, atol=1 / 255)
    assert view.probabilities().sum() == pytest.approx(1.0, abs=1e-5)


def test_that_a_typed_feature_row_is_predicted_for_tabular_models(qtbot):
    prepared = prepare({"dataset": "iris", "preprocessing": [{"op": "standardize"}]}, (4,))
    view = PredictionView()
    qtbot.addWidget(view)
    view.set_data(prepared)
    view.set_model(trained_classifier(prepared, epochs=2, hidden=8))
    assert view.input_stack.currentWidget() is view.row_page and view.row.rowCount() == 4
    first = view.predict_row().copy()
    view.row.item(2, 0).setText("6.5")  # petal length: edits predict at once
    assert not np.allclose(first, view.probabilities())
    assert view.probabilities().sum() == pytest.approx(1.0, abs=1e-5)
    view.row.item(0, 0).setText("abc")
    assert "not a number" in view.row_status.text()


def test_that_regression_models_show_the_predicted_value(qtbot):
    prepared = prepare({"dataset": "diabetes", "preprocessing": [{"op": "standardize"}]}, (10,))
    view = PredictionView()
    qtbot.addWidget(view)
    view.set_data(prepared)
    view.set_model(trained_regressor(prepared, epochs=1))
    view.table.setCurrentCell(2, 0)
    assert view.prediction_label.text().startswith("Predicted value:")
    assert isinstance(view.last_value, float)


def test_that_install_puts_the_views_in_their_tabs_and_wires_them(window, qtbot, digits):
    from app.data_panel.install import install_data_and_analysis

    panel, evaluation, prediction = install_data_and_analysis(window)  # MainWindow did already
    tabs = window.bottom_tabs
    assert [tabs.tabText(i) for i in range(tabs.count())][0] == "Data"
    assert tabs.widget(0) is panel and tabs.widget(3) is evaluation and tabs.widget(4) is prediction
    assert window.findChild(QObject, "datasetCombo") is not None
    assert window.findChild(QObject, "evaluateButton") is not None
    assert window.findChild(QObject, "predictView") is prediction
    assert evaluation.prepared is panel.current() is not None
    model = trained_classifier(panel.current(), epochs=1)
    window.training_controller.set_model(model)  # as after a run or a loaded checkpoint
    assert evaluation.model() is model and prediction.model() is model
    assert evaluation.evaluate() and evaluation.result.confusion.sum() == len(
        panel.current().x_test)
    with qtbot.waitSignal(panel.data_changed):
        panel.select_dataset("iris")
    assert prediction.prepared.name == "iris" and "expects inputs" in prediction.status.text()
    panel.shutdown()


def line_image(path):
    """A black vertical stroke on white paper, saved at `path`."""
    picture = Image.new("L", (64, 96), 255)
    for y in range(10, 86):
        picture.putpixel((32, y), 0)
    picture.save(path)
    return str(path)


def test_that_the_header_names_the_loaded_file_and_only_the_pad_is_your_drawing(view,
                                                                               tmp_path):
    assert view.load_image(line_image(tmp_path / "image.png"))
    header = view.prediction_label.text()
    assert header.endswith("image.png") and "your drawing" not in header
    view.pad.stroke([(0.2, 0.2), (0.8, 0.2)])  # drawn on top of the file
    assert view.prediction_label.text().endswith("your drawing over image.png")
    view.pad_page.clear_button.click()
    assert view.prediction_label.text().endswith("your drawing")
    view.pad.stroke([(0.3, 0.3), (0.7, 0.7)])
    assert view.prediction_label.text().endswith("your drawing")


def test_that_a_test_sample_after_a_file_is_named_as_the_sample(view, tmp_path):
    view.load_image(line_image(tmp_path / "seven.png"))
    view.predict_test_sample(3)
    assert "test sample 3" in view.prediction_label.text()
    view.predict_pad()  # the sample now on the pad is not the file any more
    assert "seven.png" not in view.prediction_label.text()
