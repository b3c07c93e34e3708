"""One chart of LiveCharts: a quantity's pyqtgraph plot, and the view that times its paints.

A `ChartPlot` holds the batch curve, the train/validation epoch curves, checkpoint and best
markers, a crosshair and its readout. `TimedGraphicsView` adds up the time spent painting, so
the live charts can pace their redraws by what drawing really costs.
"""

import time

from PySide6.QtCore import Qt
import pyqtgraph as pg

from .. import theme

TITLES = {"loss": "Loss", "learning_rate": "Learning rate"}
TRAIN, VAL, BATCH, LR = "#2563eb", "#ea580c", (37, 99, 235, 80), "#7c3aed"
OVERLAY_COLORS = ("#7c3aed", "#0d9488", "#be185d", "#65a30d", "#a16207")


def legend_html() -> str:
    """One legend for every plot (the colours mean the same everywhere), for the chart bar:
    a legend inside a plot covered the curves and was cut off in narrow plots."""
    batch = "rgba({}, {}, {}, 0.45)".format(*BATCH[:3])
    return (f'<span style="color:{batch}">&#8212;</span> train (per batch) &nbsp; '
            f'<span style="color:{TRAIN}">&#9679;</span> train (epoch) &nbsp; '
            f'<span style="color:{VAL}">&#9632;</span> validation')


def plot_order(key: str) -> tuple:
    """Loss first, then the metrics by name, the learning rate last."""
    return (key != "loss", key == "learning_rate", key)


def plot_key(log_key: str) -> str:
    """The plot a log entry belongs to: `val_accuracy` -> `accuracy`."""
    return log_key[4:] if log_key.startswith("val_") else log_key


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
        self.checkpoints = pg.ScatterPlotItem(symbol="t1", size=11, brush="#16a34a", pen=None)
        item.addItem(self.checkpoints)
        self.best_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#16a34a", width=1.5,
                                                                style=Qt.DashLine),
                                         label="best", labelOpts={"position": 0.92,
                                                                  "color": "#16a34a"})
        self.best_line.hide()
        item.addItem(self.best_line, ignoreBounds=True)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#94a3b8", width=1))
        self.cursor.hide()
        item.addItem(self.cursor, ignoreBounds=True)
        self.readout = pg.TextItem(color=theme.colors()["text"], anchor=(0, 0),
                                   fill=pg.mkBrush(255, 255, 255, 210))
        self.readout.hide()
        item.addItem(self.readout, ignoreBounds=True)
        self.overlays = []


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
