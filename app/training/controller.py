"""TrainingController: the one object views talk to about training.

It owns one QThread + TrainingWorker per run (house style 3.6): run ids on every signal,
bound-method connections only, stale signals dropped, a direct thread-safe stop, pause and
resume through the engine model, and `shutdown(timeout)` that waits and never terminates.
"""

import copy
import gc

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, QTimer, Signal, Slot

from .callbacks import build_callbacks
from .job import ResumeState, TrainingJob
from .worker import TrainingWorker

REASONS = ("finished", "stopped", "early_stopping", "nan", "failed")


class TrainingController(QObject):
    """Starts, pauses, stops and reports training runs; keeps the last trained model."""

    started = Signal(int)  # run id
    batch_ended = Signal(int, dict)  # epoch, logs + progress info (see job.INFO_KEYS)
    epoch_ended = Signal(int, dict)  # epoch, logs incl. val_* and learning_rate
    checkpoint_saved = Signal(int, str)  # epoch, path
    stopped = Signal(int, str)  # run id, reason (one of REASONS)
    run_finished = Signal(int, dict)  # run id, summary (reason, history, duration, ...)
    failed = Signal(str, str)  # user message, details
    model_ready = Signal(object)  # the trained engine Model
    paused_changed = Signal(bool)
    running_changed = Signal(bool)  # True at start, False once the thread has ended

    def __init__(self, parent=None):
        super().__init__(parent)
        self._run_id = 0
        self._thread = None
        self._worker = None
        self._model = None
        self._paused = False
        self.job = None
        self.last_summary = None
        self.model_source = "the last training run"  # what the current model came from

    # ----- state -----------------------------------------------------------------------------
    @property
    def run_id(self) -> int:
        return self._run_id

    def is_running(self) -> bool:
        return self._thread is not None

    def is_paused(self) -> bool:
        return self._paused

    def current_model(self):
        """The model of the last finished run (or loaded checkpoint), else None."""
        return self._model

    def set_model(self, model, source: str = "a loaded checkpoint") -> None:
        """Makes `model` (e.g. loaded from a checkpoint) the current one."""
        self._model = model
        self.model_source = source
        self.model_ready.emit(model)

    def resume_state(self) -> ResumeState | None:
        """What Continue training starts from: the current model's weights and optimizer."""
        return None if self._model is None else ResumeState.from_model(self._model)

    # ----- control ---------------------------------------------------------------------------
    def start(self, job: TrainingJob) -> int:
        """Starts a run of `job` in a new thread; returns its run id."""
        if self._thread is not None:
            raise RuntimeError("A training run is already active; stop it first.")
        self._run_id += 1
        self.job = job
        self._paused = False
        # Garbage holding Qt objects is destroyed now, while no worker thread emits: a
        # collection in this thread during a run, destroying such objects while the worker
        # was inside a signal emission, deadlocked or crashed (CI dumps: this thread
        # "Garbage-collecting", the worker in `emit`).
        gc.collect()
        callbacks = build_callbacks(job.settings, job.checkpoint_pattern(), _has_validation(job))
        self._thread = QThread(self)
        self._worker = TrainingWorker(self._run_id, job, callbacks)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.batch_ended.connect(self._on_batch_ended)
        self._worker.epoch_ended.connect(self._on_epoch_ended)
        self._worker.checkpoint_saved.connect(self._on_checkpoint_saved)
        self._worker.done.connect(self._on_done)
        self._worker.failed.connect(self._on_failed)
        # quit() is thread-safe: call it directly from the worker thread, so that the thread
        # ends even while the GUI thread is blocked in shutdown()'s wait().
        self._worker.done.connect(self._thread.quit, Qt.DirectConnection)
        self._worker.failed.connect(self._thread.quit, Qt.DirectConnection)
        # No `finished -> worker.deleteLater`: Python owns the worker, and Qt deleting it in
        # the worker thread while the GUI thread drops the last Python reference is a double
        # free (seen as rare segfaults). The worker is released in _on_thread_finished.
        self._thread.finished.connect(self._on_thread_finished)
        self._thread.start()
        self.running_changed.emit(True)
        self.started.emit(self._run_id)
        return self._run_id

    def stop(self) -> None:
        """Asks the run to end after the current batch (direct, thread-safe call)."""
        if self._worker is not None:
            self._worker.request_stop()

    def pause(self) -> None:
        if self._worker is not None and not self._paused:
            self._worker.pause()
            self._paused = True
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self._worker is not None and self._paused:
            self._worker.resume()
            self._paused = False
            self.paused_changed.emit(False)

    def stop_and_wait(self, timeout_ms: int = 10_000) -> bool:
        """Stops the run and waits up to `timeout_ms` with the event loop running; True when
        the run has ended.

        The GUI keeps painting, and the run's last signals are delivered before this returns
        (`run_finished` first, then `running_changed(False)`), so the runs table records the
        run as the Stop button does. User input waits: no second quit or Train meanwhile.
        """
        if self._thread is None:
            return True
        self.stop()
        loop = QEventLoop(self)
        timer = QTimer(loop, singleShot=True, interval=timeout_ms, timeout=loop.quit)
        self.running_changed.connect(loop.quit)
        timer.start()
        try:
            loop.exec(QEventLoop.ExcludeUserInputEvents)
        finally:
            self.running_changed.disconnect(loop.quit)
            loop.deleteLater()
        return self._thread is None

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stops and waits up to `timeout_ms`; True when no thread is left running.

        Never calls terminate(): a thread inside a NumPy call is left to finish.
        """
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        finished = thread.wait(timeout_ms)
        if finished:
            self._on_thread_finished()
        return finished

    # ----- worker signals (GUI thread; stale runs dropped) -----------------------------------
    @Slot(int, int, object)
    def _on_batch_ended(self, run_id, epoch, logs):
        if run_id == self._run_id:
            self.batch_ended.emit(epoch, logs)

    @Slot(int, int, object)
    def _on_epoch_ended(self, run_id, epoch, logs):
        if run_id == self._run_id:
            self.epoch_ended.emit(epoch, logs)

    @Slot(int, int, str)
    def _on_checkpoint_saved(self, run_id, epoch, path):
        if run_id == self._run_id:
            self.checkpoint_saved.emit(epoch, path)

    @Slot(int, object, object)
    def _on_done(self, run_id, model, summary):
        if run_id != self._run_id:
            return
        self._model = model
        self.model_source = "the last training run"
        self.last_summary = copy.deepcopy(summary)
        self.model_ready.emit(model)
        self.run_finished.emit(run_id, summary)
        self.stopped.emit(run_id, summary["reason"])

    @Slot(int, str, str)
    def _on_failed(self, run_id, message, details):
        if run_id != self._run_id:
            return
        self.last_summary = {"reason": "failed", "message": message}
        self.failed.emit(message, details)
        self.run_finished.emit(run_id, {"reason": "failed", "message": message})
        self.stopped.emit(run_id, "failed")

    @Slot()
    def _on_thread_finished(self):
        if self._thread is None:
            return
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        thread.wait()  # `finished` was emitted; make sure the thread has fully exited
        del worker  # the last reference: the worker is deleted here, after its thread ended
        thread.deleteLater()
        if self._paused:
            self._paused = False
            self.paused_changed.emit(False)
        self.running_changed.emit(False)


def _has_validation(job: TrainingJob) -> bool:
    data = job.data
    if data is not None and getattr(data, "x_val", None) is not None:
        return True
    return float(job.settings.get("validation_split") or 0) > 0 or bool(
        job.extra.get("has_validation"))
