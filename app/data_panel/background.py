"""Background jobs of the data panel: downloading a data set and preparing it, in a QThread.

The worker-thread pattern of the house style (3.6): a QObject worker moved to a QThread,
signals that carry a job id and plain values, a direct thread-safe cancel (a
`threading.Event` the download checks after every chunk), never a widget touched from the
worker. Progress is throttled to about 20 updates a second.
"""

import threading
import time
import traceback

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.datasets import download

from .prepared import prepare

PROGRESS_INTERVAL_S = 0.05


class PrepareWorker(QObject):
    """Downloads (when `name` is given) and then prepares data; lives in a worker thread."""

    progress = Signal(int, float, float)  # job id, bytes done, bytes total
    done = Signal(int, object)  # job id, PreparedData
    failed = Signal(int, str, str)  # job id, message, traceback text

    def __init__(self, job_id, spec, input_shape, download_name=None):
        super().__init__()  # no parent: it will be moved
        self.job_id = job_id
        self.spec, self.input_shape, self.download_name = spec, input_shape, download_name
        self.cancel_event = threading.Event()
        self._last = 0.0

    def cancel(self) -> None:
        """Called directly from the GUI thread; the download stops after its current chunk."""
        self.cancel_event.set()

    def _report(self, done, total):
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or done >= total:
            self._last = now
            self.progress.emit(self.job_id, float(done), float(total))

    @Slot()
    def run(self) -> None:
        try:
            if self.download_name:
                download.fetch_dataset(self.download_name, progress=self._report,
                                       cancel=self.cancel_event)
            if self.cancel_event.is_set():
                raise _Cancelled()
            prepared = prepare(self.spec, self.input_shape)
        except _Cancelled:
            self.failed.emit(self.job_id, "Cancelled.", "")
        except Exception as exc:  # reported to the user, never swallowed
            message = "Cancelled." if self.cancel_event.is_set() else str(exc)
            self.failed.emit(self.job_id, message, traceback.format_exc())
        else:
            self.done.emit(self.job_id, prepared)
        finally:
            # Quit from here (thread-safe): a queued quit would wait for the GUI thread,
            # which may itself be blocked in shutdown()'s wait().
            QThread.currentThread().quit()


class _Cancelled(Exception):
    pass


class PrepareJob(QObject):
    """Owns at most one worker thread; re-emits its signals for the current job only."""

    progress = Signal(float, float)
    done = Signal(object)
    failed = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._job_id = 0
        self._thread = None
        self._worker = None
        self._old = []  # finished threads still winding down

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, spec, input_shape, download_name=None) -> int:
        self.cancel()
        self._job_id += 1
        thread = QThread(self)
        worker = PrepareWorker(self._job_id, spec, input_shape, download_name)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_progress)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        worker.done.connect(thread.quit)
        worker.failed.connect(thread.quit)
        thread.worker = worker  # kept alive until the thread has ended (see _on_thread_finished)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()
        return self._job_id

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._old.append(self._thread)
            self._thread = self._worker = None

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancels and waits for every thread (call before the panel goes away)."""
        self.cancel()
        ok = all(t.wait(timeout_ms) for t in self._old)
        self._old = [t for t in self._old if t.isRunning()]
        return ok

    @Slot(int, float, float)
    def _on_progress(self, job_id, done, total):
        if job_id == self._job_id and self._worker is not None:
            self.progress.emit(done, total)

    @Slot(int, object)
    def _on_done(self, job_id, prepared):
        if job_id == self._job_id and self._worker is not None:
            self._thread_done()
            self.done.emit(prepared)

    @Slot(int, str, str)
    def _on_failed(self, job_id, message, details):
        if job_id == self._job_id:
            self._thread_done()
            self.failed.emit(message, details)

    def _thread_done(self):
        if self._thread is not None:
            self._old.append(self._thread)
        self._thread = self._worker = None

    @Slot()
    def _on_thread_finished(self):
        thread = self.sender()
        if thread in self._old:
            self._old.remove(thread)
            _release(thread)


class _CallWorker(QObject):
    done = Signal(int, object)
    failed = Signal(int, str, str)

    def __init__(self, job_id, function):
        super().__init__()
        self.job_id, self.function = job_id, function

    @Slot()
    def run(self) -> None:
        try:
            result = self.function()
        except Exception as exc:  # reported to the user, never swallowed
            self.failed.emit(self.job_id, str(exc), traceback.format_exc())
        else:
            self.done.emit(self.job_id, result)
        finally:
            QThread.currentThread().quit()


class BackgroundCall(QObject):
    """Runs one function at a time in a worker thread (e.g. evaluating a large test split);
    `done(result)` / `failed(message, details)` arrive in the GUI thread."""

    done = Signal(object)
    failed = Signal(str, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._job_id = 0
        self._threads = {}

    @property
    def running(self) -> bool:
        return self._job_id in self._threads

    def start(self, function) -> int:
        self._job_id += 1
        thread = QThread(self)
        worker = _CallWorker(self._job_id, function)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        worker.done.connect(thread.quit)
        worker.failed.connect(thread.quit)
        thread.worker = worker  # kept alive until the thread has ended (see _on_finished)
        thread.finished.connect(self._on_finished)
        self._threads[self._job_id] = (thread, worker)
        thread.start()
        return self._job_id

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        return all(t.wait(timeout_ms) for t, _ in list(self._threads.values()))

    @Slot(int, object)
    def _on_done(self, job_id, result):
        if job_id == self._job_id:
            self.done.emit(result)

    @Slot(int, str, str)
    def _on_failed(self, job_id, message, details):
        if job_id == self._job_id:
            self.failed.emit(message, details)

    @Slot()
    def _on_finished(self):
        thread = self.sender()
        for key, (t, _) in list(self._threads.items()):
            if t is thread:
                del self._threads[key]
                _release(t)


def _release(thread) -> None:
    """Frees a finished job thread and its worker.

    Python owns each worker. Letting Qt `deleteLater` it in the worker thread while the GUI
    thread drops the last Python reference frees it twice (rare segfaults), so the worker
    rides on the thread object and is released here, in the GUI thread, once the thread has
    fully exited.
    """
    thread.wait()
    thread.worker = None
    thread.deleteLater()
