"""The training side installed in the real MainWindow: panel, charts, runs, checkpoints,
canvas lock, quitting during a run, errors, and the smoke run."""

import numpy as np
import pytest

from app import messages
from app.training import install_training
from app.training.data_source import prepare_directly


@pytest.fixture
def trained_window(window):
    install_training(window)
    window.training_guard.ask_stop = lambda: True  # closing the window never asks
    window.training_panel.form.epochs.setValue(2)
    window.training_panel.form.batch_size.setValue(64)
    return window


def train(qtbot, window, timeout=10_000):
    with qtbot.waitSignal(window.training_controller.run_finished, timeout=timeout) as blocker:
        assert window.training_panel.train() is not None
    qtbot.waitUntil(lambda: not window.training_controller.is_running(), timeout=5000)
    return blocker.args[1]


def test_that_the_chart_holds_the_points_of_a_two_epoch_run(qtbot, trained_window):
    summary = train(qtbot, trained_window)
    charts = trained_window.live_charts
    assert summary["reason"] == "finished"
    assert charts.point_count("loss") == 2 and charts.point_count("val_loss") == 2
    assert charts.point_count("loss", per="batch") >= 2
    trained_window.show()
    trained_window.bottom_tabs.setCurrentWidget(trained_window.tab_pages["Charts"])
    qtbot.waitUntil(lambda: not charts.dirty, timeout=2000)  # drawn once in view
    assert len(charts.plots["loss"].train_curve.xData) == 2
    runs = trained_window.document.settings["runs"]
    assert len(runs) == 1 and runs[0]["epochs"] == 2 and "val_loss" in runs[0]["best"]
    assert trained_window.document.settings["training"]["epochs"] == 2


def test_that_the_canvas_is_read_only_while_training(qtbot, trained_window):
    window = trained_window
    window.show()
    top = window.view.viewport().geometry().top()
    window.training_panel.form.epochs.setValue(10_000)
    with qtbot.waitSignal(window.training_controller.batch_ended, timeout=10_000):
        window.training_panel.train()
    assert not window.view.isInteractive() and not window.palette.isEnabled()
    note = window.training_lock.note
    assert not note.isHidden()
    # one line, in a band above the blocks: it covers none of them
    assert note.geometry().bottom() < window.view.viewport().geometry().top()
    assert note.height() < 2 * note.fontMetrics().height() + 20
    assert not window.actions["delete"].isEnabled()
    with qtbot.waitSignal(window.training_controller.running_changed, timeout=5000):
        window.training_panel.stop_button.click()
    assert window.view.isInteractive() and note.isHidden()
    assert window.view.viewport().geometry().top() == top


def test_that_a_best_checkpoint_loads_spec_weights_and_history(qtbot, trained_window, tmp_path):
    window = trained_window
    form = window.training_panel.form
    form.save.setChecked(True)
    form.save_folder.setText(str(tmp_path))
    summary = train(qtbot, window)
    path = summary["best_path"]
    assert path == summary["checkpoints"][-1]  # val_loss fell in both epochs
    model = window.training_controller.current_model()
    data = prepare_directly({"dataset": "digits", "preprocessing": [
        {"op": "scale", "factor": 1 / 16}]}, (8, 8))
    spec_before = window.document.to_spec()
    window.project.new()  # a different canvas: loading must bring the model back
    assert window.runs_view.load_path(path)
    assert window.document.to_spec()["layers"] == spec_before["layers"]
    loaded = window.training_controller.current_model()
    np.testing.assert_array_equal(loaded.predict(data.x_test), model.predict(data.x_test))
    assert loaded.history.history["loss"] == summary["history"]["history"]["loss"]
    assert loaded.training_state["epoch"] == 2
    assert window.live_charts.point_count("loss") == 2


def test_that_a_damaged_checkpoint_changes_nothing(qtbot, trained_window, tmp_path):
    window = trained_window
    bad = tmp_path / "bad.lcm"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    spec = window.document.to_spec()
    assert not window.runs_view.load_path(str(bad))
    assert window.document.to_spec() == spec
    assert messages.open_dialogs()
    for box in messages.open_dialogs():
        box.close()


def test_that_quitting_during_training_stops_and_waits(qtbot, trained_window):
    window = trained_window
    window.training_panel.form.epochs.setValue(10_000)
    window.training_guard.ask_stop = lambda: True
    with qtbot.waitSignal(window.training_controller.batch_ended, timeout=10_000):
        window.training_panel.train()
    thread = window.training_controller._thread
    window.document.mark_saved()
    assert window.close()
    assert not thread.is_alive()
    assert not window.training_controller.is_running()


def test_that_an_engine_error_is_shown_and_the_app_keeps_working(qtbot, trained_window):
    window = trained_window
    good = dict(window.document.compile_spec)
    window.document.set_compile(dict(good, loss="mean_squared_error", metrics=[]))
    summary = train(qtbot, window)
    assert summary["reason"] == "failed"
    assert window.training_panel.status.property("role") == "error"
    assert window.training_panel.details_button.isVisibleTo(window.training_panel)
    assert any(box.objectName() == "errorDialog" for box in messages.open_dialogs())
    for box in messages.open_dialogs():
        box.close()
    window.document.set_compile(good)
    assert train(qtbot, window)["reason"] == "finished"


def test_that_continue_training_adds_epochs_to_the_curves(qtbot, trained_window):
    window = trained_window
    train(qtbot, window)
    window.training_panel.form.epochs.setValue(1)
    with qtbot.waitSignal(window.training_controller.run_finished, timeout=10_000) as blocker:
        window.training_panel.continue_button.click()
    assert blocker.args[1]["epoch"] == 3
    assert window.live_charts.point_count("loss") == 3


def test_that_the_smoke_run_exits_0_and_writes_a_png(qtbot, tmp_path):
    from app.smoke import run_smoke

    shot = tmp_path / "smoke.png"
    assert run_smoke(str(shot)) == 0
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
