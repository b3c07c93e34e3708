"""RunsTable: one row per run of the project, the running one included, with its disk use.

The table sits in a narrow column beside the charts, so the cells are short and the most
read ones come first (Best right after the status); full names and values are in the
tooltips.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableWidget, \
    QTableWidgetItem

from .progress_text import clock
from .run_files import checkpoint_files, files_size, format_size

COLUMNS = ("Run", "Status", "Best loss / acc", "Epochs", "Time", "Disk", "Device",
           "Checkpoints")
STATUS = {"finished": "finished", "stopped": "stopped", "early_stopping": "early stop",
          "nan": "NaN", "failed": "failed", "running": "running", "paused": "paused"}
LOSS_KEYS = ("val_loss", "loss")
ACCURACY_KEYS = ("val_accuracy", "accuracy", "val_binary_accuracy", "binary_accuracy",
                 "val_categorical_accuracy", "categorical_accuracy")


def best_text(best: dict) -> str:
    """"0.234 / 93.1%": the best (validation) loss and accuracy, short enough to read."""
    loss = next((best[k] for k in LOSS_KEYS if k in best), None)
    accuracy = next((best[k] for k in ACCURACY_KEYS if k in best), None)
    parts = [f"{loss:.4g}" if loss is not None else "–"]
    if accuracy is not None:
        parts.append(f"{accuracy:.1%}")
    return " / ".join(parts) if best else ""


def row_cells(run: dict, number: int) -> tuple:
    """The texts of one row; a running record shows `epochs / planned`."""
    started = str(run.get("started", ""))
    epochs = str(run.get("epochs", ""))
    if run.get("reason") in ("running", "paused") and run.get("epochs_planned"):
        epochs = f"{epochs} / {run['epochs_planned']}"
    files = checkpoint_files(run)
    return (f"#{number}  {started[5:16].replace('T', ' ')}".rstrip(),
            STATUS.get(run.get("reason"), str(run.get("reason", ""))),
            best_text(run.get("best", {})), epochs, clock(run.get("duration", 0)),
            format_size(files_size(files)) if files else "–", str(run.get("device", "")).upper(),
            str(len(files)))


def tooltip(run: dict) -> str:
    s = run.get("settings", {})
    lines = [f"{run.get('name', 'run')}, started {run.get('started', '?')}",
             f"epochs {s.get('epochs')}, batch size {s.get('batch_size')}, "
             f"device {s.get('device')}"]
    best = run.get("best", {})
    if best:
        lines.append("Best: " + ", ".join(f"{k} {v:.4g}" for k, v in best.items()))
    if run.get("message"):
        lines.append(run["message"])
    if run.get("best_checkpoint"):
        lines.append(f"Best checkpoint: {run['best_checkpoint']}")
    return "\n".join(lines)


class RunsTable(QTableWidget):
    """Shows run records; `delete_requested` comes from the context menu."""

    #: The user chose "Delete run…" in the context menu.
    delete_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("runsTable")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.verticalHeader().hide()
        self.setAlternatingRowColors(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.setContextMenuPolicy(Qt.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_menu)
        self.delete_action = QAction("Delete run…", self, objectName="deleteRunAction")
        self.delete_action.triggered.connect(self.delete_requested)

    def show_runs(self, runs: list[dict]) -> None:
        """One row per record, in order; selection signals are held back meanwhile."""
        self.blockSignals(True)
        self.setRowCount(len(runs))
        for row, run in enumerate(runs):
            self.set_row(row, run)
        self.blockSignals(False)

    def set_row(self, row: int, run: dict) -> None:
        tip = tooltip(run)
        for col, text in enumerate(row_cells(run, row + 1)):
            item = QTableWidgetItem(text)
            item.setToolTip(tip)
            if col in (3, 4, 5, 7):
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.setItem(row, col, item)

    def selected_rows(self) -> list[int]:
        return sorted({index.row() for index in self.selectedIndexes()})

    def _show_menu(self, pos) -> None:
        row = self.rowAt(pos.y())
        if row < 0:
            return
        if row not in self.selected_rows():
            self.selectRow(row)
        menu = QMenu(self)
        menu.addAction(self.delete_action)
        menu.popup(self.viewport().mapToGlobal(pos))
