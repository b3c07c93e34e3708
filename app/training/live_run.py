"""The record of the run that is training now, kept up to date from the controller's
signals so the runs table shows it from its start (status "running", epochs, best so far).

It becomes the project's run record when the run ends (`finish`); until then it is shown,
not saved: a record saved mid-run would claim "running" after the app had closed.
"""

import datetime
import functools

from engine.callbacks import metric_direction

from .job import INFO_KEYS


def best_values(history: dict) -> dict:
    """The best value of each logged quantity (min for losses, max for accuracies...)."""
    best = {}
    for key, values in history.items():
        finite = [v for v in values if v == v]
        direction = metric_direction(key)
        if finite and direction and key != "learning_rate":
            best[key] = min(finite) if direction == "min" else max(finite)
    return best


@functools.cache
def _direction(key: str):
    """`metric_direction` once per key: it runs regular expressions, and short epochs end
    dozens of times a second."""
    return metric_direction(key) if key != "learning_rate" else None


def _keep_best(best: dict, key: str, value: float) -> None:
    """`best_values` one value at a time (it went over the whole history every epoch)."""
    direction = _direction(key)
    if value != value or not direction:
        return
    old = best.get(key)
    if old is None or (value < old if direction == "min" else value > old):
        best[key] = value


class LiveRun:
    """The record of one run while it trains; `record` is what the runs table shows."""

    def __init__(self, job):
        self.job = job
        settings = dict(job.settings)
        self.record = {"name": job.extra.get("run_name", "run"),
                       "started": datetime.datetime.now().isoformat(timespec="seconds"),
                       "settings": settings,
                       "resumed_from": job.resume.source if job.resume else None,
                       "reason": "running", "epochs": job.initial_epoch,
                       "epochs_planned": job.initial_epoch + job.epochs, "best": {},
                       "duration": 0.0, "device": str(settings.get("device", "cpu")),
                       "checkpoints": [], "history": {}}

    def epoch_ended(self, epoch: int, logs: dict) -> None:
        """Adds an epoch's logs: epochs done, best values so far, time so far."""
        history, best = self.record["history"], self.record["best"]
        for key, value in logs.items():
            if key not in INFO_KEYS:
                history.setdefault(key, []).append(float(value))
                _keep_best(best, key, float(value))
        self.record["epochs"] = epoch + 1
        self.record["duration"] = float(logs.get("elapsed", self.record["duration"]))

    def checkpoint_saved(self, path: str) -> None:
        if path not in self.record["checkpoints"]:
            self.record["checkpoints"].append(path)

    def set_paused(self, paused: bool) -> None:
        self.record["reason"] = "paused" if paused else "running"

    def finish(self, summary: dict) -> dict:
        """The project's record of the ended run, from the worker's `summary`."""
        record = {k: v for k, v in self.record.items() if k != "epochs_planned"}
        # A failed run's summary has no history or files: keep what the signals brought.
        history = (summary.get("history") or {}).get("history") or record["history"]
        record.update(
            reason=summary.get("reason"), message=summary.get("message", ""),
            duration=round(float(summary.get("duration", 0.0)), 3),
            device=summary.get("device", record["settings"].get("device", "cpu")),
            epochs=int(summary.get("epoch", record["epochs"])), best=best_values(history),
            history=history,
            checkpoints=list(summary.get("checkpoints", record["checkpoints"])),
            best_checkpoint=summary.get("best_path"))
        return record
