"""The Evaluate tab's confusion matrix: a heatmap table of counts with clickable cells, framed
by its axis titles ("True class" down the side, "Predicted class" across the top)."""

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import QAbstractItemView, QGridLayout, QHeaderView, QLabel, \
    QTableWidget, QTableWidgetItem, QWidget

from . import theme

CORRECT = QColor("#2563eb")
WRONG = QColor("#dc2626")
TRUE_TITLE, PREDICTED_TITLE = "True class", "Predicted class"


def _mix(color: QColor, share: float) -> QColor:
    """`color` blended into the panel background: share 0 is the background, 1 the colour."""
    base = QColor(theme.colors()["panel"])
    s = 0.08 + 0.92 * float(np.clip(share, 0, 1)) if share > 0 else 0.0
    return QColor(round(base.red() + (color.red() - base.red()) * s),
                  round(base.green() + (color.green() - base.green()) * s),
                  round(base.blue() + (color.blue() - base.blue()) * s))


class VerticalLabel(QLabel):
    """A label read bottom to top, for the title of a table's row axis."""

    def sizeHint(self) -> QSize:
        flat = super().sizeHint()
        return QSize(flat.height(), flat.width())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event):
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.translate(0, self.height())
        painter.rotate(-90)
        painter.drawText(0, 0, self.height(), self.width(), Qt.AlignCenter, self.text())


class ConfusionTable(QTableWidget):
    """Rows are true classes, columns predicted ones; shade = share of the true class."""

    cell_chosen = Signal(int, int)  # true class, predicted class

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.setToolTip("Rows: true class. Columns: predicted class. Click a cell to see "
                        "its samples.")
        self.cellClicked.connect(self._on_clicked)
        # No selection highlight (it would hide the heat colours): the chosen cell is bold.
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.chosen = None
        self.matrix = np.zeros((0, 0), dtype=np.int64)

    def set_matrix(self, matrix: np.ndarray, names) -> None:
        self.matrix = np.asarray(matrix)
        self.chosen = None
        k = len(self.matrix)
        self.setRowCount(k)
        self.setColumnCount(k)
        self.setHorizontalHeaderLabels([f"→ {n}" for n in names])
        self.setVerticalHeaderLabels([str(n) for n in names])
        totals = np.maximum(self.matrix.sum(axis=1, keepdims=True), 1)
        shares = self.matrix / totals
        for r in range(k):
            for c in range(k):
                self.setItem(r, c, self._cell(int(self.matrix[r, c]), shares[r, c], r == c,
                                              names[r], names[c]))

    @staticmethod
    def _cell(count, share, correct, true_name, predicted_name) -> QTableWidgetItem:
        item = QTableWidgetItem(str(count) if count else "·")
        item.setTextAlignment(Qt.AlignCenter)
        color = _mix(CORRECT if correct else WRONG, share)
        item.setBackground(QBrush(color))
        dark = color.lightness() < 150
        item.setForeground(QBrush(QColor("#ffffff" if dark else theme.colors()["text"])))
        item.setToolTip(f"true {true_name}, predicted {predicted_name}: {count} "
                        f"({share:.0%} of {true_name})")
        return item

    def click_cell(self, true_class: int, predicted_class: int) -> None:
        """As if the user clicked the cell (tests, keyboard)."""
        self._on_clicked(true_class, predicted_class)

    def _on_clicked(self, row, column):
        for cell, bold in ((self.chosen, False), ((row, column), True)):
            item = None if cell is None else self.item(*cell)
            if item is not None:
                font = item.font()
                font.setBold(bold)
                font.setUnderline(bold)
                item.setFont(font)
        self.chosen = (row, column)
        self.cell_chosen.emit(row, column)


class ConfusionMatrixView(QWidget):
    """The table with its axis titles: without them a user cannot tell which way it reads."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("confusionMatrixView")
        self.table = ConfusionTable()
        self.predicted_title = QLabel(PREDICTED_TITLE, objectName="predictedAxisTitle",
                                      alignment=Qt.AlignCenter)
        self.true_title = VerticalLabel(TRUE_TITLE, objectName="trueAxisTitle")
        for title in (self.predicted_title, self.true_title):
            title.setProperty("role", "section")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        grid.addWidget(self.predicted_title, 0, 1)
        grid.addWidget(self.true_title, 1, 0)
        grid.addWidget(self.table, 1, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(1, 1)
