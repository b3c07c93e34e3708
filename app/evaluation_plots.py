"""The Evaluate tab's tables and plots: metrics, per-class scores, ROC curves (one class
against the rest, picked in a combo) and the regression scatter / residual plots. The
confusion matrix lives in `confusion_matrix.py`."""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, \
    QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from . import theme
from .data_panel.samples import styled_plot

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
    """ROC curves, one class against the rest, the class picked in a combo.

    `set_curves` takes class name -> (false positive rates, true positive rates, AUC) as the
    evaluation computed them; `set_unavailable` says why there is no curve instead.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("rocPlot")
        self.roc: dict = {}
        self.curves = []
        self.picker = QComboBox(objectName="rocClassCombo")
        self.picker.setToolTip("The class counted as positive; every other class is negative.")
        self.picker.currentIndexChanged.connect(self._on_picked)
        self.note = QLabel(objectName="rocNote", wordWrap=True)
        self.note.setProperty("role", "muted")
        self.plot = styled_plot("ROC curve", "true positive rate", "false positive rate")
        self.plot.setAspectLocked(True)
        bar = QHBoxLayout()
        self.picker_label = QLabel("Positive class:")
        bar.addWidget(self.picker_label)
        bar.addWidget(self.picker, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self.set_unavailable("Evaluate a classifier to see its ROC curves.")

    def set_curves(self, roc: dict, note: str = "") -> None:
        """Fills the class picker (each entry with its AUC) and draws the first class."""
        self.roc = dict(roc)
        self.picker.blockSignals(True)
        self.picker.clear()
        for name, (_, _, auc) in self.roc.items():
            self.picker.addItem(f"{name} vs rest (AUC {auc:.3f})", name)
        self.picker.blockSignals(False)
        # Two classes have one curve: a picker with a single entry would only be clutter.
        for widget in (self.picker, self.picker_label):
            widget.setVisible(len(self.roc) > 1)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.plot.setVisible(True)
        self._on_picked(0)

    def set_unavailable(self, reason: str) -> None:
        self.roc, self.curves = {}, []
        self.picker.clear()
        for widget in (self.picker, self.picker_label, self.plot):
            widget.setVisible(False)
        self.note.setText(reason)
        self.note.setVisible(True)

    def show_class(self, name) -> None:
        """Shows the curve of class `name` against the rest (as if picked in the combo)."""
        self.picker.setCurrentIndex(self.picker.findData(name))

    def _on_picked(self, index: int) -> None:
        name = self.picker.itemData(index)
        if name is not None:
            self._draw(name, *self.roc[name])

    def _draw(self, name, fpr, tpr, auc) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        if item.legend is None:
            item.addLegend(offset=(-10, -10), labelTextColor=theme.colors()["muted"])
        item.legend.clear()
        muted = pg.mkPen(theme.colors()["muted"], style=Qt.DashLine)
        item.addItem(pg.PlotDataItem([0, 1], [0, 1], pen=muted, name="chance"))
        curve = item.plot(fpr, tpr, pen=pg.mkPen("#2563eb", width=2),
                          name=f"{name} vs rest (AUC {auc:.3f})")
        self.curves = [curve]
        item.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)

    def legend_texts(self) -> list[str]:
        legend = self.plot.getPlotItem().legend
        return [] if legend is None else [label.text for _, label in legend.items]


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
