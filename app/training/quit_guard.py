"""TrainingGuard: before the project is dropped (quit, new, open, open checkpoint) while a run
trains, asks to stop it, stops it as the Stop button does (the run is recorded in the
project), and only then lets the project controller ask to save.

The wait runs the event loop, so the window keeps painting and the run's last signals
arrive; a note shows when the current batch takes a while to finish.
"""

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QProgressDialog

from .. import messages, questions

STOP_WAIT_MS = 10_000
NOTE_AFTER_MS = 400  # a stop within this time shows no note at all
STOPPING = "Stopping training after the current batch…"


class TrainingGuard(QObject):
    """Wraps `window.project.maybe_save`; `ask_stop` is replaceable (tests answer it)."""

    def __init__(self, window, controller):
        super().__init__(window)
        self.window, self.controller = window, controller
        self.ask_stop = self._ask_stop
        self.wait_ms = STOP_WAIT_MS
        self._stopping = False
        self._maybe_save = window.project.maybe_save
        window.project.maybe_save = self.maybe_save

    def maybe_save(self, *args, **kwargs) -> bool:
        """True when the project may be dropped: no run left, and saved or discarded."""
        if self._stopping:  # a second quit while the first one waits
            return False
        if self.controller.is_running() and not self._stop_run():
            return False
        return self._maybe_save(*args, **kwargs)

    def _stop_run(self) -> bool:
        if not self.ask_stop():
            return False
        self._stopping = True
        note = self._stopping_note()
        try:
            stopped = self.controller.stop_and_wait(self.wait_ms)
        finally:
            note.close()
            note.deleteLater()
            self._stopping = False
        if not stopped:
            messages.show_error(self.window, "The training run is still finishing its current "
                                "step, so nothing was closed. Try again in a moment.")
        return stopped

    def _stopping_note(self) -> QProgressDialog:
        """A busy note that appears only if the stop takes longer than NOTE_AFTER_MS."""
        note = QProgressDialog(STOPPING, None, 0, 0, self.window)
        note.setObjectName("stoppingNote")
        note.setWindowTitle("Stopping training")
        note.setWindowModality(Qt.WindowModal)
        note.setMinimumDuration(NOTE_AFTER_MS)
        messages.notify(STOPPING)
        return note

    def stop_question(self) -> questions.Question:
        """The question before a run is stopped; its confirm is the right-edge default."""
        return questions.Question(
            self.window, "Training is running",
            "Training is still running. Stop it?",
            confirm="Stop and keep the run", cancel="Keep training",
            detail="The run ends after its current batch and is added to the project's "
                   "runs with its checkpoints; you are then asked whether to save.")

    def _ask_stop(self) -> bool:
        return questions.answer_of(self.stop_question()) == questions.CONFIRM
