"""Quitting during a run, opening a checkpoint over unsaved edits, the live runs table with
disk use and Delete run, and reopening a project with its last run's weights."""

import os

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from app import commands, messages, project_io, questions
from app.training import install_training, run_files
from app.training.runs_table import COLUMNS


@pytest.fixture
def trained_window(window):
    install_training(window)
    window.training_guard.ask_stop = lambda: True
    window.training_panel.form.epochs.setValue(2)
    window.training_panel.form.batch_size.setValue(64)
    return window


def start_long_run(qtbot, window):
    window.training_panel.form.epochs.setValue(10_000)
    # Roomy: late in a full suite on a loaded 2-core CI machine the first batch once took
    # over 10 s to arrive (the run itself then proceeds normally).
    with qtbot.waitSignal(window.training_controller.batch_ended, timeout=30_000):
        assert window.training_panel.train() is not None


def test_that_quitting_during_training_records_the_run_and_asks_to_save(
        qtbot, trained_window, tmp_path):
    window = trained_window
    window.training_panel.form.epochs.setValue(10_000)
    path = str(tmp_path / "saved.lcproj")
    assert window.project.save_as(path)
    start_long_run(qtbot, window)
    asked = []
    window.project.ask_unsaved = lambda: asked.append("unsaved") or "save"
    assert window.close()
    assert asked == ["unsaved"]
    runs = project_io.load(path).runs
    assert [run["reason"] for run in runs] == ["stopped"]


def test_that_the_gui_keeps_running_while_a_stop_is_awaited(qtbot, trained_window,
                                                             monkeypatch):
    window = trained_window
    start_long_run(qtbot, window)
    controller = window.training_controller
    monkeypatch.setattr(controller, "stop", lambda: None)  # a batch that takes its time
    ticks = []
    timer = QTimer(interval=10, timeout=lambda: ticks.append(1))
    timer.start()
    assert not controller.stop_and_wait(300)
    timer.stop()
    assert len(ticks) >= 5  # a blocking wait() would run no timer until it ended
    monkeypatch.undo()
    assert controller.stop_and_wait(10_000)
    assert window.document.settings["runs"][-1]["reason"] == "stopped"


def test_that_a_stop_that_takes_too_long_keeps_the_window_open_and_says_so(
        qtbot, trained_window, monkeypatch):
    window = trained_window
    start_long_run(qtbot, window)
    controller = window.training_controller
    monkeypatch.setattr(controller, "stop", lambda: None)  # a batch that does not end
    window.training_guard.wait_ms = 300
    assert not window.close()
    assert controller.is_running()
    assert any("still finishing" in box.text() for box in messages.open_dialogs())
    for box in messages.open_dialogs():
        box.close()
    monkeypatch.undo()
    assert controller.stop_and_wait(10_000)


def test_that_no_destructive_button_sits_where_the_stop_confirmation_was(trained_window):
    window = trained_window
    stop = window.training_guard.stop_question()
    save = window.project.unsaved_question()
    for dialog in (stop, save):
        dialog.resize(dialog.sizeHint())
        dialog.show()
    confirm = stop.buttons[questions.CONFIRM]
    discard = save.buttons[questions.DESTRUCTIVE]
    assert confirm.isDefault() and save.buttons[questions.CONFIRM].isDefault()
    assert save.buttons[questions.CONFIRM].text() == "Save"
    # Both dialogs are centred on the window: the confirm button lies right of the centre,
    # Discard left of it, so a second click where the first was can never discard.
    assert confirm.geometry().left() > stop.width() / 2
    assert discard.geometry().right() < save.width() / 2
    assert stop.width() == save.width()  # and Save lands where Stop was
    assert save.buttons[questions.CONFIRM].geometry().right() == confirm.geometry().right()
    for dialog in (stop, save):
        dialog.choose(questions.CANCEL)


def test_that_keep_training_cancels_the_quit(qtbot, trained_window):
    window = trained_window
    start_long_run(qtbot, window)
    window.training_guard.ask_stop = lambda: False
    assert not window.close()
    assert window.training_controller.is_running()
    assert window.training_controller.stop_and_wait(10_000)


def train(qtbot, window, folder=None):
    if folder is not None:
        window.training_panel.form.save.setChecked(True)
        window.training_panel.form.save_folder.setText(str(folder))
    with qtbot.waitSignal(window.training_controller.run_finished, timeout=10_000) as blocker:
        assert window.training_panel.train() is not None
    qtbot.waitUntil(lambda: not window.training_controller.is_running(), timeout=5000)
    return blocker.args[1]


def edit_canvas(window):
    window.document.push(commands.SetParam(window.document, "dense", "units", 77))


@pytest.mark.parametrize("answer", ["cancel", "save"])
def test_that_open_checkpoint_asks_before_replacing_unsaved_edits(
        qtbot, trained_window, tmp_path, answer):
    window = trained_window
    checkpoint = train(qtbot, window, tmp_path)["best_path"]
    window.project.save_as(str(tmp_path / "p.lcproj"))
    edit_canvas(window)
    asked = []
    window.project.ask_unsaved = lambda: asked.append(window.project.unsaved_question()
                                                      .findChild(QLabel, "questionText")
                                                      .text()) or answer
    window.runs_view.ask_checkpoint_path = lambda: checkpoint
    window.findChild(QAction, "openCheckpointAction").trigger()
    assert asked and "before opening a checkpoint" in asked[0]
    saved = project_io.load(str(tmp_path / "p.lcproj")).model
    if answer == "cancel":
        assert window.document.node("dense").config["units"] == 77
        assert window.document.undo_stack.canUndo()
    else:
        assert [layer for layer in saved["layers"] if layer["name"] == "dense"][0][
            "config"]["units"] == 77
        assert window.document.node("dense").config["units"] != 77  # the checkpoint's model


def cell(window, row, column):
    table = window.runs_view.table
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return table.item(row, header.index(column)).text()


def test_that_the_running_run_is_in_the_table_from_its_start(qtbot, trained_window):
    window = trained_window
    start_long_run(qtbot, window)
    assert window.runs_view.table.rowCount() == 1
    assert cell(window, 0, "Status") == "running"
    with qtbot.waitSignal(window.training_controller.epoch_ended, timeout=10_000):
        pass
    # the running row follows epochs a few times a second, not at every epoch
    qtbot.waitUntil(lambda: cell(window, 0, "Epochs") != "0 / 10000", timeout=2000)
    assert cell(window, 0, "Epochs").endswith("/ 10000")
    assert "%" in cell(window, 0, "Best loss / acc")
    assert not window.runs_view.delete_button.isEnabled()  # never the files of a live run
    assert not window.runs_view.delete_selected()
    assert window.training_controller.stop_and_wait(10_000)
    assert window.runs_view.table.rowCount() == 1
    assert cell(window, 0, "Status") == "stopped"


def test_that_the_running_row_follows_fast_epochs_a_few_times_a_second(
        qtbot, trained_window, monkeypatch):
    """A table update per epoch of a short-epoch run cost GUI training a fifth of its speed:
    the running row takes the newest epoch at most every LIVE_ROW_MS."""
    window = trained_window
    start_long_run(qtbot, window)
    assert window.training_controller.stop_and_wait(10_000)
    view = window.runs_view
    view.note_started(window.training_controller.job)  # a live run again, fed by hand below
    updates = []
    real_set_row = view.table.set_row
    monkeypatch.setattr(view.table, "set_row",
                        lambda row, record: (updates.append(record["epochs"]),
                                             real_set_row(row, record)))
    for epoch in range(30):
        window.training_controller.epoch_ended.emit(epoch, {"loss": 1.0 / (epoch + 1)})
    assert updates == []
    qtbot.waitUntil(lambda: len(updates) == 1, timeout=2000)
    assert updates == [30]


def test_that_the_best_column_is_readable_at_the_default_size(qtbot, trained_window):
    window = trained_window
    train(qtbot, window)
    window.show()
    window.bottom_tabs.setCurrentWidget(window.tab_pages["Charts"])
    qtbot.waitExposed(window)
    table = window.runs_view.table
    column = COLUMNS.index("Best loss / acc")
    text = table.item(0, column).text()
    right = table.columnViewportPosition(column) + table.columnWidth(column)
    assert table.fontMetrics().horizontalAdvance(text) < table.columnWidth(column)
    assert 0 <= table.columnViewportPosition(column) and right <= table.viewport().width()


def test_that_disk_use_is_the_size_of_the_runs_checkpoint_files(qtbot, trained_window,
                                                                 tmp_path):
    window = trained_window
    summary = train(qtbot, window, tmp_path / "ckpt")
    run = window.document.settings["runs"][-1]
    files = run_files.checkpoint_files(run)
    assert summary["best_path"] in files
    assert cell(window, 0, "Disk") == run_files.format_size(
        sum(os.path.getsize(p) for p in files))
    assert cell(window, 0, "Checkpoints") == str(len(files))


def test_that_a_run_with_missing_files_uses_no_disk():
    run = {"checkpoints": ["/nowhere/a.lcm"], "best_checkpoint": "/nowhere/b.lcm",
           "settings": {"checkpoint": {"run_folder": "/nowhere/run-1"}}}
    assert run_files.checkpoint_files(run) == [] and run_files.disk_use(run) == 0
    assert run_files.disk_use({"settings": {"checkpoint": "odd"}, "checkpoints": None}) == 0


def test_that_delete_run_names_the_size_and_removes_only_that_runs_files(
        qtbot, trained_window, tmp_path):
    window = trained_window
    train(qtbot, window, tmp_path / "ckpt")
    train(qtbot, window, tmp_path / "ckpt")
    first, second = window.document.settings["runs"]
    doomed, kept = run_files.checkpoint_files(first), run_files.checkpoint_files(second)
    size = sum(os.path.getsize(p) for p in doomed)
    stray = tmp_path / "notes.txt"  # not a checkpoint: never deleted
    stray.write_text("mine")
    asked = []
    view = window.runs_view
    view.ask_delete = lambda text: asked.append(text) or False
    view.table.selectRow(0)
    assert not view.delete_selected()  # "Keep": nothing happens
    assert all(os.path.exists(p) for p in doomed)
    assert run_files.format_size(size) in asked[0] and first["name"] in asked[0]
    view.ask_delete = lambda text: True
    view.table.selectRow(0)
    window.document.mark_saved()
    assert view.delete_selected()
    assert not any(os.path.exists(p) for p in doomed)
    assert all(os.path.exists(p) for p in kept) and stray.exists()
    assert [run["name"] for run in window.document.settings["runs"]] == [second["name"]]
    assert window.document.is_modified() and view.table.rowCount() == 1


def test_that_the_table_offers_delete_run_in_its_context_menu(qtbot, trained_window):
    window = trained_window
    train(qtbot, window)
    view = window.runs_view
    view.ask_delete = lambda text: True
    view.table.selectRow(0)
    assert view.table.delete_action.isEnabled()
    view.table.delete_action.trigger()
    assert window.document.settings["runs"] == []


def saved_project_with_checkpoints(qtbot, window, tmp_path):
    train(qtbot, window, tmp_path / "ckpt")
    path = str(tmp_path / "trained.lcproj")
    assert window.project.save_as(path)
    return path, window.document.settings["runs"][-1]


def reopen(window, path):
    window.project.new()
    assert window.training_controller.current_model() is None
    assert window.project.open_path(path)


def test_that_opening_a_project_reopens_its_last_runs_best_weights(qtbot, trained_window,
                                                                   tmp_path):
    window = trained_window
    path, run = saved_project_with_checkpoints(qtbot, window, tmp_path)
    trained = window.training_controller.current_model()
    reopen(window, path)
    model = window.training_controller.current_model()
    assert model is not None
    x = np.random.default_rng(0).random((5, 8, 8))
    np.testing.assert_allclose(model.predict(x), trained.predict(x), rtol=1e-6)
    assert os.path.basename(run["best_checkpoint"]) in window.statusBar().currentMessage()
    assert "No model yet" not in window.evaluation_view.model_label.text()


@pytest.mark.parametrize("damage", ["missing", "damaged"])
def test_that_a_missing_or_damaged_checkpoint_keeps_the_project_open_without_weights(
        qtbot, trained_window, tmp_path, damage):
    window = trained_window
    path, run = saved_project_with_checkpoints(qtbot, window, tmp_path)
    if damage == "missing":
        os.unlink(run["best_checkpoint"])
    else:
        with open(run["best_checkpoint"], "wb") as handle:
            handle.write(b"PK\x03\x04 not a checkpoint")
    reopen(window, path)
    assert window.project.path == os.path.abspath(path)
    assert window.training_controller.current_model() is None
    assert {"missing": "missing", "damaged": "cannot be read"}[damage] in \
        window.statusBar().currentMessage()
    assert not messages.open_dialogs()


def test_that_delete_run_never_deletes_files_outside_the_folders_runs_are_written_to(
        qtbot, trained_window, tmp_path):
    """A hand-edited or hostile project can list any file as a run's checkpoint."""
    window = trained_window
    train(qtbot, window, tmp_path / "ckpt")
    elsewhere = tmp_path / "precious" / "model.lcm"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"somebody's model")
    runs = window.document.settings["runs"]
    runs[0]["checkpoints"] = [*runs[0]["checkpoints"], str(elsewhere)]
    asked = []
    window.runs_view.ask_delete = lambda text: asked.append(text) or True
    window.runs_view.table.selectRow(0)
    assert window.runs_view.delete_selected()
    assert elsewhere.exists()
    assert str(tmp_path / "ckpt") in asked[0] and "precious" not in asked[0]
