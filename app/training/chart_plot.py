"""One chart of LiveCharts: a quantity's pyqtgraph plot, and the view that times its paints.

A `ChartPlot` holds the batch curve, the train/validation epoch curves, checkpoint and best
markers, a crosshair and its readout. The best epoch is a dashed line on every plot; its
ring and "best" label sit only on the plot of the monitored quantity, at the monitored value and on
the side away from the other curve, so that it covers no curve elsewhere. `TimedGraphicsView` adds up the time spent painting, so
the live charts can pace their redraws by what drawing really costs.
"""

import math
import time

from PySide6.QtCore import Qt
import pyqtgraph as pg

from .. import theme

TITLES = {"loss": "Loss", "learning_rate": "Learning rate"}
TRAIN, VAL, BATCH, LR = "#2563eb", "#ea580c", (37, 99, 235, 80), "#7c3aed"
MARK = "#16a34a"  # checkpoints and the best epoch
OVERLAY_COLORS = ("#7c3aed", "#0d9488", "#be185d", "#65a30d", "#a16207")


def legend_html(checkpoints: bool = False, best: str | None = None) -> str:
    """One legend for every plot (the colours mean the same everywhere), for the chart bar:
    a legend inside a plot covered the curves and was cut off in narrow plots.

    Args:
        checkpoints: Whether checkpoint triangles are drawn (their entry appears with them).
        best: The monitored quantity whose best epoch is marked, or None when none is.
    """
    batch = "rgba({}, {}, {}, 0.45)".format(*BATCH[:3])
    parts = [f'<span style="color:{batch}">&#8212;</span> train (per batch)',
             f'<span style="color:{TRAIN}">&#9679;</span> train (epoch)',
             f'<span style="color:{VAL}">&#9632;</span> validation']
    if checkpoints:
        parts.append(f'<span style="color:{MARK}">&#9650;</span> checkpoint saved')
    if best:
        parts.append(f'<span style="color:{MARK}">&#9478;</span> best epoch ({best})')
    return " &nbsp; ".join(parts)


def plot_order(key: str) -> tuple:
    """Loss first, then the metrics by name, the learning rate last."""
    return (key != "loss", key == "learning_rate", key)


def plot_key(log_key: str) -> str:
    """The plot a log entry belongs to: `val_accuracy` -> `accuracy`."""
    return log_key[4:] if log_key.startswith("val_") else log_key


def best_mark(epochs: dict, monitor: str, x) -> tuple:
    """Where the "best" label goes: ((x, value of `monitor` at epoch x) or None, above?).

    Above the point unless the other curve of the plot (train for val_, val_ for train) is
    above it there: then below, so that the label does not sit on that curve.
    """
    value = _value_at(epochs.get(monitor), x)
    if value is None:
        return None, True
    other = monitor[4:] if monitor.startswith("val_") else "val_" + monitor
    other_value = _value_at(epochs.get(other), x)
    return (x, value), other_value is None or other_value <= value


def _value_at(series, x):
    if series is None or not len(series):
        return None
    xs, ys = series.view()
    hit = (xs == x).nonzero()[0]
    return float(ys[hit[-1]]) if len(hit) else None


class ChartPlot:
    """One quantity's plot: batch curve, train/val epoch curves, markers and crosshair."""

    def __init__(self, item: pg.PlotItem, key: str):
        self.item, self.key = item, key
        item.setTitle(TITLES.get(key, key.replace("_", " ").capitalize()), size="10pt")
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        item.setLabel("bottom", "epoch")
        item.setMenuEnabled(False)
        item.getViewBox().setDefaultPadding(0.06)
        item.getAxis("left").setWidth(46)  # fixed: new tick labels never re-layout the plots
        train = LR if key == "learning_rate" else TRAIN
        self.batch_curve = item.plot(pen=pg.mkPen(BATCH, width=1), name="train (per batch)")
        self.train_curve = item.plot(pen=pg.mkPen(train, width=2.5), symbol="o", symbolSize=6,
                                     symbolBrush=train, symbolPen=None, name="train (epoch)")
        self.val_curve = item.plot(pen=pg.mkPen(VAL, width=2.5), symbol="s", symbolSize=6,
                                   symbolBrush=VAL, symbolPen=None, name="validation")
        # Markers are PlotDataItems, not ScatterPlotItems: only those follow the log scale.
        self.checkpoints = item.plot(pen=None, symbol="t1", symbolSize=11, symbolBrush=MARK,
                                     symbolPen=None)
        self.best_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(MARK, width=1.5,
                                                                style=Qt.DashLine))
        self.best_line.hide()
        item.addItem(self.best_line, ignoreBounds=True)
        # A ring, not a filled mark: a checkpoint's triangle often sits on the same point.
        self.best_point = item.plot(pen=None, symbol="o", symbolSize=19, symbolBrush=None,
                                    symbolPen=pg.mkPen(MARK, width=2))
        # Filled, and over the dashed line, which would otherwise strike through the word.
        self.best_label = pg.TextItem("best", color=MARK,
                                      fill=pg.mkBrush(theme.colors()["panel"]))
        self.best_label.setZValue(5)
        self.best_label.hide()
        item.addItem(self.best_label, ignoreBounds=True)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#94a3b8", width=1))
        self.cursor.hide()
        item.addItem(self.cursor, ignoreBounds=True)
        self.readout = pg.TextItem(color=theme.colors()["text"], anchor=(0, 0),
                                   fill=pg.mkBrush(255, 255, 255, 210))
        self.readout.hide()
        item.addItem(self.readout, ignoreBounds=True)
        self.overlays = []

    def show_best(self, epoch: int | None, point=None, above: bool = True) -> None:
        """Marks the best epoch (None: no mark); `point` (x, y) on this plot's monitored
        curve gets the star and the "best" label, above or below it."""
        self.best_line.setVisible(epoch is not None)
        if epoch is not None:
            self.best_line.setValue(epoch)
        self.best_label.setVisible(point is not None)
        if point is None:
            self.best_point.setData([], [])
            return
        self.best_point.setData([point[0]], [point[1]])
        # Anchors past the text's edge leave a gap between the label and the star.
        self.best_label.setAnchor((0.5, 1.4) if above else (0.5, -0.4))
        x, y = point
        # A text item is placed in view coordinates, which are log10 of the value on a log axis.
        log = self.item.ctrl.logYCheck.isChecked()
        self.best_label.setPos(x, math.log10(y) if log and y > 0 else y)


class TimedGraphicsView(pg.GraphicsLayoutWidget):
    """A GraphicsLayoutWidget that keeps the total seconds spent in its paint events.

    Qt paints a view again after a redraw (linked axes, items that asked for an update), so
    the redraw call alone undercounts what drawing costs the GUI thread.
    """

    painted_s = 0.0

    def paintEvent(self, event):
        started = time.perf_counter()
        super().paintEvent(event)
        self.painted_s += time.perf_counter() - started
