"""Where a run's checkpoints go and how many stay: one folder per run beside the project,
the best and the last file kept, superseded ones deleted, nothing else ever touched."""

import os

import pytest

from app.training import TrainingController, TrainingJob, install_training
from app.training.callbacks import RunCheckpoint
from app.training.data_source import prepare_directly
from app.training.job import merged_settings
from app.training.run_folders import checkpoint_base, default_checkpoint_folder, \
    new_run_folder
from engine import Input, Sequential, layers
from engine.callbacks import CallbackList

from tests.app.training_fixtures import COMPILE, MLP


def run_epochs(callback, val_losses):
    """Epoch ends with the given val_loss values on a tiny model (real files are written)."""
    model = Sequential([Input((3,)), layers.Dense(2)])
    callbacks = CallbackList([callback], model=model, epochs=len(val_losses), steps=1)
    callbacks.on_train_begin()
    for epoch, value in enumerate(val_losses):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, {"val_loss": value})
    callbacks.on_train_end({})


# ----- the callback -----------------------------------------------------------------------------
def test_that_best_only_keeps_one_file_however_often_the_monitor_improves(tmp_path):
    saver = RunCheckpoint(str(tmp_path / "run-epoch{epoch:03d}.lcm"), save_best_only=True)
    run_epochs(saver, [0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    assert os.listdir(tmp_path) == ["run-epoch006.lcm"]
    assert saver.saved_paths == [saver.best_path] == [str(tmp_path / "run-epoch006.lcm")]


def test_that_every_epoch_mode_keeps_the_best_and_the_last(tmp_path):
    saver = RunCheckpoint(str(tmp_path / "e{epoch}.lcm"), every=1)
    run_epochs(saver, [0.5, 0.4, 0.6, 0.7])
    assert sorted(os.listdir(tmp_path)) == ["e2.lcm", "e4.lcm"]
    assert saver.best_path == str(tmp_path / "e2.lcm")
    assert saver.last_path == str(tmp_path / "e4.lcm")
    assert saver.saved_paths == [str(tmp_path / "e2.lcm"), str(tmp_path / "e4.lcm")]


def test_that_every_n_epochs_still_saves_only_at_multiples_of_n(tmp_path):
    saver = RunCheckpoint(str(tmp_path / "e{epoch}.lcm"), every=2)
    run_epochs(saver, [0.9, 0.8, 0.7, 0.6, 0.5])
    assert sorted(os.listdir(tmp_path)) == ["e4.lcm"]


def test_that_files_the_run_did_not_create_are_never_deleted(tmp_path):
    (tmp_path / "mine.lcm").write_bytes(b"the user's own file")
    (tmp_path / "e1.lcm").write_bytes(b"there before the run")  # the run overwrites it
    saver = RunCheckpoint(str(tmp_path / "e{epoch}.lcm"), save_best_only=True)
    run_epochs(saver, [0.5, 0.4, 0.3])
    assert sorted(os.listdir(tmp_path)) == ["e1.lcm", "e3.lcm", "mine.lcm"]
    assert (tmp_path / "mine.lcm").read_bytes() == b"the user's own file"
    assert str(tmp_path / "e1.lcm") in saver.saved_paths  # still on disk, still listed


# ----- the folders ------------------------------------------------------------------------------
def test_that_a_saved_project_keeps_runs_beside_its_file_and_an_unsaved_one_globally(tmp_path):
    project = tmp_path / "models" / "digits.lcproj"
    assert checkpoint_base(str(project)) == str(tmp_path / "models" / "digits.runs")
    assert checkpoint_base(None) == default_checkpoint_folder()
    assert checkpoint_base(str(project), str(tmp_path / "chosen")) == str(tmp_path / "chosen")


def test_that_a_new_run_never_shares_a_folder_with_an_earlier_one(tmp_path):
    first = new_run_folder(str(tmp_path), "run-20250101-120000")
    os.makedirs(first)
    second = new_run_folder(str(tmp_path), "run-20250101-120000")
    assert first == str(tmp_path / "run-20250101-120000")
    assert second == str(tmp_path / "run-20250101-120000-2")


# ----- through the worker and the window ---------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    return prepare_directly({"dataset": "digits", "validation_split": 0.2,
                             "preprocessing": [{"op": "scale", "factor": 1 / 16}]}, (8, 8))


def test_that_a_run_reports_only_the_checkpoints_it_kept(qtbot, digits, tmp_path):
    controller = TrainingController()
    settings = merged_settings({"epochs": 6, "batch_size": 64, "checkpoint": {
        "enabled": True, "save_best_only": False, "every": 1, "monitor": "val_loss",
        "run_folder": str(tmp_path / "run")}})
    job = TrainingJob(spec=MLP, compile_spec=COMPILE, data=digits, settings=settings,
                      extra={"run_name": "run"})
    with qtbot.waitSignal(controller.run_finished, timeout=20_000) as blocker:
        controller.start(job)
    summary = blocker.args[1]
    assert controller.shutdown(5000)
    on_disk = sorted(str(p) for p in (tmp_path / "run").iterdir())
    assert sorted(summary["checkpoints"]) == on_disk
    assert len(on_disk) <= 2 and summary["best_path"] in on_disk
    assert str(tmp_path / "run" / "run-epoch006.lcm") in on_disk  # the last is kept


def test_that_the_run_record_names_the_folder_beside_the_project(qtbot, window, tmp_path):
    install_training(window)
    panel = window.training_panel
    panel.form.epochs.setValue(3)
    panel.form.batch_size.setValue(64)
    panel.form.save.setChecked(True)
    assert window.project.save_as(str(tmp_path / "digits.lcproj"))
    with qtbot.waitSignal(window.training_controller.run_finished, timeout=20_000):
        panel.train()
    qtbot.waitUntil(lambda: not window.training_controller.is_running(), timeout=5000)
    record = window.document.settings["runs"][-1]
    folder = record["settings"]["checkpoint"]["run_folder"]
    assert os.path.dirname(folder) == str(tmp_path / "digits.runs")
    assert os.path.basename(folder) == record["name"]
    assert sorted(os.path.join(folder, n) for n in os.listdir(folder)) == \
        sorted(record["checkpoints"])
    assert record["best_checkpoint"] in record["checkpoints"]
