"""ColumnPicker: which columns of a CSV file are features, as a list of check boxes.

The label column is shown unticked and greyed (a column cannot be both); the others start
ticked. `value()` is what `from_csv(features=...)` takes: `None` while every other column
is ticked (so the spec stays short), else the ticked names in file order.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem

VISIBLE_ROWS = 6


class ColumnPicker(QListWidget):
    #: the ticked columns changed (by the user or by a new label column)
    changed = Signal()

    def __init__(self, columns, parent=None):
        super().__init__(parent)
        self.setObjectName("import_features")
        self.setToolTip("Tick the columns the model learns from; untick text columns and IDs.")
        self._label = None
        for name in columns:
            item = QListWidgetItem(name, self)
            item.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled)
            item.setCheckState(Qt.Checked)
        rows = max(1, min(VISIBLE_ROWS, len(columns)))
        self.setFixedHeight(rows * self.sizeHintForRow(0) + 2 * self.frameWidth() + 2)
        self.itemChanged.connect(lambda _item: self.changed.emit())

    def set_label(self, label: str | None) -> None:
        """Greys out the label column; the previous label column becomes a ticked feature."""
        self.blockSignals(True)
        for item in self._items():
            if item.text() == label:
                item.setFlags(Qt.ItemIsUserCheckable)  # shown, not enabled
                item.setCheckState(Qt.Unchecked)
                item.setToolTip("This is the label column.")
            elif item.text() == self._label:
                item.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled)
                item.setCheckState(Qt.Checked)
                item.setToolTip("")
        self.blockSignals(False)
        self._label = label

    def set_checked(self, name: str, checked: bool) -> None:
        """Ticks or unticks column `name` (as a user's click does)."""
        for item in self._items():
            if item.text() == name:
                item.setCheckState(Qt.Checked if checked else Qt.Unchecked)

    def value(self) -> list[str] | None:
        """The ticked columns, or `None` when every column but the label is ticked."""
        ticked = [i.text() for i in self._items() if i.checkState() == Qt.Checked]
        others = [i.text() for i in self._items() if i.text() != self._label]
        return None if ticked == others else ticked

    def _items(self):
        return [self.item(i) for i in range(self.count())]
