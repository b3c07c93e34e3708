"""TrainingWorker: runs `model.fit` in a training thread and posts what happens to a queue.

The worker builds a fresh engine model from the job's spec (the GUI's document is never
touched here), trains it and hands it back in a "done" message. It touches no Qt object at
all: it puts plain tuples in `outbox` (a `queue.SimpleQueue`), and the controller's timer in
the GUI thread drains them. Qt signals with Python payloads emitted from this thread, while
the GUI thread's garbage collector destroyed Qt objects, deadlocked or crashed CI runs
(dumps: GUI thread "Garbage-collecting", worker inside `emit`).

Messages: ("batch", epoch, logs), ("epoch", epoch, logs), ("checkpoint", epoch, path),
("done", model, summary), ("failed", user message, traceback text); "done" or "failed" is
always the last one.
"""

import queue
import threading
import time
import traceback

from engine import Model, callbacks as cb
from engine.errors import LayerCraftError

from .job import TrainingJob

BATCH_INTERVAL_S = 0.1  # at most ~10 batch messages per second (the GUI handles each)


class _MessageBridge(cb.Callback):
    """Engine callback -> worker messages, with plain floats and throttled batch updates."""

    def __init__(self, worker: "TrainingWorker"):
        super().__init__()
        self.worker = worker
        self._last_emit = 0.0
        self._epoch = 0
        self._steps = 1
        self._started = 0.0
        self._samples = 0
        self._seen_paths = set()

    def on_train_begin(self, logs=None):
        # fit() resets the model's run control: re-apply a stop/pause asked for meanwhile.
        self.worker._apply_pending(self.model)
        self._steps = max(1, int(self.params.get("steps") or 1))
        self._started = time.monotonic()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def wants_batch_logs(self, batch, mode="train"):
        return mode == "train" and self._due(batch, time.monotonic())

    def _due(self, batch: int, now: float) -> bool:
        """Throttle: a batch message at most every BATCH_INTERVAL_S, and for the last batch."""
        return now - self._last_emit >= BATCH_INTERVAL_S or batch + 1 >= self._steps

    def on_train_batch_end(self, batch, logs=None):
        self._samples += self.worker.batch_size
        now = time.monotonic()
        if not self._due(batch, now) or not logs:
            return
        self._last_emit = now
        self.worker.post("batch", self._epoch, {**_plain(logs), **self._info(batch, now)})

    def on_epoch_end(self, epoch, logs=None):
        now = time.monotonic()
        info = self._info(self._steps - 1, now)
        self.worker.post("epoch", epoch, {**_plain(logs), **info})
        for callback in self.worker.callbacks:
            for path in getattr(callback, "saved_paths", []):
                if path not in self._seen_paths:
                    self._seen_paths.add(path)
                    self.worker.post("checkpoint", epoch, path)

    def _info(self, batch: int, now: float) -> dict:
        elapsed = max(now - self._started, 1e-9)
        return {"batch": batch, "steps": self._steps, "elapsed": elapsed,
                "position": self._epoch + (batch + 1) / self._steps,
                "samples": self._samples, "samples_per_s": self._samples / elapsed}


def _plain(logs) -> dict:
    """Logs as plain Python floats (no NumPy/CuPy scalars cross the thread boundary)."""
    return {str(k): float(v) for k, v in (logs or {}).items() if _is_number(v)}


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


class TrainingWorker:
    """Builds the model for `job`, fits it, and reports through messages in `outbox`."""

    def __init__(self, job: TrainingJob, extra_callbacks=()):
        self.outbox = queue.SimpleQueue()
        self.job = job
        self.batch_size = int(job.settings["batch_size"])
        self.callbacks = list(extra_callbacks)
        self._lock = threading.Lock()
        self._model = None
        self._stop = False
        self._paused = False

    # ----- control (called directly from the GUI thread; thread-safe) ---------------------
    def request_stop(self) -> None:
        with self._lock:
            self._stop = True
            if self._model is not None:
                self._model.request_stop()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self._model is not None:
                self._model.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._model is not None:
                self._model.resume()

    def _apply_pending(self, model) -> None:
        with self._lock:
            self._model = model
            if self._stop:
                model.request_stop()
            elif self._paused:
                model.pause()

    def post(self, kind: str, *args) -> None:
        """Puts a message for the GUI thread (thread-safe, never blocks)."""
        self.outbox.put((kind, *args))

    # ----- the run (in the training thread) ------------------------------------------------
    def run(self) -> None:
        started = time.monotonic()
        try:
            model = self._build_model()
            self._apply_pending(model)
            history = model.fit(**self._fit_kwargs(model))
        except Exception as exc:  # reported to the user, never swallowed
            message = str(exc) if isinstance(exc, LayerCraftError) else (
                f"Training failed ({type(exc).__name__}: {exc}).")
            self.post("failed", message, traceback.format_exc())
            return
        summary = {"reason": self._reason(), "history": history.to_dict(),
                   "duration": time.monotonic() - started, "device": model.device,
                   "epoch": int(model.training_state.get("epoch", 0))}
        summary.update(self._callback_summary())
        self.post("done", model, summary)

    def _build_model(self):
        job = self.job
        model = Model.from_spec(job.spec)
        model.compile(**job.compile_kwargs())
        if job.resume is not None:
            model.set_weights(job.resume.weights)
            if job.resume.optimizer_state:
                model.optimizer.set_state(job.resume.optimizer_state)
            model.training_state["epoch"] = job.resume.epoch
            model._resumed_history = job.resume.history  # History continues the record
        return model

    def _fit_kwargs(self, model) -> dict:
        job, settings = self.job, self.job.settings
        data = job.data if job.data is not None else job.data_loader()
        kwargs = {"x": data.x_train, "y": data.y_train, "batch_size": self.batch_size,
                  "epochs": job.initial_epoch + job.epochs, "initial_epoch": job.initial_epoch,
                  "verbose": 0, "shuffle": bool(settings.get("shuffle", True)),
                  "seed": settings.get("seed"),
                  # History first, so that a checkpoint saved at an epoch end holds that epoch
                  # (fit() would append its own History after our callbacks).
                  "callbacks": [cb.History(), *self.callbacks, _MessageBridge(self)]}
        if getattr(data, "x_val", None) is not None:
            kwargs["validation_data"] = (data.x_val, data.y_val)
        elif float(settings.get("validation_split") or 0) > 0:
            kwargs["validation_split"] = float(settings["validation_split"])
        return kwargs

    def _reason(self) -> str:
        for callback in self.callbacks:
            if isinstance(callback, cb.TerminateOnNaN) and callback.terminated_at is not None:
                return "nan"
            if isinstance(callback, cb.EarlyStopping) and callback.stopped_epoch > 0:
                return "early_stopping"
        return "stopped" if self._stop else "finished"

    def _callback_summary(self) -> dict:
        summary = {"checkpoints": [], "best_path": None}
        for callback in self.callbacks:
            if isinstance(callback, cb.EarlyStopping):
                summary.update(best_epoch=callback.best_epoch,
                               stopped_epoch=callback.stopped_epoch,
                               best_value=callback.best, monitor=callback.monitor)
            if isinstance(callback, cb.ModelCheckpoint):
                summary.update(checkpoints=list(callback.saved_paths),
                               best_path=callback.best_path)
        return summary
