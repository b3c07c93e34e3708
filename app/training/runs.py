"""RunsView: the project's training runs (settings, best metrics, duration, device,
checkpoints), overlaying selected runs on the charts, and a checkpoint browser to load a
checkpoint (or resume training from it)."""

import datetime
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel, \
    QPushButton, QTableWidget, QTableWidgetItem, QTreeWidget, QTreeWidgetItem, QVBoxLayout, \
    QWidget

from engine.callbacks import metric_direction
from engine.errors import LayerCraftError

from .. import messages
from .checkpoints import describe, load_into_app
from .panel import clock

COLUMNS = ("Run", "Result", "Epochs", "Best", "Duration", "Device", "Checkpoints")
RESULTS = {"finished": "finished", "stopped": "stopped", "early_stopping": "early stop",
           "nan": "NaN", "failed": "failed"}


def best_values(history: dict) -> dict:
    """The best value of each logged quantity (min for losses, max for accuracies...)."""
    best = {}
    for key, values in history.items():
        finite = [v for v in values if v == v]
        direction = metric_direction(key)
        if finite and direction and key != "learning_rate":
            best[key] = min(finite) if direction == "min" else max(finite)
    return best


class RunsView(QWidget):
    """Runs table + checkpoint browser; `resume_requested` asks the panel to continue."""

    resume_requested = Signal()

    def __init__(self, document, controller, charts, parent=None):
        super().__init__(parent)
        self.setObjectName("runsView")
        self.document, self.controller, self.charts = document, controller, charts
        self._pending = None
        #: () -> bool: may the canvas be replaced? (the window asks Save / Discard / Cancel)
        self.confirm_replace = lambda: True
        self.ask_checkpoint_path = self._ask_checkpoint_path
        self._build()
        document.reset.connect(self._on_reset)
        document.project_changed.connect(self._on_project_changed)
        controller.run_finished.connect(self._on_run_finished)
        self.refresh()

    def _build(self):
        self.table = QTableWidget(0, len(COLUMNS), objectName="runsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.browser = QTreeWidget(objectName="checkpointBrowser")
        self.browser.setHeaderLabels(["Checkpoint", "Epoch", "Monitored", "Saved"])
        self.browser.setRootIsDecorated(False)
        self.browser.itemDoubleClicked.connect(self.load_selected)
        self.load_button = QPushButton("Load", objectName="loadCheckpointButton")
        self.resume_button = QPushButton("Resume training", objectName="resumeCheckpointButton")
        self.open_button = QPushButton("Open file…", objectName="openCheckpointButton")
        self.load_button.clicked.connect(self.load_selected)
        self.resume_button.clicked.connect(self._resume_selected)
        self.open_button.clicked.connect(self.open_file)
        title = QLabel("Runs of this project — select runs to overlay their curves")
        title.setProperty("role", "section")
        ckpt_title = QLabel("Checkpoints of the selected run")
        ckpt_title.setProperty("role", "section")
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.resume_button)
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
        return list(self.document.settings.get("runs", []))

    def note_started(self, job) -> None:
        """Called when the panel starts a run: remembers its settings for the record."""
        self._pending = {"name": job.extra.get("run_name", "run"),
                         "started": datetime.datetime.now().isoformat(timespec="seconds"),
                         "settings": dict(job.settings),
                         "resumed_from": job.resume.source if job.resume else None}

    def _on_run_finished(self, run_id, summary):
        record = dict(self._pending or {"name": f"run {run_id}"})
        self._pending = None
        history = (summary.get("history") or {}).get("history", {})
        record.update(
            reason=summary.get("reason"), message=summary.get("message", ""),
            duration=round(float(summary.get("duration", 0.0)), 3),
            device=summary.get("device", record.get("settings", {}).get("device", "cpu")),
            epochs=int(summary.get("epoch", 0)), best=best_values(history),
            history=history, checkpoints=list(summary.get("checkpoints", [])),
            best_checkpoint=summary.get("best_path"))
        self.document.set_project_field("runs", self.runs() + [record])

    def _on_reset(self):
        """Another project (new, opened): its runs, and its last run's curves on the charts."""
        self.refresh()
        if not self.controller.is_running():
            runs = self.runs()
            self.charts.load_history(runs[-1].get("history", {}) if runs else {})

    def _on_project_changed(self, key):
        if key == "runs":
            self.refresh()

    def refresh(self) -> None:
        runs = self.runs()
        self.table.blockSignals(True)
        self.table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            best = run.get("best", {})
            shown = [k for k in ("val_loss", "val_accuracy", "loss", "accuracy") if k in best][:2]
            cells = (run.get("name", ""), RESULTS.get(run.get("reason"), run.get("reason", "")),
                     str(run.get("epochs", "")),
                     ", ".join(f"{k} {best[k]:.4g}" for k in shown),
                     clock(run.get("duration", 0)), str(run.get("device", "")).upper(),
                     str(len(run.get("checkpoints", []))))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(self._tooltip(run))
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        if runs:
            self.table.selectRow(len(runs) - 1)
        self._on_selection()

    @staticmethod
    def _tooltip(run) -> str:
        s = run.get("settings", {})
        lines = [f"Started {run.get('started', '?')}",
                 f"epochs {s.get('epochs')}, batch size {s.get('batch_size')}, "
                 f"device {s.get('device')}"]
        if run.get("message"):
            lines.append(run["message"])
        if run.get("best_checkpoint"):
            lines.append(f"Best checkpoint: {run['best_checkpoint']}")
        return "\n".join(lines)

    # ----- selection: overlays + checkpoint list ------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.table.selectedIndexes()})

    def _on_selection(self):
        runs, rows = self.runs(), self.selected_rows()
        latest = len(runs) - 1
        self.charts.set_overlays({runs[r].get("name", f"run {r}"): runs[r].get("history", {})
                                  for r in rows if r != latest or self.controller.is_running()})
        self._fill_browser(runs[rows[-1]] if rows else None)

    def _fill_browser(self, run) -> None:
        """Lists `run`'s checkpoints; keeps the selected one, else selects the best."""
        previous = self.selected_checkpoint()
        self.browser.clear()
        current = None
        for path in (run or {}).get("checkpoints", []):
            item = QTreeWidgetItem([os.path.basename(path), "", "", ""])
            item.setData(0, Qt.UserRole, path)
            item.setToolTip(0, path)
            try:
                info = describe(path)
            except (LayerCraftError, OSError) as exc:
                item.setText(2, "unreadable")
                item.setToolTip(2, str(exc))
            else:
                item.setText(1, str(info["epoch"]))
                item.setText(2, ", ".join(f"{k} {v:.4g}" for k, v in info["values"].items()))
                item.setText(3, info["created"].replace("T", " ")[:19])
                if path == run.get("best_checkpoint"):
                    item.setText(0, "★ " + item.text(0))
                    current = current or item
            self.browser.addTopLevelItem(item)
            if path == previous:
                current = item
        for col in range(4):
            self.browser.resizeColumnToContents(col)
        has = self.browser.topLevelItemCount() > 0
        if has:
            self.browser.setCurrentItem(current or self.browser.topLevelItem(0))
            self.browser.scrollToItem(self.browser.currentItem())
        self.load_button.setEnabled(has)
        self.resume_button.setEnabled(has)

    # ----- loading --------------------------------------------------------------------------------------
    def selected_checkpoint(self):
        item = self.browser.currentItem()
        return None if item is None else item.data(0, Qt.UserRole)

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
        return load_into_app(path, self.document, self.controller, self.charts, self)

    def _resume_selected(self):
        if self.load_selected():
            self.resume_requested.emit()

    def open_file(self) -> bool:
        path = self.ask_checkpoint_path()
        return bool(path) and self.load_path(path)

    def _ask_checkpoint_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Open checkpoint", "",
                                              "LayerCraft checkpoints (*.lcm);;All files (*)")
        return path
