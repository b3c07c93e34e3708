"""TrainingController + TrainingWorker through a real training thread, on the bundled digits."""

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.training import TrainingController, TrainingJob
from app.training.controller import POLL_MS
from app.training.data_source import prepare_directly
from app.training.job import INFO_KEYS, merged_settings

from tests.app.training_fixtures import COMPILE, MLP


@pytest.fixture(scope="module")
def digits():
    return prepare_directly({"dataset": "digits", "validation_split": 0.2,
                             "preprocessing": [{"op": "scale", "factor": 1 / 16}]}, (8, 8))


@pytest.fixture
def controller(qtbot):
    controller = TrainingController()
    yield controller
    assert controller.shutdown(5000)


def job(data, spec=MLP, compile_spec=COMPILE, **settings):
    return TrainingJob(spec=spec, compile_spec=compile_spec, data=data,
                       settings=merged_settings({"batch_size": 64, **settings}))


def test_that_two_epochs_train_through_the_worker_thread(qtbot, controller, digits):
    epochs = []
    controller.epoch_ended.connect(lambda epoch, logs: epochs.append((epoch, logs)))
    with qtbot.waitSignal(controller.stopped, timeout=10_000) as blocker:
        controller.start(job(digits, epochs=2))
    assert blocker.args[1] == "finished"
    assert [e for e, _ in epochs] == [0, 1]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(epochs[1][1])
    assert all(type(v) is float for k, v in epochs[1][1].items() if k not in INFO_KEYS)
    model = controller.current_model()
    assert model is not None and model.training_state["epoch"] == 2
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=5000)


def test_that_batch_updates_carry_the_running_logs(qtbot, controller, digits):
    batches = []
    controller.batch_ended.connect(lambda epoch, logs: batches.append(logs))
    with qtbot.waitSignal(controller.stopped, timeout=10_000):
        controller.start(job(digits, epochs=2, batch_size=16))
    assert batches  # throttled to a few per second, but the last batch always reports
    for logs in batches:
        assert {"loss", "accuracy", "samples", "position"} <= set(logs)
        assert type(logs["loss"]) is float and np.isfinite(logs["loss"])
    assert batches[-1]["position"] == pytest.approx(2.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_that_a_diverging_run_stops_as_nan(qtbot, controller, digits):
    regression = {**MLP, "layers": MLP["layers"][:2] + [
        {"name": "value", "class_name": "Dense", "config": {"units": 1}, "inputs": ["flatten"]}],
        "outputs": ["value"]}
    diverging = {"optimizer": {"class_name": "SGD", "config": {"learning_rate": 1e6}},
                 "loss": "mse", "metrics": [], "device": "cpu"}
    data = prepare_directly({"dataset": "digits", "preprocessing": [
        {"op": "scale", "factor": 1 / 16}]}, (8, 8))
    with qtbot.waitSignal(controller.stopped, timeout=10_000) as blocker:
        controller.start(job(data, spec=regression, compile_spec=diverging, epochs=50))
    assert blocker.args[1] == "nan"
    assert controller.current_model().training_state["epoch"] <= 1  # within the first epoch


def test_that_stop_ends_a_run_within_a_batch(qtbot, controller, digits):
    with qtbot.waitSignal(controller.batch_ended, timeout=10_000):
        controller.start(job(digits, epochs=10_000, batch_size=8))
    with qtbot.waitSignal(controller.stopped, timeout=5000) as blocker:
        controller.stop()
    assert blocker.args[1] == "stopped"
    assert controller.current_model().training_state["epoch"] < 10_000


def test_that_pause_holds_training_until_resume(qtbot, controller, digits):
    batches = []
    controller.batch_ended.connect(lambda epoch, logs: batches.append(logs["samples"]))
    with qtbot.waitSignal(controller.batch_ended, timeout=10_000):
        controller.start(job(digits, epochs=10_000, batch_size=8))
    with qtbot.waitSignal(controller.paused_changed, timeout=5000):
        controller.pause()
    worker_model = controller._worker._model
    qtbot.waitUntil(lambda: worker_model.paused, timeout=2000)
    # the batch running when pause came ends; its message comes with the next poll
    qtbot.wait(POLL_MS + 300)
    seen = batches[-1] if batches else 0
    # The paused loop waits on an Event: no samples advance while we process events.
    qtbot.wait(POLL_MS + 150)
    held = batches[-1] if batches else 0
    assert held == seen
    with qtbot.waitSignal(controller.batch_ended, timeout=5000):
        controller.resume()
    with qtbot.waitSignal(controller.stopped, timeout=5000):
        controller.stop()


def test_that_an_engine_error_is_reported_and_a_new_run_works(qtbot, controller, digits):
    bad = dict(COMPILE, loss="mean_squared_error", metrics=[])  # (None, 10) vs labels (None,)
    errors = []
    controller.failed.connect(lambda message, details: errors.append((message, details)))
    with qtbot.waitSignal(controller.stopped, timeout=10_000) as blocker:
        controller.start(job(digits, compile_spec=bad, epochs=1))
    assert blocker.args[1] == "failed"
    message, details = errors[0]
    assert message and "Traceback" in details
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=5000)
    with qtbot.waitSignal(controller.stopped, timeout=10_000) as blocker:
        controller.start(job(digits, epochs=1))
    assert blocker.args[1] == "finished"


def ended(running: bool) -> bool:
    return not running


def test_that_an_old_runs_late_messages_never_reach_the_next_run(qtbot, controller, digits):
    seen = []
    controller.epoch_ended.connect(lambda epoch, logs: seen.append(epoch))
    with qtbot.waitSignal(controller.running_changed, timeout=10_000, check_params_cb=ended):
        controller.start(job(digits, epochs=1))
        old_worker = controller._worker
    old_worker.post("epoch", 99, {"loss": 1.0})  # as if it came after the run had ended
    with qtbot.waitSignal(controller.running_changed, timeout=10_000, check_params_cb=ended):
        controller.start(job(digits, epochs=1))
    assert seen == [0, 0]


def test_that_every_signal_is_emitted_in_the_gui_thread(qtbot, controller, digits):
    """The training thread only posts messages; no Qt signal is emitted from it."""
    threads = set()
    for signal in (controller.batch_ended, controller.epoch_ended, controller.model_ready,
                   controller.run_finished, controller.stopped, controller.running_changed):
        signal.connect(lambda *args: threads.add(threading.current_thread()),
                       Qt.DirectConnection)
    with qtbot.waitSignal(controller.running_changed, timeout=10_000, check_params_cb=ended):
        controller.start(job(digits, epochs=2, batch_size=16))
    assert threads == {threading.main_thread()}


def test_that_early_stopping_fires_and_the_best_checkpoint_exists(qtbot, controller, digits,
                                                                   tmp_path):
    plateau = dict(COMPILE, optimizer={"class_name": "SGD", "config": {"learning_rate": 0.0}})
    settings = {"epochs": 30, "early_stopping": {"enabled": True, "monitor": "val_loss",
                                                 "patience": 1, "min_delta": 0.0},
                "checkpoint": {"enabled": True, "folder": str(tmp_path),
                               "save_best_only": True, "monitor": "val_loss"}}
    saved = []
    controller.checkpoint_saved.connect(lambda epoch, path: saved.append(path))
    with qtbot.waitSignal(controller.run_finished, timeout=10_000) as blocker:
        controller.start(job(digits, compile_spec=plateau, **settings))
    summary = blocker.args[1]
    assert summary["reason"] == "early_stopping"
    assert summary["epoch"] < 30
    assert summary["best_path"] and (tmp_path / summary["best_path"]).exists()
    assert saved and saved[0] == summary["best_path"]


def test_that_continue_training_resumes_from_the_last_epoch(qtbot, controller, digits):
    with qtbot.waitSignal(controller.stopped, timeout=10_000):
        controller.start(job(digits, epochs=2))
    qtbot.waitUntil(lambda: not controller.is_running(), timeout=5000)
    first = controller.current_model()
    state = controller.resume_state()
    epochs = []
    controller.epoch_ended.connect(lambda epoch, logs: epochs.append(epoch))
    follow = job(digits, epochs=1)
    follow.resume = state
    with qtbot.waitSignal(controller.run_finished, timeout=10_000) as blocker:
        controller.start(follow)
    assert epochs == [2]
    assert len(blocker.args[1]["history"]["history"]["loss"]) == 3
    assert controller.current_model() is not first
    assert not any(np.shares_memory(a, b) for a, b in zip(
        first.get_weights(), controller.current_model().get_weights()))


def test_that_shutdown_during_training_leaves_no_thread(qtbot, digits):
    controller = TrainingController()
    with qtbot.waitSignal(controller.batch_ended, timeout=10_000):
        controller.start(job(digits, epochs=10_000, batch_size=8))
    thread = controller._thread
    assert controller.shutdown(5000)
    assert not thread.is_alive()
    assert not controller.is_running()
