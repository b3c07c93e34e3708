"""What the Training tab shows: the epoch counter agreeing with the checkpoint line and the
final message, a clock that stands still while paused, and a note when one batch holds all
the training data."""

import dataclasses

import pytest

from app.training import TrainingController, TrainingJob
from app.training.data_source import prepare_directly
from app.training.job import merged_settings
from app.training.panel import TrainingPanel
from app.training.run_clock import RunClock

from tests.app.training_fixtures import COMPILE, MLP


class FakeTime:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def digits():
    return prepare_directly({"dataset": "digits", "validation_split": 0.2,
                             "preprocessing": [{"op": "scale", "factor": 1 / 16}]}, (8, 8))


@pytest.fixture
def data(digits):
    return {"set": digits}  # a test may swap in other data before it trains


@pytest.fixture
def panel(qtbot, document, data):
    document.load(MLP, compile_spec=COMPILE)
    controller = TrainingController()
    panel = TrainingPanel(document, controller, lambda: (data["set"], None))
    qtbot.addWidget(panel)
    panel.form.batch_size.setValue(64)
    yield panel
    assert controller.shutdown(5000)


def fake_start(panel, epochs=300, **settings):
    """Announces a run the way the controller does, without training (signals only)."""
    panel.controller.job = TrainingJob(spec=MLP, compile_spec=COMPILE, settings=merged_settings(
        {"epochs": epochs, "batch_size": 64, **settings}))
    panel.controller.started.emit(1)


def batch_logs(epoch, batch, steps=10, **info):
    return {"loss": 0.5, "batch": batch, "steps": steps,
            "position": epoch + (batch + 1) / steps, **info}


def next_tick(qtbot, panel):
    """Waits for the panel's display timer to fire once more."""
    ticks = []
    panel.ticker.timeout.connect(lambda: ticks.append(1))
    qtbot.waitUntil(lambda: len(ticks) >= 2, timeout=2000)


# ----- item: the epoch counter ------------------------------------------------------------------
def test_that_the_counter_shows_the_finished_epoch_before_its_checkpoint_line(qtbot, panel):
    c = panel.controller
    seen = []
    c.checkpoint_saved.connect(lambda epoch, path: seen.append(panel.epoch_label.text()))
    fake_start(panel)
    c.batch_ended.emit(74, batch_logs(74, 3))  # the last batch signal was throttled away
    c.epoch_ended.emit(74, {"loss": 0.5, **batch_logs(74, 9)})
    c.checkpoint_saved.emit(74, "/tmp/run-epoch075.lcm")
    assert seen == ["Epoch 75 / 300"]
    assert "(epoch 75)" in panel.status.text()


def test_that_the_counter_and_the_message_agree_when_you_stop(qtbot, panel):
    c = panel.controller
    fake_start(panel)
    c.batch_ended.emit(74, batch_logs(74, 9))
    c.epoch_ended.emit(75, {"loss": 0.5, **batch_logs(75, 9)})
    c.run_finished.emit(1, {"reason": "stopped", "epoch": 76, "duration": 20.0})
    assert panel.epoch_label.text() == "Epoch 76 / 300"
    assert panel.status.text().startswith("Stopped by you after 76 epochs.")


def test_that_the_counter_and_the_message_agree_after_early_stopping(qtbot, panel, tmp_path):
    form = panel.form
    form.epochs.setValue(300)
    form.early.setChecked(True)
    form.early_patience.setValue(1)
    form.save.setChecked(True)
    form.save_folder.setText(str(tmp_path))
    panel.document.set_compile(dict(COMPILE, optimizer={"class_name": "SGD",
                                                        "config": {"learning_rate": 0.0}}))
    lines = []
    panel.controller.checkpoint_saved.connect(
        lambda epoch, path: lines.append((epoch + 1, panel.epoch_label.text())))
    with qtbot.waitSignal(panel.controller.run_finished, timeout=20_000) as blocker:
        panel.train()
    summary = blocker.args[1]
    assert summary["reason"] == "early_stopping"
    stopped = summary["stopped_epoch"] + 1
    assert summary["epoch"] == stopped
    assert panel.epoch_label.text() == f"Epoch {stopped} / 300"
    assert panel.status.text().startswith(f"Early stopping at epoch {stopped}:")
    assert lines and all(label == f"Epoch {epoch} / 300" for epoch, label in lines)


# ----- item: pausing stops the clock ------------------------------------------------------------
def test_that_elapsed_time_and_eta_stand_still_while_paused(qtbot, panel):
    c, now = panel.controller, FakeTime()
    panel.run_clock = RunClock(now)
    fake_start(panel, epochs=4)
    now.now = 10.0
    c.epoch_ended.emit(0, {"loss": 0.5, **batch_logs(0, 9, samples=640, elapsed=10.0)})
    next_tick(qtbot, panel)
    assert "elapsed 0:10" in panel.rate_label.text()
    assert panel.progress.format() == "25% — ETA 0:30"
    c.paused_changed.emit(True)
    now.now = 130.0  # two minutes paused
    next_tick(qtbot, panel)
    assert "elapsed 0:10" in panel.rate_label.text()
    assert panel.progress.format() == "25% — ETA 0:30"
    c.paused_changed.emit(False)
    now.now = 140.0
    c.batch_ended.emit(1, batch_logs(1, 9, samples=1280, elapsed=140.0))
    next_tick(qtbot, panel)
    assert panel.rate_label.text().startswith("64 samples/s · elapsed 0:20")
    assert panel.progress.format() == "50% — ETA 0:20"


def test_that_the_finish_message_leaves_the_pause_out_of_the_duration(qtbot, panel):
    c, now = panel.controller, FakeTime()
    panel.run_clock = RunClock(now)
    fake_start(panel, epochs=1)
    c.paused_changed.emit(True)
    now.now = 600.0
    c.paused_changed.emit(False)
    now.now = 615.0
    c.run_finished.emit(1, {"reason": "finished", "epoch": 1, "duration": 615.0})
    assert panel.status.text() == "Finished 1 epoch in 0:15."


# ----- item: a batch larger than the data --------------------------------------------------------
def test_that_a_batch_larger_than_the_training_data_is_noted_when_training_starts(
        qtbot, panel, data, digits):
    data["set"] = dataclasses.replace(digits, x_train=digits.x_train[:120],
                                      y_train=digits.y_train[:120])
    panel.form.epochs.setValue(2)
    panel.form.batch_size.setValue(512)
    with qtbot.waitSignal(panel.controller.run_finished, timeout=20_000):
        panel.train()
    assert panel.run_note.isVisibleTo(panel)
    assert panel.run_note.text() == ("Batch size 512 is larger than the 120 training samples: "
                                     "each epoch is one batch of 120.")
    assert panel.batch_label.text() == "Batch 1 / 1"
    qtbot.waitUntil(lambda: not panel.controller.is_running(), timeout=5000)
    panel.form.batch_size.setValue(64)
    with qtbot.waitSignal(panel.controller.run_finished, timeout=20_000):
        panel.train()
    assert not panel.run_note.isVisibleTo(panel)


def test_that_the_sample_count_leaves_out_the_validation_split(digits):
    data = dataclasses.replace(digits, x_train=digits.x_train[:150],
                               y_train=digits.y_train[:150], x_val=None, y_val=None)
    job = TrainingJob(spec=MLP, compile_spec=COMPILE, data=data,
                      settings=merged_settings({"validation_split": 0.2}))
    assert job.training_samples() == 120  # fit() keeps the last 30 for validation


# ----- item: fast epochs do not cost the training thread ----------------------------------------
def test_that_epochs_show_at_the_next_tick_not_each_at_once(qtbot, panel):
    """Short epochs end dozens of times a second; the panel redraws its counters at its
    ticker's pace (each redraw holds the GIL the training thread needs)."""
    c = panel.controller
    fake_start(panel)
    for epoch in range(5):
        c.epoch_ended.emit(epoch, {"loss": 0.5, **batch_logs(epoch, 9)})
    assert panel.epoch_label.text() == "Epoch 1 / 300"  # still the start's text
    next_tick(qtbot, panel)
    assert panel.epoch_label.text() == "Epoch 5 / 300"


def test_that_the_counters_stand_still_while_their_numbers_grow(qtbot, panel):
    """The batch counter must not shift right as the epoch number gets longer: a display
    that jumps several times a second, and lays the panel out each time."""
    panel.resize(1000, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.epoch_label.setText("Epoch 1 / 300")
    qtbot.wait(20)
    left = panel.batch_label.x()
    panel.epoch_label.setText("Epoch 1234 / 5000")
    qtbot.wait(20)
    assert panel.batch_label.x() == left
