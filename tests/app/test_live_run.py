"""The running run's record keeps its best values as epochs arrive, one epoch at a time,
and agrees with the best values the finished run's history gives."""

from types import SimpleNamespace

from app.training.live_run import LiveRun, best_values

NAN = float("nan")


def _job():
    return SimpleNamespace(settings={"epochs": 4}, extra={"run_name": "run 1"}, resume=None,
                           initial_epoch=0, epochs=4)


def test_best_values_follow_each_epoch_as_the_whole_history_gives_them():
    run = LiveRun(_job())
    epochs = [{"loss": 0.9, "accuracy": 0.5, "val_loss": NAN, "learning_rate": 0.1},
              {"loss": 0.4, "accuracy": 0.7, "val_loss": 0.8, "learning_rate": 0.01},
              {"loss": 0.6, "accuracy": 0.6, "val_loss": 0.3, "learning_rate": 0.001},
              {"loss": NAN, "accuracy": 0.9, "val_loss": 0.5, "learning_rate": 0.0001,
               "elapsed": 2.5, "samples": 1000}]
    for epoch, logs in enumerate(epochs):
        run.epoch_ended(epoch, logs)
        assert run.record["best"] == best_values(run.record["history"])
    assert run.record["best"] == {"loss": 0.4, "accuracy": 0.9, "val_loss": 0.3}
    assert run.record["epochs"] == 4 and run.record["duration"] == 2.5
    assert "samples" not in run.record["history"]


def test_a_quantity_that_was_only_ever_nan_has_no_best_value():
    run = LiveRun(_job())
    run.epoch_ended(0, {"loss": NAN})
    assert run.record["best"] == {} == best_values(run.record["history"])
