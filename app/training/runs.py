"""RunsView: the project's training runs, the running one included (settings, best metrics,
duration, disk use, device, checkpoints), overlaying selected runs on the charts, deleting
runs with their files, and a checkpoint browser to load a checkpoint (or resume from it).

When a project opens, its last run's weights are reopened, so Evaluate and Predict work.
"""

import os

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, \
    QWidget

from .. import messages, questions
from ..file_dialogs import open_file
from ..wording import plural
from .checkpoint_browser import CheckpointBrowser
from .checkpoints import load_into_app
from .live_run import LiveRun
from .run_files import delete_files, files_size, files_to_delete, format_size, is_inside, \
    run_folder
from .run_folders import checkpoint_base, default_checkpoint_folder
from .run_restore import reopen_weights
from .runs_table import RunsTable

LIVE_ROW_MS = 250


class RunsView(QWidget):
    """Runs table + checkpoint browser; `resume_requested` asks the panel to continue."""

    resume_requested = Signal()

    def __init__(self, document, controller, charts, parent=None):
        super().__init__(parent)
        self.setObjectName("runsView")
        self.document, self.controller, self.charts = document, controller, charts
        self.live = None  # the LiveRun of the run training now
        self._loading_checkpoint = False
        #: () -> bool: may the canvas be replaced? (the window asks Save / Discard / Cancel)
        self.confirm_replace = lambda: True
        self.ask_checkpoint_path = self._ask_checkpoint_path
        self.ask_delete = self._ask_delete  # (question text) -> bool
        #: () -> the open project's file, or None; () -> the checkpoint folder the training
        #: settings show. Deleting happens only in these runs folders (and the global one).
        self.project_path = lambda: None
        self.chosen_folder = lambda: ""
        self._build()
        # The running row follows epochs at most this often: a table update per epoch of a
        # short-epoch run cost GUI training a fifth of its speed (bench/gui.py).
        self._live_row_timer = QTimer(self, singleShot=True, interval=LIVE_ROW_MS,
                                      timeout=self._show_live)
        document.reset.connect(self._on_reset)
        document.project_changed.connect(self._on_project_changed)
        controller.started.connect(self._on_started)
        controller.epoch_ended.connect(self._on_epoch_ended)
        controller.checkpoint_saved.connect(self._on_checkpoint_saved)
        controller.paused_changed.connect(self._on_paused)
        controller.run_finished.connect(self._on_run_finished)
        controller.running_changed.connect(self._update_buttons)
        self.refresh()

    def _build(self):
        self.table = RunsTable()
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.delete_requested.connect(self.delete_selected)
        self.browser = CheckpointBrowser()
        self.browser.itemDoubleClicked.connect(self.load_selected)
        self.load_button = QPushButton("Load", objectName="loadCheckpointButton")
        self.resume_button = QPushButton("Resume training", objectName="resumeCheckpointButton")
        self.delete_button = QPushButton("Delete run…", objectName="deleteRunButton")
        self.delete_button.setToolTip("Remove the selected runs and delete their checkpoints")
        self.open_button = QPushButton("Open file…", objectName="openCheckpointButton")
        self.load_button.clicked.connect(self.load_selected)
        self.resume_button.clicked.connect(self._resume_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.open_button.clicked.connect(self.open_file)
        title = QLabel("Runs of this project — select runs to overlay their curves")
        title.setProperty("role", "section")
        ckpt_title = QLabel("Checkpoints of the selected run")
        ckpt_title.setProperty("role", "section")
        buttons = QHBoxLayout()
        for button in (self.load_button, self.resume_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 6)
        layout.addWidget(title)
        layout.addWidget(self.table, 3)
        layout.addWidget(ckpt_title)
        layout.addWidget(self.browser, 2)
        layout.addLayout(buttons)

    # ----- records ----------------------------------------------------------------------------------
    def runs(self) -> list:
        """The project's recorded runs (the running one is not among them yet)."""
        return list(self.document.settings.get("runs", []))

    def rows(self) -> list:
        """What the table shows: the recorded runs, then the running one."""
        return self.runs() + ([self.live.record] if self.live is not None else [])

    def _on_started(self, run_id):
        self.note_started(self.controller.job)

    def note_started(self, job) -> None:
        """A run of `job` started: it shows as running from now on (once per job; the
        panel's `job_started` repeats the controller's `started`)."""
        if self.live is None or self.live.job is not job:
            self.live = LiveRun(job)
            self.refresh()

    def _on_epoch_ended(self, epoch, logs):
        if self.live is not None:
            self.live.epoch_ended(epoch, logs)
            if not self._live_row_timer.isActive():
                self._live_row_timer.start()

    def _on_checkpoint_saved(self, epoch, path):
        if self.live is not None:
            self.live.checkpoint_saved(path)
            self._show_live(checkpoints=True)

    def _on_paused(self, paused):
        if self.live is not None:
            self.live.set_paused(paused)
            self._show_live()

    def _show_live(self, checkpoints: bool = False):
        """Updates the running row in place, so the user's selection stays; the checkpoint
        list (which reads every file) only when `checkpoints` changed."""
        self._live_row_timer.stop()  # this shows all there is
        if self.live is None:
            return
        row = len(self.rows()) - 1
        self.table.set_row(row, self.live.record)
        if checkpoints and self.table.selected_rows() == [row]:
            self.browser.show_run(self.live.record)

    def _on_run_finished(self, run_id, summary):
        live, self.live = self.live or LiveRun(self.controller.job), None
        self.document.set_project_field("runs", self.runs() + [live.finish(summary)])

    def _on_reset(self):
        """Another project (new, opened): its runs, its last run's curves on the charts and
        its last run's weights (unless a checkpoint is being loaded: it brings its own)."""
        self.refresh()
        if self.controller.is_running():
            return
        runs = self.runs()
        self.charts.load_history(runs[-1].get("history", {}) if runs else {})
        if not self._loading_checkpoint:
            self._reopen_weights(runs)

    def _reopen_weights(self, runs):
        model, message = reopen_weights(runs)
        if model is not None:
            self.controller.set_model(model, f"{runs[-1].get('name', 'the last run')} "
                                             "(reopened with the project)")
        if message:
            messages.notify(message, 12_000)

    def _on_project_changed(self, key):
        if key == "runs":
            self.refresh()

    def refresh(self) -> None:
        rows = self.rows()
        self.table.show_runs(rows)
        if rows:
            self.table.selectRow(len(rows) - 1)
        self._on_selection()

    # ----- selection: overlays + checkpoint list ------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return self.table.selected_rows()

    def _on_selection(self):
        runs, rows = self.runs(), self.selected_rows()
        # The charts draw the running run, else the latest one: no overlay of those.
        shown = len(runs) if self.live is not None else len(runs) - 1
        self.charts.set_overlays({runs[r].get("name", f"run {r}"): runs[r].get("history", {})
                                  for r in rows if r < len(runs) and r != shown})
        all_rows = self.rows()
        self.browser.show_run(all_rows[rows[-1]] if rows else None)
        self._update_buttons()

    def _update_buttons(self, *args):
        idle = not self.controller.is_running()
        has = self.browser.topLevelItemCount() > 0
        self.load_button.setEnabled(has and idle)
        self.resume_button.setEnabled(has and idle)
        deletable = [r for r in self.selected_rows() if r < len(self.runs())]
        self.delete_button.setEnabled(bool(deletable))
        self.table.delete_action.setEnabled(bool(deletable))

    # ----- deleting runs ------------------------------------------------------------------------------
    def delete_selected(self) -> bool:
        """Removes the selected runs from the project and deletes their checkpoint files,
        after a question that names the size. The running run is never touched."""
        runs = self.runs()
        chosen = [r for r in self.selected_rows() if r < len(runs)]
        if not chosen:
            return False
        kept = [run for i, run in enumerate(runs) if i not in chosen]
        roots = self._deletable_roots()
        doomed = {r: files_to_delete(runs[r], kept, roots) for r in chosen}
        files = [p for r in chosen for p in doomed[r]]
        size = files_size(files)
        if not self.ask_delete(_delete_question(len(chosen), runs[chosen[0]], files, size)):
            return False
        failed = []
        for r in chosen:
            folder = run_folder(runs[r])
            failed += delete_files(doomed[r],
                                   folder if folder and is_inside(folder, roots) else None)
        self.document.set_project_field("runs", kept)
        if failed:
            messages.show_error(self, "Some checkpoint files could not be deleted:\n"
                                + "\n".join(failed[:5]), "\n".join(failed), "Delete run")
        messages.notify(f"Deleted {plural(len(chosen), 'run')} and {format_size(size)} "
                        "of checkpoints.")
        return True

    def _deletable_roots(self) -> list[str]:
        """Folders LayerCraft writes runs to: the project's runs folder, the folder chosen in
        the training settings, the global one. Files elsewhere are never deleted."""
        project = self.project_path()
        return [checkpoint_base(project, self.chosen_folder()), checkpoint_base(project),
                default_checkpoint_folder()]

    def _ask_delete(self, text: str) -> bool:
        answer = questions.ask(self, "Delete run", text, confirm="Keep", cancel=None,
                               destructive="Delete", detail="This cannot be undone.")
        return answer == questions.DESTRUCTIVE

    # ----- loading --------------------------------------------------------------------------------------
    def selected_checkpoint(self):
        return self.browser.selected_path()

    def load_selected(self, *args) -> bool:
        path = self.selected_checkpoint()
        return bool(path) and self.load_path(path)

    def load_path(self, path: str) -> bool:
        """Loads checkpoint `path` over the canvas, after asking about unsaved edits."""
        if self.controller.is_running():
            messages.notify("Stop training before loading a checkpoint.")
            return False
        if not self.confirm_replace():
            return False
        self._loading_checkpoint = True
        try:
            return load_into_app(path, self.document, self.controller, self.charts, self)
        finally:
            self._loading_checkpoint = False

    def _resume_selected(self):
        if self.load_selected():
            self.resume_requested.emit()

    def open_file(self) -> bool:
        path = self.ask_checkpoint_path()
        return bool(path) and self.load_path(path)

    def _ask_checkpoint_path(self) -> str:
        return open_file(self, "Open checkpoint", "checkpoint",
                         "LayerCraft checkpoints (*.lcm);;All files (*)")


def _delete_question(count: int, first: dict, files: list, size: int) -> str:
    what = f"run '{first.get('name', 'run')}'" if count == 1 else plural(count, "run")
    if not files:
        return f"Remove {what} from the project? It has no checkpoint files on disk."
    their = "its" if count == 1 else "their"
    folders = sorted({os.path.dirname(os.path.abspath(p)) for p in files})
    where = folders[0] if len(folders) == 1 else f"{len(folders)} folders"
    files_text = plural(len(files), "checkpoint file")
    return f"Delete {what} and {their} {files_text} ({format_size(size)}) in {where}?"
