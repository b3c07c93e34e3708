"""TrainingPanel: the Training tab. Settings, Train / Pause / Stop / Continue, progress
(epoch and batch counters, ETA, samples per second, elapsed time, learning rate) and the
status of the run (early stopping, checkpoints, NaN, errors with details on demand)."""

import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, \
    QScrollArea, QVBoxLayout, QWidget

from .. import messages
from ..compile_schema import metric_names
from .job import TrainingJob, merged_settings
from .progress_text import batch_note, clock, finish_message, initial_lr
from .run_clock import RunClock
from .run_folders import assign_run_folder
from .settings_form import TrainingSettingsForm


class TrainingPanel(QWidget):
    """Starts runs of the document's model on the data `data_provider()` gives."""

    job_started = Signal(object)  # the TrainingJob (runs table records it)

    def __init__(self, document, controller, data_provider, parent=None):
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.document, self.controller = document, controller
        self.data_provider = data_provider  # () -> (PreparedData | None, loader | None)
        self.run_clock = RunClock()  # training time, pauses left out
        self.project_path = lambda: _project_path(self)  # () -> the .lcproj path or None
        self._progress = {}
        self._lr = None
        self._error_details = ""
        self._build()
        self._connect()
        self._load_settings()
        self._update_buttons()

    # ----- layout ---------------------------------------------------------------------------------
    def _build(self):
        self.form = TrainingSettingsForm()
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.form)
        self.train_button = QPushButton("Train", objectName="trainButton")
        self.train_button.setDefault(True)
        self.train_button.setToolTip("Train a fresh model from the canvas")
        self.pause_button = QPushButton("Pause", objectName="pauseButton")
        self.stop_button = QPushButton("Stop", objectName="stopButton")
        self.stop_button.setToolTip("Stop after the current batch")
        self.continue_button = QPushButton("Continue training", objectName="continueButton")
        self.continue_button.setToolTip("Train more epochs from where the last run stopped")
        self.epoch_label = QLabel("Epoch –", objectName="epochLabel")
        self.batch_label = QLabel("Batch –", objectName="batchLabel")
        for label in (self.epoch_label, self.batch_label):
            label.setProperty("role", "title")
        self.progress = QProgressBar(objectName="trainingProgress", textVisible=True)
        self.progress.setFormat("Ready")
        self.rate_label = QLabel("", objectName="rateLabel")
        self.rate_label.setProperty("role", "muted")
        self.status = QLabel("", objectName="trainingStatus", wordWrap=True)
        self.run_note = QLabel("", objectName="runNote", wordWrap=True)
        self.run_note.setProperty("role", "warning")
        self.run_note.hide()
        self.details_button = QPushButton("Details…", objectName="errorDetailsButton")
        self.details_button.hide()
        self.details_button.clicked.connect(self.show_error_details)

        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button,
                       self.continue_button):
            buttons.addWidget(button)
        counters = QHBoxLayout()
        counters.addWidget(self.epoch_label)
        counters.addSpacing(16)
        counters.addWidget(self.batch_label)
        counters.addStretch(1)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.details_button)
        box = QGroupBox("Progress")
        box.setMinimumWidth(380)
        box.setMaximumWidth(420)
        column = QVBoxLayout(box)
        column.addLayout(buttons)
        column.addLayout(counters)
        column.addWidget(self.progress)
        column.addWidget(self.rate_label)
        column.addWidget(self.run_note)
        column.addLayout(status_row)
        column.addStretch(1)
        self._steady_counters()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(scroll, 3)
        layout.addWidget(box, 2)
        # The progress display refreshes from this timer, not per signal: every Qt call here
        # holds the GIL the training thread needs (4 Hz reads as live and costs little).
        self.ticker = QTimer(self, interval=250, timeout=self._refresh_display)

    def _steady_counters(self) -> None:
        """Counters as wide as their usual longest text, so the batch counter does not shift
        as the epoch number grows (a jump, and a layout pass, several times a second)."""
        for label in (self.epoch_label, self.batch_label):
            label.ensurePolished()  # the style sheet's title font, not the default one
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance("Epoch 0000 / 0000") + 4)

    def _connect(self):
        c = self.controller
        self.train_button.clicked.connect(self.train)
        self.continue_button.clicked.connect(self.continue_training)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(c.stop)
        c.started.connect(self._on_started)
        c.batch_ended.connect(self._on_batch)
        c.epoch_ended.connect(self._on_epoch)
        c.checkpoint_saved.connect(self._on_checkpoint)
        c.run_finished.connect(self._on_finished)
        c.failed.connect(self._on_failed)
        c.paused_changed.connect(self._on_paused)
        c.running_changed.connect(self._update_buttons)
        c.model_ready.connect(self._update_buttons)
        self.form.changed.connect(self._save_settings)
        self.document.reset.connect(self._on_reset)
        self.document.compile_changed.connect(self._refresh_monitors)

    # ----- settings -------------------------------------------------------------------------------
    def _load_settings(self):
        self.form.set_values(self.document.settings.get("training", {}))
        self._refresh_monitors()

    def _on_reset(self):
        """Another project (new, opened): its settings; the last project's model and progress
        go, so Continue, Evaluate and Predict never use a model of another project."""
        self._load_settings()
        if self.controller.is_running():
            return
        self.controller.set_model(None)
        self.run_clock.reset()
        self._progress = {}
        self.epoch_label.setText("Epoch –")
        self.batch_label.setText("Batch –")
        self.progress.setValue(0)
        self.progress.setFormat("Ready")
        self.rate_label.setText("")
        self._set_note("")
        self._set_status("", "muted")

    def _save_settings(self):
        self.document.set_project_field("training", self.form.values())

    def _refresh_monitors(self):
        metrics = metric_names(self.document.compile_spec.get("metrics"))
        names = ["val_loss", "loss"] + [f"{p}{m}" for m in metrics for p in ("val_", "")]
        self.form.set_monitors(names)

    def settings(self) -> dict:
        return merged_settings(self.form.values())

    # ----- actions --------------------------------------------------------------------------------
    def train(self) -> int | None:
        """Trains a fresh model from the canvas; returns the run id (None if refused)."""
        return self._start(resume=None)

    def continue_training(self) -> int | None:
        """Trains `Epochs` more epochs from the current model's weights and optimizer."""
        state = self.controller.resume_state()
        if state is None:
            self._set_status("Nothing to continue yet: train a model first.", "warning")
            return None
        return self._start(resume=state)

    def _start(self, resume):
        if self.controller.is_running():
            return None
        errors = [p for p in self.document.analysis.problems if p.severity == "error"]
        if errors:
            self._set_status("The model has problems; fix them first: " + errors[0].message,
                             "error")
            return None
        data, loader = self.data_provider()
        if data is None and loader is None:
            self._set_status("Choose and prepare a data set in the Data tab first.", "warning")
            return None
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        settings, name = self.settings(), f"run-{stamp}"
        assign_run_folder(settings, name, self.project_path())
        job = TrainingJob(spec=self.document.to_spec(),
                          compile_spec=dict(self.document.compile_spec),
                          settings=settings, data=data, data_loader=loader,
                          resume=resume, extra={"run_name": name})
        run_id = self.controller.start(job)
        self.job_started.emit(job)
        return run_id

    def toggle_pause(self):
        if self.controller.is_paused():
            self.controller.resume()
        else:
            self.controller.pause()

    def show_error_details(self):
        messages.show_error(self, self.status.text(), self._error_details, "Training failed")

    # ----- controller signals ---------------------------------------------------------------------
    def _on_started(self, run_id):
        job = self.controller.job
        self.run_clock.start()
        self._progress = {"epoch": job.initial_epoch, "epochs": job.initial_epoch + job.epochs,
                          "initial": job.initial_epoch, "batch": 0, "steps": 1}
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self._refresh_display()
        self.batch_label.setText("Batch –")
        self.rate_label.setText("")
        self._lr = initial_lr(job.compile_spec)
        self._set_note(batch_note(int(job.settings["batch_size"]), job.training_samples()))
        what = f"from epoch {job.initial_epoch}" if job.resume is not None else "from scratch"
        self._set_status(f"Training {what}…", "muted")
        self.ticker.start()
        self._update_buttons()

    def _on_paused(self, paused: bool):
        if paused:
            self.run_clock.pause()
        else:
            self.run_clock.resume()
        self._update_buttons()

    def _on_batch(self, epoch, logs):
        p = self._progress
        p["epoch"], p["steps"], p["batch"] = epoch, logs.get("steps", 1), logs.get("batch", 0)
        p["position"] = logs.get("position", epoch)
        if "samples" in logs and "elapsed" in logs:
            # The worker's clock counts pauses: take them out, so the rate does not sag.
            active = logs["elapsed"] - self.run_clock.paused_total()
            p["samples_per_s"] = logs["samples"] / max(active, 1e-9)

    def _on_epoch(self, epoch, logs):
        """Records the finished epoch; the next tick shows it. Short epochs end dozens of
        times a second, and a refresh per epoch cost GUI training a third of its speed; a
        checkpoint line or the final message refreshes first, so the counter is never
        behind them."""
        self._lr = logs.get("learning_rate", self._lr)
        self._progress.update(epoch=epoch, position=epoch + 1)

    def _refresh_display(self):
        p = self._progress
        if "epoch" in p:
            self.epoch_label.setText(f"Epoch {p['epoch'] + 1} / {p['epochs']}")
            self.batch_label.setText(f"Batch {p['batch'] + 1} / {p['steps']}")
        self._refresh_rate()

    def _refresh_rate(self):
        p = self._progress
        if not self.run_clock.running or "position" not in p:
            return
        elapsed = self.run_clock.elapsed()
        total = max(p["epochs"] - p["initial"], 1e-9)
        fraction = min(max((p["position"] - p["initial"]) / total, 0.0), 1.0)
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else 0
        paused = " (paused)" if self.controller.is_paused() else ""
        # QProgressBar.setValue repaints at once (6 ms here, holding the GIL); with updates
        # off, the bar repaints with everything else at the event loop's next paint.
        self.progress.setUpdatesEnabled(False)
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(f"{fraction:.0%} — ETA {clock(eta)}{paused}")
        self.progress.setUpdatesEnabled(True)
        rate = p.get("samples_per_s") or 0
        lr = f" · learning rate {self._lr:.3g}" if self._lr is not None else ""
        self.rate_label.setText(f"{rate:,.0f} samples/s · elapsed {clock(elapsed)}{lr}")

    def _on_checkpoint(self, epoch, path):
        self._refresh_display()
        self._set_status(f"Checkpoint saved (epoch {epoch + 1}): {path}", "ok")
        messages.notify(f"Checkpoint saved: {path}")

    def _on_finished(self, run_id, summary):
        self.ticker.stop()
        self.run_clock.stop()
        reason = summary.get("reason")
        if reason != "failed":
            done = int(summary.get("epoch", 0))  # epochs completed, as the message says
            self._progress.update(epoch=done - 1, position=done)
            self._refresh_display()
            self.progress.setFormat({"finished": "Done", "stopped": "Stopped",
                                     "early_stopping": "Stopped early",
                                     "nan": "Stopped: NaN"}.get(reason, "Done"))
        text, role = finish_message(summary, self.run_clock.elapsed())
        if reason != "failed":
            self._set_status(text, role)
        messages.notify(text.split(". ")[0])
        self._update_buttons()

    def _on_failed(self, message, details):
        self._error_details = details
        self._set_status(message, "error")
        self.details_button.show()
        self.progress.setFormat("Failed")
        messages.show_error(self, message, details, "Training failed")

    # ----- helpers ---------------------------------------------------------------------------------
    def _set_note(self, text: str) -> None:
        self.run_note.setText(text)
        self.run_note.setVisible(bool(text))

    def _set_status(self, text: str, role: str) -> None:
        self.status.setText(text)
        self.status.setProperty("role", role)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        if role != "error":
            self.details_button.hide()

    def _update_buttons(self, *args):
        running, paused = self.controller.is_running(), self.controller.is_paused()
        self.train_button.setEnabled(not running)
        self.continue_button.setEnabled(not running and self.controller.current_model()
                                        is not None)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.stop_button.setEnabled(running)
        self.form.setEnabled(not running)


def _project_path(widget) -> str | None:
    """The project file of the window `widget` sits in (None while unsaved or detached)."""
    project = getattr(widget.window(), "project", None)
    return getattr(project, "path", None)
