"""The Evaluate tab's pictures: a confusion-matrix heatmap (clickable cells with counts),
per-class scores, ROC curves and the regression scatter / residual plots."""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QHeaderView, QTableWidget, \
    QTableWidgetItem, QWidget

from . import theme
from .data_panel.samples import styled_plot

CORRECT = QColor("#2563eb")
WRONG = QColor("#dc2626")


def _mix(color: QColor, share: float) -> QColor:
    """`color` blended into the panel background: share 0 is the background, 1 the colour."""
    base = QColor(theme.colors()["panel"])
    s = 0.08 + 0.92 * float(np.clip(share, 0, 1)) if share > 0 else 0.0
    return QColor(round(base.red() + (color.red() - base.red()) * s),
                  round(base.green() + (color.green() - base.green()) * s),
                  round(base.blue() + (color.blue() - base.blue()) * s))


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
                count = int(self.matrix[r, c])
                item = QTableWidgetItem(str(count) if count else "·")
                item.setTextAlignment(Qt.AlignCenter)
                color = _mix(CORRECT if r == c else WRONG, shares[r, c])
                item.setBackground(QBrush(color))
                dark = color.lightness() < 150
                item.setForeground(QBrush(QColor("#ffffff" if dark else theme.colors()["text"])))
                item.setToolTip(f"true {names[r]}, predicted {names[c]}: {count} "
                                f"({shares[r, c]:.0%} of {names[r]})")
                self.setItem(r, c, item)

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


class ScoresTable(QTableWidget):
    """Per-class precision, recall, F1 and support."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("classScores")
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setDefaultSectionSize(22)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)

    def set_scores(self, names, scores: dict) -> None:
        columns = ("precision", "recall", "f1", "support")
        self.setRowCount(len(names))
        self.setColumnCount(len(columns))
        self.setHorizontalHeaderLabels(["Precision", "Recall", "F1", "Support"])
        self.setVerticalHeaderLabels([str(n) for n in names])
        for r in range(len(names)):
            for c, key in enumerate(columns):
                value = scores[key][r]
                text = str(int(value)) if key == "support" else f"{value:.3f}"
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.setItem(r, c, item)


class MetricsTable(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("metricsTable")
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setColumnCount(2)
        self.setHorizontalHeaderLabels(["Metric", "Test value"])
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setDefaultSectionSize(22)

    def set_metrics(self, metrics: dict) -> None:
        self.setRowCount(len(metrics))
        for r, (name, value) in enumerate(metrics.items()):
            self.setItem(r, 0, QTableWidgetItem(name))
            item = QTableWidgetItem(f"{value:.4f}")
            item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            self.setItem(r, 1, item)
        self.resizeColumnToContents(0)

    def values(self) -> dict:
        return {self.item(r, 0).text(): float(self.item(r, 1).text())
                for r in range(self.rowCount())}


class RocPlot(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("rocPlot")
        self.plot = styled_plot("ROC curve", "true positive rate", "false positive rate")
        self.plot.setAspectLocked(True)
        self.curves = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def set_curves(self, roc: dict) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        if item.legend is None:
            item.addLegend(offset=(-10, 10), labelTextColor=theme.colors()["muted"])
        item.legend.clear()
        chance = pg.PlotDataItem([0, 1], [0, 1], pen=pg.mkPen(theme.colors()["muted"],
                                                               style=Qt.DashLine))
        item.addItem(chance)
        self.curves = []
        for i, (name, (fpr, tpr, auc)) in enumerate(roc.items()):
            curve = item.plot(fpr, tpr, pen=pg.mkPen(("#2563eb", "#f59e0b")[i % 2], width=2),
                              name=f"{name} (AUC {auc:.3f})")
            self.curves.append(curve)
        item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)


class RegressionPlots(QWidget):
    """Predicted vs true (with the y = x line) and residuals vs predicted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("regressionPlots")
        self.scatter_plot = styled_plot("Predicted vs true", "predicted", "true")
        self.residual_plot = styled_plot("Residuals", "predicted − true", "predicted")
        self.scatter = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(37, 99, 235, 150), pen=None)
        self.residuals = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(245, 158, 11, 150),
                                            pen=None)
        muted = pg.mkPen(theme.colors()["muted"], style=Qt.DashLine)
        self.identity = pg.PlotDataItem(pen=muted)
        self.scatter_plot.addItem(self.identity)
        self.scatter_plot.addItem(self.scatter)
        self.residual_plot.addItem(pg.InfiniteLine(pos=0, angle=0, pen=muted))
        self.residual_plot.addItem(self.residuals)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scatter_plot)
        layout.addWidget(self.residual_plot)

    def set_values(self, y_true, predicted) -> None:
        y_true, predicted = np.asarray(y_true, float), np.asarray(predicted, float)
        self.scatter.setData(y_true, predicted)
        self.residuals.setData(predicted, predicted - y_true)
        low = float(min(y_true.min(), predicted.min()))
        high = float(max(y_true.max(), predicted.max()))
        self.identity.setData([low, high], [low, high])
        self.scatter_plot.getPlotItem().setRange(xRange=(low, high), yRange=(low, high))
        self.residual_plot.getPlotItem().autoRange()
