"""Callbacks, driven hook by hook as Keras's own tests do (plus a few real fits)."""

import io
import math
import os

import numpy as np
import pytest

from engine import Input, Sequential, layers, registry
from engine.saving import checkpoint
from engine.callbacks import (BackupAndRestore, Callback, CallbackList, CallbackWarning,
                              CSVLogger, EarlyStopping, History, LambdaCallback,
                              LearningRateScheduler, ModelCheckpoint, Progbar, ProgbarLogger,
                              ReduceLROnPlateau, TerminateOnNaN, metric_direction)
from engine.callbacks.progbar import format_value
from engine.errors import CheckpointError, SpecError, TrainingError


class FakeOptimizer:
    """Learning rate (float, or a 'schedule' that refuses floats) and a small state."""

    def __init__(self, learning_rate=0.1, schedule=False):
        self._lr = learning_rate
        self.schedule = schedule
        self.state = {"iterations": np.array(0, np.int64), "m": np.zeros(3, np.float32)}

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        if self.schedule:
            raise TypeError("This optimizer was created with a LearningRateSchedule")
        self._lr = float(value)

    @property
    def current_learning_rate(self):
        return float(self._lr)

    def get_config(self):
        return {"learning_rate": self._lr}

    def get_state(self):
        return {k: v.copy() for k, v in self.state.items()}

    def set_state(self, state):
        self.state = {k: np.array(v) for k, v in state.items()}


class FakeModel:
    """Weights that record the epoch they were set in, a stop flag and an optimizer."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.zeros(2, np.float32)]
        self.optimizer = FakeOptimizer()
        self.history = None
        self.training_state = {"epoch": 0}

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def run_epochs(callback, values, key="val_loss", model=None):
    """Runs epochs with `logs = {key: value}`; weights mark the epoch. Returns epochs run."""
    model = model or FakeModel()
    callbacks = CallbackList([callback], model=model, epochs=len(values), steps=1, verbose=0)
    callbacks.on_train_begin()
    logs, ran = {}, 0
    for epoch, value in enumerate(values):
        callbacks.on_epoch_begin(epoch)
        if isinstance(model, FakeModel):  # a real model's `weights` is read-only, as in Keras
            model.weights = [np.full(2, epoch, np.float32)]
        logs = {key: value}
        callbacks.on_epoch_end(epoch, logs)
        ran += 1
        if model.stop_training:
            break
    callbacks.on_train_end(logs)
    return ran


def weight_epoch(model):
    return int(model.weights[0][0])


def mlp():
    return Sequential([Input((3,)), layers.Dense(4), layers.Dense(2)])


# ----- Callback and CallbackList ---------------------------------------------------------------
class Recorder(Callback):
    def __init__(self, tag, journal):
        super().__init__()
        self.tag, self.journal = tag, journal

    def on_epoch_end(self, epoch, logs=None):
        self.journal.append((self.tag, "epoch_end", epoch, dict(logs or {})))

    def on_batch_begin(self, batch, logs=None):
        self.journal.append((self.tag, "batch_begin", batch))

    def on_batch_end(self, batch, logs=None):
        self.journal.append((self.tag, "batch_end", batch))


def test_that_callback_list_calls_every_callback_in_order_with_the_same_logs():
    journal = []
    callbacks = CallbackList([Recorder("a", journal), [Recorder("b", journal)]])
    logs = {"loss": 1.0}
    callbacks.on_epoch_end(0, logs)
    assert journal == [("a", "epoch_end", 0, logs), ("b", "epoch_end", 0, logs)]


def test_that_train_batch_hooks_call_the_legacy_batch_hooks_as_keras_does():
    journal = []
    callbacks = CallbackList([Recorder("a", journal)])
    callbacks.on_train_batch_begin(3)
    callbacks.on_train_batch_end(3, {"loss": 0.1})
    callbacks.on_test_batch_end(3, {"loss": 0.1})  # not a training batch
    assert journal == [("a", "batch_begin", 3), ("a", "batch_end", 3)]


def test_that_every_hook_exists_on_the_base_class_and_accepts_keras_arguments():
    base, callbacks = Callback(), CallbackList([Callback()])
    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                 "on_predict_begin", "on_predict_end"):
        getattr(base, hook)(logs=None)
        getattr(callbacks, hook)({})
    for hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_batch_begin", "on_batch_end", "on_test_batch_begin", "on_test_batch_end",
                 "on_predict_batch_begin", "on_predict_batch_end"):
        getattr(base, hook)(0, logs=None)
        getattr(callbacks, hook)(0, {})


def test_that_callback_list_sets_model_and_params_and_adds_history_and_progbar_once():
    model, own_history = FakeModel(), History()
    callbacks = CallbackList([own_history], model=model, add_history=True, add_progbar=True,
                             epochs=3, steps=10, verbose=1)
    assert callbacks.history is own_history
    assert isinstance(callbacks.progbar, ProgbarLogger) and len(callbacks) == 2
    for callback in callbacks:
        assert callback.model is model
        assert callback.params == {"epochs": 3, "steps": 10, "verbose": 1}
    added = CallbackList([], add_history=True)
    assert isinstance(added.history, History) and added.progbar is None


def test_that_callback_list_refuses_objects_that_are_not_callbacks():
    with pytest.raises(SpecError, match="Callback instances"):
        CallbackList([lambda: None])


def test_that_history_records_epochs_and_becomes_model_history():
    model, history = FakeModel(), History()
    callbacks = CallbackList([history], model=model)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": 1.0, "learning_rate": 0.1})
    callbacks.on_epoch_end(1, {"loss": 0.5, "learning_rate": 0.05})
    assert history.history == {"loss": [1.0, 0.5], "learning_rate": [0.1, 0.05]}
    assert history.epoch == [0, 1] and model.history is history
    assert History.from_dict(history.to_dict()).history == history.history


def test_that_lambda_callback_runs_the_given_functions():
    seen = []
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs)),
                              on_test_end=lambda logs: seen.append(("test", logs)))
    CallbackList([callback]).on_epoch_end(2, {"loss": 3.0})
    callback.on_test_end({"loss": 1.0})
    callback.on_train_begin()  # not given: the base hook, which does nothing
    assert seen == [(2, {"loss": 3.0}), ("test", {"loss": 1.0})]
    with pytest.raises(SpecError, match="unknown hooks"):
        LambdaCallback(on_epoch_ending=print)


# ----- EarlyStopping --------------------------------------------------------------------------
def test_that_early_stopping_stops_after_patience_and_restores_the_best_weights():
    model = FakeModel()
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    ran = run_epochs(stopper, [1.0, 0.8, 0.9, 0.85, 0.7], model=model)
    assert ran == 4 and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    assert stopper.best == 0.8 and weight_epoch(model) == 1
    assert model.training_state["best"] == {"val_loss": 0.8}


def test_that_early_stopping_with_zero_patience_stops_at_the_first_worse_epoch():
    stopper = EarlyStopping(monitor="loss")
    assert run_epochs(stopper, [1.0, 0.9, 0.95, 0.5], key="loss") == 3
    assert stopper.stopped_epoch == 2


def test_that_restore_best_weights_also_applies_when_training_ends_normally():
    model = FakeModel()
    stopper = EarlyStopping(patience=5, restore_best_weights=True)
    assert run_epochs(stopper, [1.0, 0.5, 0.7, 0.8], model=model) == 4
    assert stopper.stopped_epoch == 0 and weight_epoch(model) == 1


def test_that_min_delta_sets_how_much_change_counts_as_improvement():
    assert run_epochs(EarlyStopping(min_delta=0.1, patience=1), [1.0, 0.95, 0.5]) == 2
    assert run_epochs(EarlyStopping(min_delta=-0.1, patience=1), [1.0, 0.95, 0.5]) == 2
    assert run_epochs(EarlyStopping(min_delta=0.01, patience=1), [1.0, 0.95, 0.5]) == 3


def test_that_improvements_that_miss_the_baseline_keep_the_patience_counter_running():
    stopper = EarlyStopping(patience=3, baseline=0.5)
    assert run_epochs(stopper, [0.9, 0.8, 0.85, 0.84]) == 3
    assert stopper.stopped_epoch == 2
    assert run_epochs(EarlyStopping(patience=3), [0.9, 0.8, 0.85, 0.84]) == 4


def test_that_start_from_epoch_ignores_the_warm_up_epochs():
    assert run_epochs(EarlyStopping(), [1.0, 0.5, 0.9, 0.95]) == 3
    stopper = EarlyStopping(start_from_epoch=2)
    assert run_epochs(stopper, [1.0, 0.5, 0.9, 0.95]) == 4
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 2


def test_that_auto_mode_maximises_accuracy_like_metrics():
    stopper = EarlyStopping(monitor="val_accuracy")
    assert run_epochs(stopper, [0.5, 0.7, 0.6], key="val_accuracy") == 3
    assert stopper.best == 0.7 and stopper.monitor_op == "max"
    assert run_epochs(EarlyStopping(monitor="score", mode="max"), [1, 2, 1], key="score") == 3


def test_that_auto_mode_asks_for_min_or_max_when_the_metric_is_unknown():
    with pytest.raises(SpecError, match="Pass `mode='max'`.*`mode='min'`"):
        run_epochs(EarlyStopping(monitor="val_banana"), [1.0], key="val_banana")
    with pytest.raises(SpecError, match="'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")


@pytest.mark.parametrize("name, direction", [
    ("loss", "min"), ("val_loss", "min"), ("val_probs_loss", "min"), ("mae", "min"),
    ("val_mean_squared_error", "min"), ("accuracy", "max"), ("val_acc", "max"),
    ("val_probs_accuracy_1", "max"), ("auc_2", "max"), ("precision", "max"),
    ("val_recall", "max"), ("f1_score", "max"), ("sparse_categorical_accuracy", "max"),
    ("banana", None)])
def test_that_metric_direction_follows_the_metric_name(name, direction):
    assert metric_direction(name) == direction


def test_that_a_metric_object_with_a_direction_decides_first():
    class Score:
        name, _direction = "banana", "up"

    model = FakeModel()
    model.metrics = [Score()]
    assert metric_direction("val_banana", model) == "max"


def test_that_a_missing_monitor_warns_with_the_available_keys_and_does_not_stop():
    with pytest.warns(CallbackWarning, match="Available metrics are: loss"):
        assert run_epochs(EarlyStopping(), [1.0, 2.0, 3.0], key="loss") == 3


def test_that_early_stopping_is_reusable_across_fits():
    stopper = EarlyStopping(patience=1)
    assert run_epochs(stopper, [1.0, 2.0, 3.0]) == 2
    assert run_epochs(stopper, [5.0, 4.0, 3.0]) == 3 and stopper.stopped_epoch == 0


# ----- ModelCheckpoint --------------------------------------------------------------------------
def test_that_model_checkpoint_saves_every_epoch_with_names_from_the_template(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.lcm"))
    run_epochs(saver, [0.5, 0.25], model=mlp())
    names = sorted(os.listdir(tmp_path))
    assert names == ["ckpt-01-0.500.lcm", "ckpt-02-0.250.lcm"]
    assert saver.saved_paths == [str(tmp_path / n) for n in names]
    assert saver.best_path == str(tmp_path / "ckpt-02-0.250.lcm")
    contents = checkpoint.read_checkpoint(tmp_path / "ckpt-02-0.250.lcm")
    assert contents.kind == "model" and contents.epoch == 2


def test_that_best_only_saves_improvements_only(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "e{epoch}.lcm"), save_best_only=True)
    run_epochs(saver, [0.5, 0.6, 0.4, 0.45], model=mlp())
    assert sorted(os.listdir(tmp_path)) == ["e1.lcm", "e3.lcm"]
    assert saver.best == 0.4 and saver.best_path == str(tmp_path / "e3.lcm")


def test_that_best_only_on_one_file_keeps_the_best_epoch(tmp_path):
    path = tmp_path / "best.lcm"
    saver = ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True)
    run_epochs(saver, [0.5, 0.9, 0.7], key="val_accuracy", model=mlp())
    assert os.listdir(tmp_path) == ["best.lcm"] and saver.saved_paths == [str(path)]
    contents = checkpoint.read_checkpoint(path)
    assert contents.epoch == 2 and contents.best == {"val_accuracy": 0.9}


def test_that_initial_value_threshold_must_be_beaten_before_the_first_save(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "e{epoch}.lcm"), save_best_only=True,
                            initial_value_threshold=0.45)
    run_epochs(saver, [0.5, 0.6, 0.4], model=mlp())
    assert os.listdir(tmp_path) == ["e3.lcm"]


def test_that_best_only_without_the_monitor_warns_and_skips(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "m.lcm"), save_best_only=True)
    with pytest.warns(CallbackWarning, match="val_loss available, skipping"):
        run_epochs(saver, [0.5], key="loss", model=mlp())
    assert os.listdir(tmp_path) == []


def test_that_weights_only_checkpoints_every_n_batches_name_epoch_and_batch(tmp_path):
    model = mlp()
    saver = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.weights.lcw"),
                            save_weights_only=True, save_freq=2)
    callbacks = CallbackList([saver], model=model)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for batch in range(5):
            callbacks.on_train_batch_end(batch, {"loss": 1.0})
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["e1-b2.weights.lcw", "e1-b4.weights.lcw", "e2-b1.weights.lcw", "e2-b3.weights.lcw",
         "e2-b5.weights.lcw"])
    assert checkpoint.read_checkpoint(tmp_path / "e1-b2.weights.lcw").kind == "weights"


def test_that_model_checkpoint_creates_missing_folders(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "runs" / "a" / "m.lcm"))
    run_epochs(saver, [1.0], model=mlp())
    assert (tmp_path / "runs" / "a" / "m.lcm").exists()


def test_that_model_checkpoint_checks_its_arguments():
    with pytest.raises(SpecError, match="save_freq"):
        ModelCheckpoint("m.lcm", save_freq="batch")
    with pytest.raises(SpecError, match="should end in '.weights.lcw'"):
        ModelCheckpoint("m.lcm", save_weights_only=True)
    with pytest.raises(SpecError, match="holds weights only"):
        ModelCheckpoint("m.weights.lcw")
    assert ModelCheckpoint("m.ckpt", save_weights_only=True, save_freq="3").save_freq == 3


def test_that_a_template_naming_a_missing_log_says_which(tmp_path):
    saver = ModelCheckpoint(str(tmp_path / "{val_auc:.2f}.lcm"))
    with pytest.raises(SpecError, match="no 'val_auc' in the logs. Available: epoch, val_loss"):
        run_epochs(saver, [1.0], model=mlp())


# ----- learning rate callbacks -------------------------------------------------------------------
def lr_run(callback, values, key="val_loss"):
    model = FakeModel()
    callbacks = CallbackList([callback], model=model)
    callbacks.on_train_begin()
    rates, logged = [], []
    for epoch, value in enumerate(values):
        callbacks.on_epoch_begin(epoch)
        logs = {key: value}
        callbacks.on_epoch_end(epoch, logs)
        logged.append(logs.get("learning_rate"))
        rates.append(model.optimizer.learning_rate)
    return rates, logged


def test_that_reduce_lr_on_plateau_reduces_after_patience_epochs():
    rates, logged = lr_run(ReduceLROnPlateau(factor=0.5, patience=2), [1.0] * 5)
    assert rates == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert logged == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05])  # the rate the epoch used


def test_that_cooldown_delays_the_next_reduction():
    rates, _ = lr_run(ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2), [1.0] * 6)
    assert rates == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.05, 0.025])


def test_that_min_lr_bounds_the_reduction():
    rates, _ = lr_run(ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.05), [1.0] * 4)
    assert rates == pytest.approx([0.1, 0.05, 0.05, 0.05])


def test_that_improvements_smaller_than_min_delta_do_not_count():
    rates, _ = lr_run(ReduceLROnPlateau(patience=1, min_delta=0.1), [1.0, 0.95, 0.5])
    assert rates == pytest.approx([0.1, 0.01, 0.01])
    rates, _ = lr_run(ReduceLROnPlateau(monitor="val_acc", patience=1), [0.5, 0.7, 0.9],
                      key="val_acc")
    assert rates == pytest.approx([0.1] * 3)  # "acc" in the name: rising is improving


def test_that_reduce_lr_on_plateau_refuses_a_factor_of_one_or_more():
    with pytest.raises(SpecError, match="factor"):
        ReduceLROnPlateau(factor=1.0)


def test_that_reduce_lr_on_plateau_explains_a_schedule_backed_optimizer():
    model = FakeModel()
    model.optimizer = FakeOptimizer(schedule=True)
    with pytest.raises(TrainingError, match="follows a learning-rate schedule"):
        run_epochs(ReduceLROnPlateau(patience=0), [1.0, 1.0], model=model)


def test_that_learning_rate_scheduler_calls_the_schedule_with_epoch_and_rate():
    seen = []

    def halve(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5

    rates, logged = lr_run(LearningRateScheduler(halve), [1.0] * 3)
    assert seen == [(0, 0.1), (1, 0.05), (2, 0.025)]
    assert rates == logged == pytest.approx([0.05, 0.025, 0.0125])


def test_that_learning_rate_scheduler_accepts_the_old_one_argument_schedule():
    rates, _ = lr_run(LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1)), [1.0] * 2)
    assert rates == pytest.approx([0.01, 0.02])


def test_that_a_schedule_must_return_a_float():
    with pytest.raises(SpecError, match="should be a float"):
        lr_run(LearningRateScheduler(lambda epoch, lr: 1), [1.0])
    with pytest.raises(SpecError, match="must be a function"):
        LearningRateScheduler(0.1)


# ----- TerminateOnNaN, CSVLogger ------------------------------------------------------------------
def test_that_terminate_on_nan_stops_after_a_nan_or_inf_batch_loss(capsys):
    for bad in (math.nan, math.inf):
        model, stopper = FakeModel(), TerminateOnNaN()
        callbacks = CallbackList([stopper], model=model)
        callbacks.on_train_begin()
        callbacks.on_train_batch_end(0, {"loss": 0.3})
        assert not model.stop_training
        callbacks.on_train_batch_end(1, {"loss": bad})
        assert model.stop_training and stopper.terminated_at == 1
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_that_terminate_on_nan_can_raise_instead():
    callbacks = CallbackList([TerminateOnNaN(raise_error=True)], model=FakeModel())
    with pytest.raises(TrainingError, match="NaN or Inf loss encountered at batch 4"):
        callbacks.on_train_batch_end(4, {"loss": float("nan")})


def test_that_csv_logger_writes_sorted_columns_with_na_for_missing_values(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    callbacks = CallbackList([logger])
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    callbacks.on_epoch_end(1, {"loss": 0.25, "accuracy": 0.875, "val_loss": 0.5})
    callbacks.on_train_end()
    assert logger.csv_file.closed
    assert path.read_text().splitlines() == [
        "epoch,accuracy,loss,val_accuracy,val_loss",
        "0,0.75,0.5,NA,NA",
        "1,0.875,0.25,NA,0.5"]


def test_that_csv_logger_appends_without_a_second_header_and_honours_the_separator(tmp_path):
    path = tmp_path / "log.csv"
    for epoch in range(2):
        logger = CSVLogger(path, separator=";", append=True)
        logger.on_train_begin()
        logger.on_epoch_end(epoch, {"loss": 1.0, "val_loss": 2.0})
        logger.on_train_end()
    assert path.read_text().splitlines() == ["epoch;loss;val_loss", "0;1.0;2.0", "1;1.0;2.0"]


# ----- registry and configs --------------------------------------------------------------------
def test_that_the_gui_callbacks_are_registered_with_params_matching_their_config():
    expected = {"EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "CSVLogger",
                "TerminateOnNaN"}
    assert expected <= set(registry.names("callback"))
    samples = {"ModelCheckpoint": {"filepath": "m.lcm"}, "CSVLogger": {"filename": "l.csv"}}
    for name in expected:
        cls = registry.get_class("callback", name)
        instance = cls(**samples.get(name, {}))
        config = instance.get_config()
        assert [p.name for p in cls.PARAMS] == list(config)
        assert cls.from_config(config).get_config() == config
        defaults = {p.name: p.default for p in cls.PARAMS if p.name not in samples.get(name, {})}
        assert {k: config[k] for k in defaults} == defaults


# ----- progress bar -------------------------------------------------------------------------------
def test_that_progbar_logger_prints_epochs_and_a_keras_style_final_line(capsys):
    callbacks = CallbackList([], add_progbar=True, epochs=2, steps=3, verbose=1)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for batch in range(3):
            callbacks.on_train_batch_end(batch, {"loss": 0.5 / (batch + 1)})
        callbacks.on_epoch_end(epoch, {"loss": 0.123456, "accuracy": 0.9})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("3/3 " + "━" * 20 + " 0s ")
    assert lines[1].endswith("/step - loss: 0.1235 - accuracy: 0.9000")


def test_that_a_dynamic_progbar_redraws_in_place_and_is_throttled():
    stream = io.StringIO()
    bar = Progbar(target=4, stream=stream, dynamic=True, interval=60)
    bar.update(1, [("loss", 2.0)])
    bar.update(2, [("loss", 1.0)])  # within the interval: not drawn
    bar.update(4, [("loss", 0.5)])  # the last step is always drawn
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "\r1/4 ━━━━━─────────────── " in text and "loss: 2.0000" in text
    assert "loss: 1.0000" not in text and "loss: 0.5000" in text


def test_that_verbose_two_prints_one_line_per_epoch():
    stream = io.StringIO()
    bar = Progbar(target=2, verbose=2, stream=stream, dynamic=True)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 0.5)])
    assert stream.getvalue().startswith("2/2 - 0s - ")
    assert stream.getvalue().endswith(" - loss: 0.5000\n")


def test_that_tiny_values_use_scientific_notation():
    assert format_value(0.12345) == "0.1235" and format_value(1e-5) == "1.0000e-05"


# ----- BackupAndRestore ---------------------------------------------------------------------------
def backup_epochs(model, backup, epochs, fail_at=None):
    """Epochs with BackupAndRestore and History; `fail_at` raises in that epoch."""
    callbacks = CallbackList([backup], model=model, add_history=True, epochs=epochs)
    callbacks.on_train_begin()
    start = model._initial_epoch_override or 0
    logs = {}
    try:
        for epoch in range(start, epochs):
            callbacks.on_epoch_begin(epoch)
            if epoch == fail_at:
                raise RuntimeError("crash")
            model.set_weights([np.full_like(w, epoch) for w in model.get_weights()])
            model.optimizer.state["iterations"] = np.array(epoch + 1, np.int64)
            logs = {"loss": 1.0 / (epoch + 1)}
            callbacks.on_epoch_end(epoch, logs)
    finally:
        callbacks.on_train_end(logs)
    return callbacks.history


def backup_model():
    model = mlp()
    model.optimizer = FakeOptimizer()
    model._initial_epoch_override = None
    return model


def test_that_backup_and_restore_resumes_at_the_interrupted_epoch(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(RuntimeError, match="crash"):
        backup_epochs(backup_model(), BackupAndRestore(folder), epochs=5, fail_at=2)
    assert os.listdir(folder) == ["backup.lcm"]
    assert checkpoint.read_checkpoint(folder / "backup.lcm").epoch == 2

    model = backup_model()
    backup = BackupAndRestore(folder)
    CallbackList([backup], model=model).on_train_begin()
    assert model._initial_epoch_override == 2 and backup.restored_epoch == 2
    assert all((w == 1).all() for w in model.get_weights())  # weights after epoch index 1
    assert int(model.optimizer.state["iterations"]) == 2


def test_that_a_resumed_run_continues_the_history_and_deletes_the_backup_at_the_end(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(RuntimeError):
        backup_epochs(backup_model(), BackupAndRestore(folder), epochs=4, fail_at=2)
    model = backup_model()
    history = backup_epochs(model, BackupAndRestore(folder), epochs=4)
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["loss"] == pytest.approx([1.0, 0.5, 1 / 3, 0.25])
    assert not folder.exists()


def test_that_backup_and_restore_deletes_only_its_own_files(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    backup_epochs(backup_model(), BackupAndRestore(folder, double_checkpoint=True), epochs=3)
    assert os.listdir(folder) == ["notes.txt"]


def test_that_the_previous_backup_is_used_when_the_latest_is_damaged(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(RuntimeError):
        backup_epochs(backup_model(), BackupAndRestore(folder, double_checkpoint=True),
                      epochs=5, fail_at=3)
    assert sorted(os.listdir(folder)) == ["backup-previous.lcm", "backup.lcm"]
    (folder / "backup.lcm").write_bytes(b"garbage")
    model = backup_model()
    CallbackList([BackupAndRestore(folder, double_checkpoint=True)],
                 model=model).on_train_begin()
    assert model._initial_epoch_override == 2


def test_that_a_backup_from_another_model_is_refused_with_advice(tmp_path):
    folder = tmp_path / "backup"
    with pytest.raises(RuntimeError):
        backup_epochs(backup_model(), BackupAndRestore(folder), epochs=3, fail_at=1)
    other = Sequential([Input((3,)), layers.Dense(7)])
    with pytest.raises(CheckpointError, match="(?s)holds 4 weight arrays.*Delete that folder"):
        CallbackList([BackupAndRestore(folder)], model=other).on_train_begin()


def test_that_backup_and_restore_checks_its_arguments():
    with pytest.raises(SpecError, match="backup_dir"):
        BackupAndRestore("")
    with pytest.raises(SpecError, match="save_freq"):
        BackupAndRestore("b", save_freq=0)


# ----- with the real trainer ----------------------------------------------------------------------
def _data(rng):
    x = rng.normal(size=(24, 3)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def _compiled(weights=None):
    model = Sequential([Input((3,)), layers.Dense(4, activation="tanh"),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if weights is not None:
        model.set_weights(weights)
    return model


class CrashAt(Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


def test_that_fit_with_backup_and_restore_resumes_to_the_uninterrupted_result(tmp_path, rng):
    x, y = _data(rng)
    reference = _compiled()
    start = reference.get_weights()
    reference.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)

    folder = tmp_path / "backup"
    first = _compiled(start)
    with pytest.raises(RuntimeError, match="interrupted"):
        first.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[BackupAndRestore(folder), CrashAt(2)])
    second = _compiled(start)
    history = second.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0,
                         callbacks=[BackupAndRestore(folder)])
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["loss"] == pytest.approx(reference.history.history["loss"])
    for a, b in zip(second.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not folder.exists()


def test_that_fit_stops_early_and_model_checkpoint_keeps_the_best(tmp_path, rng):
    x, y = _data(rng)
    model = _compiled()
    stopper = EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    saver = ModelCheckpoint(str(tmp_path / "best.lcm"), monitor="loss", save_best_only=True)
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[stopper, saver])
    assert history.epoch == [0, 1] and stopper.stopped_epoch == 1
    best_epoch = int(np.argmin(history.history["loss"]))
    assert checkpoint.read_checkpoint(tmp_path / "best.lcm").epoch == best_epoch + 1


# ----- batch logs are built only when a callback reads them ----------------------------------
def count_log_reads(monkeypatch):
    """Counts how often the loop reads the running loss (a device sync on a GPU)."""
    from engine import trainer

    reads = []
    original = trainer.RunningMean.result

    def counting(self):
        reads.append(1)
        return original(self)

    monkeypatch.setattr(trainer.RunningMean, "result", counting)
    return reads


def regression_model():
    model = Sequential([Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def test_that_fit_reads_no_batch_logs_when_no_callback_wants_them(monkeypatch, tmp_path):
    model = regression_model()
    x, y = np.random.default_rng(0).random((64, 4)), np.zeros((64, 1))
    reads = count_log_reads(monkeypatch)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0,
              callbacks=[EarlyStopping(monitor="loss", patience=5),
                         BackupAndRestore(str(tmp_path / "backup"))])
    assert len(reads) == 2  # once per epoch's logs, never per batch (8 batches per epoch)
    assert len(model.history.history["loss"]) == 2


def test_that_a_callback_overriding_a_batch_hook_gets_full_logs_every_batch():
    seen = []

    class Recorder(Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(sorted(logs))

    legacy = []
    model = regression_model()
    x, y = np.random.default_rng(0).random((32, 4)), np.zeros((32, 1))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[
        Recorder(), LambdaCallback(on_batch_end=lambda b, logs: legacy.append(logs["loss"]))])
    assert seen == [["loss", "mae"]] * 4
    assert len(legacy) == 4 and all(math.isfinite(v) for v in legacy)


def test_that_terminate_on_nan_still_checks_every_batch():
    assert TerminateOnNaN().wants_batch_logs(0)
    assert not History().wants_batch_logs(0) and not EarlyStopping().wants_batch_logs(0)
    assert ModelCheckpoint("m.keras", save_freq=2).wants_batch_logs(0)
    assert not ModelCheckpoint("m.keras").wants_batch_logs(0)


def test_that_the_progress_bar_asks_for_logs_only_when_it_will_redraw():
    bar = ProgbarLogger()
    bar.set_params({"verbose": 1, "epochs": 1, "steps": 100})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    assert bar.wants_batch_logs(0)  # nothing drawn yet
    bar.progbar._stream = io.StringIO()
    bar.on_train_batch_end(0, {"loss": 1.0})
    assert not bar.wants_batch_logs(1)  # drawn less than `interval` ago
    assert bar.wants_batch_logs(99)  # the last step always draws
    assert not bar.wants_batch_logs(0, "test")  # validation inside fit shows no bar
    bar.set_params({"verbose": 2, "epochs": 1, "steps": 100})
    assert not bar.wants_batch_logs(5)


@pytest.mark.parametrize("base", [ModelCheckpoint, BackupAndRestore, ProgbarLogger])
def test_that_a_subclass_overriding_a_batch_hook_of_a_built_in_gets_the_logs(base, tmp_path):
    seen = []

    class Mine(base):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(dict(logs or {}))

    args = () if base is ProgbarLogger else (str(tmp_path / "mine"),)
    model = regression_model()
    x, y = np.random.default_rng(0).random((16, 4)), np.zeros((16, 1))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Mine(*args)])
    assert len(seen) == 2 and all("loss" in logs for logs in seen)


def test_that_the_progress_bar_does_not_redraw_with_logs_it_did_not_ask_for():
    bar = ProgbarLogger()
    bar.set_params({"verbose": 1, "epochs": 1, "steps": 10})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    bar._maybe_init_progbar()
    stream = io.StringIO()
    bar.progbar._stream, bar.progbar._dynamic = stream, True
    bar.on_train_batch_end(0, {"loss": 0.5})
    drawn = stream.getvalue()
    assert "loss: 0.5" in drawn
    bar.progbar._last_update = 0.0  # long ago: a redraw would be due by the clock
    bar.on_train_batch_end(1, {})  # the loop built no logs: it was not due when asked
    assert stream.getvalue() == drawn and bar.seen == 2
