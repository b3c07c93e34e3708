"""CheckpointBrowser: the checkpoints of one run, with epoch, monitored values and save
time read from each file; the best one is starred and preselected."""

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from engine.errors import LayerCraftError

from .checkpoints import describe

HEADERS = ["Checkpoint", "Epoch", "Monitored", "Saved"]


class CheckpointBrowser(QTreeWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("checkpointBrowser")
        self.setHeaderLabels(HEADERS)
        self.setRootIsDecorated(False)

    def selected_path(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(0, Qt.UserRole)

    def show_run(self, run: dict | None) -> bool:
        """Lists `run`'s checkpoints; keeps the selected one, else selects the best.

        Returns:
            Whether any checkpoint is listed.
        """
        previous = self.selected_path()
        self.clear()
        current = None
        for path in (run or {}).get("checkpoints", []):
            item = self._item(path, path == (run or {}).get("best_checkpoint"))
            self.addTopLevelItem(item)
            if path == previous or (current is None and item.text(0).startswith("★")):
                current = item
        for col in range(len(HEADERS)):
            self.resizeColumnToContents(col)
        if self.topLevelItemCount() == 0:
            return False
        self.setCurrentItem(current or self.topLevelItem(0))
        self.scrollToItem(self.currentItem())
        return True

    @staticmethod
    def _item(path: str, best: bool) -> QTreeWidgetItem:
        item = QTreeWidgetItem([os.path.basename(path), "", "", ""])
        item.setData(0, Qt.UserRole, path)
        item.setToolTip(0, path)
        if not os.path.exists(path):
            item.setText(2, "missing")  # deleted or moved since the run; never an error
            return item
        try:
            info = describe(path)
        except (LayerCraftError, OSError) as exc:
            item.setText(2, "unreadable")
            item.setToolTip(2, str(exc))
            return item
        item.setText(1, str(info["epoch"]))
        item.setText(2, ", ".join(f"{k} {v:.4g}" for k, v in info["values"].items()))
        item.setText(3, info["created"].replace("T", " ")[:19])
        if best:
            item.setText(0, "★ " + item.text(0))
        return item
