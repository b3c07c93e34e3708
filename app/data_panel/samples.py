"""Widgets that show samples and counts, shared by the data, evaluation and prediction views:
an image grid, a table of feature rows and a labelled bar chart (pyqtgraph)."""

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, \
    QTableWidget, QTableWidgetItem

from .. import theme

SERIES_COLORS = ("#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6")


def to_qimage(sample: np.ndarray, low: float, high: float) -> QImage:
    """One image sample, (H, W), (H, W, 1) or (H, W, 3), mapped from [low, high] to 0..255."""
    a = np.asarray(sample, dtype=np.float32)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    span = high - low if high > low else 1.0
    a = np.clip((a - low) / span * 255.0, 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = np.ascontiguousarray(a)
        image = QImage(a.data, a.shape[1], a.shape[0], a.shape[1], QImage.Format_Grayscale8)
    else:
        a = np.ascontiguousarray(a[..., :3])
        image = QImage(a.data, a.shape[1], a.shape[0], 3 * a.shape[1], QImage.Format_RGB888)
    return image.copy()  # own the pixels: `a` goes away


def to_pixmap(sample, low, high, size: int) -> QPixmap:
    """A crisp enlarged pixmap (nearest neighbour keeps 8x8 pixels square)."""
    image = to_qimage(sample, low, high)
    return QPixmap.fromImage(image.scaled(size, size, Qt.KeepAspectRatio, Qt.FastTransformation))


class SampleGrid(QListWidget):
    """Thumbnails with captions; `sample_chosen(index)` gives the sample's index."""

    sample_chosen = Signal(int)

    def __init__(self, icon_size: int = 48, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.IconMode)
        self.setResizeMode(QListView.Adjust)
        self.setMovement(QListView.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(4)
        self.setWordWrap(True)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.icon_px = icon_size
        self.setIconSize(QSize(icon_size, icon_size))
        self.setGridSize(QSize(icon_size + 26, icon_size + 34))
        self.currentItemChanged.connect(self._on_current)

    def set_samples(self, images, captions, indices, value_range, tooltips=None):
        """Shows `images[i]` captioned `captions[i]`; `indices[i]` is reported when clicked."""
        self.blockSignals(True)
        self.clear()
        low, high = value_range
        for i, (image, caption, index) in enumerate(zip(images, captions, indices)):
            item = QListWidgetItem(QIcon(to_pixmap(image, low, high, self.icon_px)), caption)
            item.setData(Qt.UserRole, int(index))
            item.setTextAlignment(Qt.AlignHCenter | Qt.AlignTop)
            if tooltips is not None:
                item.setToolTip(tooltips[i])
            self.addItem(item)
        self.blockSignals(False)

    def index_at(self, row: int) -> int:
        return int(self.item(row).data(Qt.UserRole))

    def _on_current(self, item, _previous):
        if item is not None:
            self.sample_chosen.emit(int(item.data(Qt.UserRole)))


class SampleTable(QTableWidget):
    """Feature rows (plus extra columns such as label or confidence), read-only."""

    sample_chosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setDefaultSectionSize(22)
        self.currentCellChanged.connect(self._on_current)
        self._indices = []

    def set_rows(self, rows, feature_names, indices, extra=None, max_columns: int = 40):
        """`rows` (n, features); `extra` maps a column title to n values shown first."""
        extra = extra or {}
        rows = np.asarray(rows).reshape(len(rows), -1)
        names = list(feature_names) or [f"x{i}" for i in range(rows.shape[1])]
        names = names[:max_columns]
        headers = list(extra) + names
        self.blockSignals(True)
        self.clear()
        self.setRowCount(len(rows))
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.setVerticalHeaderLabels([str(i) for i in indices])
        self._indices = [int(i) for i in indices]
        for r in range(len(rows)):
            for c, values in enumerate(extra.values()):
                self.setItem(r, c, _cell(values[r]))
            for c in range(len(names)):
                self.setItem(r, len(extra) + c, _cell(rows[r, c]))
        self.resizeColumnsToContents()
        self.blockSignals(False)

    def _on_current(self, row, *_):
        if 0 <= row < len(self._indices):
            self.sample_chosen.emit(self._indices[row])


def _cell(value) -> QTableWidgetItem:
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.4g}"
    else:
        text = str(value)
    item = QTableWidgetItem(text)
    if isinstance(value, (int, float, np.number)):
        item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
    return item


def styled_plot(title: str = "", left: str = "", bottom: str = "") -> pg.PlotWidget:
    """A PlotWidget in the theme's colours, without the mouse-zoom menu clutter."""
    c = theme.colors()
    plot = pg.PlotWidget(background=c["panel"])
    item = plot.getPlotItem()
    item.setMenuEnabled(False)
    item.hideButtons()
    if title:
        item.setTitle(title, color=c["text"], size="9pt")
    for axis, text in (("left", left), ("bottom", bottom)):
        ax = item.getAxis(axis)
        ax.setPen(pg.mkPen(c["border"]))
        ax.setTextPen(pg.mkPen(c["muted"]))
        if text:
            ax.setLabel(text, color=c["muted"])
    item.showGrid(y=True, alpha=0.15)
    return plot


class BarSample(pg.ItemSample):
    """A legend swatch for a bar series: the bar's colour and outline, no line through it
    (pyqtgraph's sample draws a line stub beside the square)."""

    def paint(self, p, *args):
        opts = self.item.opts
        p.setPen(pg.mkPen(opts["pen"]))
        p.setBrush(pg.mkBrush(opts["brush"]))
        p.drawRect(2, 2, 16, 16)


class BarChart(pg.PlotWidget):
    """Bars per category, several series side by side, category names on the x axis."""

    def __init__(self, title: str = "", left: str = "", parent=None):
        c = theme.colors()
        super().__init__(parent, background=c["panel"])
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        if title:
            item.setTitle(title, color=c["text"], size="9pt")
        for axis in ("left", "bottom"):
            item.getAxis(axis).setPen(pg.mkPen(c["border"]))
            item.getAxis(axis).setTextPen(pg.mkPen(c["muted"]))
        if left:
            item.getAxis("left").setLabel(left, color=c["muted"])
        item.showGrid(y=True, alpha=0.15)
        self.legend = None
        self.bars = []
        self.values = {}
        self.setMinimumSize(180, 120)

    def set_series(self, categories, series, y_range=None):
        """`series`: list of (label, values); values align with `categories`."""
        item = self.getPlotItem()
        for bar in self.bars:
            item.removeItem(bar)
        self.bars, self.values = [], {}
        n = max(len(series), 1)
        width = 0.8 / n
        x = np.arange(len(categories), dtype=float)
        legend = self._legend(len(series))
        for k, (label, values) in enumerate(series):
            values = np.asarray(values, dtype=float)
            self.values[label] = values
            color = QColor(SERIES_COLORS[k % len(SERIES_COLORS)])
            bar = pg.BarGraphItem(x=x - 0.4 + width * (k + 0.5), height=values, width=width,
                                  brush=color, pen=pg.mkPen(color.darker(115)), name=label)
            item.addItem(bar)  # goes into the legend too, by its name
            self.bars.append(bar)
        legend.setVisible(len(series) > 1)
        ticks = [(i, _short(str(c))) for i, c in enumerate(categories)]
        item.getAxis("bottom").setTicks([ticks])
        item.setXRange(-0.6, len(categories) - 0.4, padding=0)
        top = max((float(np.max(v)) for _, v in series if len(v)), default=1.0)
        if y_range is not None:
            item.setYRange(*y_range, padding=0)
        else:
            item.setYRange(0, top * (1.3 if len(series) > 1 else 1.08) if top > 0 else 1.0,
                          padding=0)

    def _legend(self, count: int) -> pg.LegendItem:
        """The plot's one legend, emptied, its entries in a row (a legend removed from the
        scene stays the plot's legend, and later series were listed in nothing visible)."""
        item = self.getPlotItem()
        if self.legend is None:
            self.legend = item.addLegend(offset=(-4, 4), labelTextColor=theme.colors()["muted"],
                                         brush=pg.mkBrush(theme.colors()["panel"]),
                                         sampleType=BarSample)
        self.legend.clear()
        self.legend.setColumnCount(max(count, 1))
        return self.legend

    def legend_labels(self) -> list[str]:
        """The legend's entries as shown (none while it is hidden)."""
        if self.legend is None or not self.legend.isVisible():
            return []
        return [label.text for _, label in self.legend.items]


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
