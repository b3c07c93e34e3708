"""LiveCharts (`lossChart`): one pyqtgraph plot per quantity (loss, each metric, learning
rate), fed by the TrainingController's signals and redrawn from a timer.

Per-batch values are a light curve (optionally smoothed), per-epoch values bold markers;
training and validation have distinct colours. Points go into growing NumPy buffers and the
plots redraw at about 15 Hz, only when something changed (pyqtgraph `scrollingPlots.py`,
method 2). Downsampling ("peak") and clip-to-view keep 100,000 batch points smooth.
"""

import csv
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, \
    QSlider, QVBoxLayout, QWidget
import pyqtgraph as pg

from .. import messages, theme
from ..file_dialogs import save_file
from .chart_plot import (OVERLAY_COLORS, ChartPlot, TimedGraphicsView, best_mark, legend_html,
                         plot_key, plot_order)
from .job import INFO_KEYS
from .series import Series, SmoothedSeries

REDRAW_MS = 80  # ~12 redraws per second at most, when drawing is cheap
MAX_REDRAW_MS = 1000
# Keep drawing under ~2.5% of the GUI thread's time. Training's matrix products use every
# core, and each waits for its slowest thread, and pyqtgraph paints in Python, holding the GIL
# the training thread needs: 10% cost 18% of the throughput on 2 cores (AMD EPYC), and GUI
# training of the MLP example ran at 0.86 of headless with 2.5% against 0.82 with 5% (mean of
# five paired bench/gui.py runs, Intel Xeon). Each plot then redraws about once a second.
DRAW_SHARE = 0.025


class LiveCharts(QWidget):
    """Training curves, live while a run trains and for any loaded run."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lossChart")
        # Runs only while something waits to be drawn (see `dirty`): an idle window, or
        # charts out of view, wake nothing.
        self.timer = QTimer(self, interval=REDRAW_MS, timeout=self._redraw)
        self.batch: dict[str, SmoothedSeries] = {}
        self.epoch: dict[str, Series] = {}
        self.plots: dict[str, ChartPlot] = {}
        self.checkpoint_epochs: list[int] = []
        self.best_epoch = None
        self.best_monitor = None  # the quantity whose best epoch is marked: "val_loss", …
        self.overlay_runs: dict[str, dict] = {}
        self.dirty = False
        self._overlays_dirty = False
        self._changed = {("all", None)}  # what changed since the last redraw
        self.redraws = 0
        self._painted_at_last_redraw = 0.0
        self._last_drawn: dict[str, int] = {}
        self._training = False  # between the controller's started and stopped  # plot key -> `redraws` count when last drawn
        self._missing: dict = {}  # plots asked for and not placed yet: key -> built or None
        self._build()

    # ----- layout ------------------------------------------------------------------------------
    def _build(self):
        pg.setConfigOptions(antialias=True, background=theme.colors()["panel"],
                            foreground=theme.colors()["muted"])
        self.graphics = TimedGraphicsView()
        self.graphics.setObjectName("chartArea")
        self.placeholder = QLabel("Curves appear here when training starts.",
                                  alignment=Qt.AlignCenter)
        self.placeholder.setProperty("role", "muted")
        self.smooth_check = QCheckBox("Smooth", objectName="smoothCheck", checked=True)
        self.smooth_slider = QSlider(Qt.Horizontal, objectName="smoothSlider")
        self.smooth_slider.setRange(0, 95)
        self.smooth_slider.setValue(60)
        self.smooth_slider.setFixedWidth(90)
        self.smooth_slider.setToolTip("Smoothing of the per-batch curve (exponential average)")
        self.log_check = QCheckBox("Log scale", objectName="logScaleCheck")
        self.png_button = QPushButton("Export PNG…", objectName="exportPngButton")
        self.csv_button = QPushButton("Export CSV…", objectName="exportCsvButton")
        self.smooth_check.toggled.connect(self._mark_dirty)
        self.smooth_slider.valueChanged.connect(self._on_smoothing)
        self.log_check.toggled.connect(self.set_log_scale)
        self.png_button.clicked.connect(self._ask_png)
        self.csv_button.clicked.connect(self._ask_csv)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        for widget in (self.smooth_check, self.smooth_slider, self.log_check):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.png_button)
        bar.addWidget(self.csv_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        # A line of its own, wrapping: in the bar it would widen the window's minimum size.
        self.legend = QLabel(legend_html(), objectName="chartLegend", wordWrap=True)
        self.legend.setProperty("role", "muted")
        self.legend.setContentsMargins(8, 0, 6, 0)
        layout.addWidget(self.legend)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.graphics, 1)
        self.graphics.hide()
        self._mouse = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._on_mouse)

    def _plot(self, key: str) -> ChartPlot:
        if key not in self.plots:
            self._place_plot(key, self._missing.get(key) or self._new_plot(key))
        return self.plots[key]

    def _new_plot(self, key: str) -> ChartPlot:
        """A plot for `key`, not yet in the layout (building it is most of the cost)."""
        return ChartPlot(pg.PlotItem(), key)

    def _place_plot(self, key: str, plot: ChartPlot) -> None:
        # Set here, not when built: the log-scale box or the other plots may have changed.
        # Learning rates span orders of magnitude (schedules, ReduceLROnPlateau): always log.
        plot.item.setLogMode(y=key == "learning_rate" or self.log_check.isChecked())
        if self.plots:
            plot.item.setXLink(next(iter(self.plots.values())).item)
        self.placeholder.hide()
        self.graphics.show()
        self.plots[key] = plot
        self._relayout()
        self._changed.add(("all", key))  # changes that came before the plot existed
        self._missing.pop(key, None)

    def _want_plot(self, key: str) -> None:
        """Asks for a plot during training: the redraw timer builds it, in small steps.

        Building a plot takes about 20 ms and placing it in the row (a relayout and a
        repaint) as much again; the first batch brings several keys at once, and doing all
        of that in one go stalled the window for over 100 ms.
        """
        if key not in self.plots:
            self._missing.setdefault(key, None)

    def _build_next_plot(self) -> None:
        """One step of the waiting plots' construction: build one, or place a built one."""
        key, built = next(iter(self._missing.items()))
        if built is None:
            self._missing[key] = self._new_plot(key)
        else:
            self._place_plot(key, built)

    def _build_missing_plots(self) -> None:
        """Builds every plot asked for (loading a run, exporting: the user is waiting)."""
        for key in list(self._missing):
            self._plot(key)

    def _relayout(self):
        layout = self.graphics.ci
        for plot in self.plots.values():
            if plot.item in layout.items:
                layout.removeItem(plot.item)
        for col, key in enumerate(sorted(self.plots, key=plot_order)):
            layout.addItem(self.plots[key].item, row=0, col=col)

    # ----- feeding -------------------------------------------------------------------------------
    def connect_controller(self, controller) -> None:
        controller.started.connect(self._on_started)
        controller.batch_ended.connect(self.add_batch)
        controller.epoch_ended.connect(self.add_epoch)
        controller.checkpoint_saved.connect(self.mark_checkpoint)
        controller.run_finished.connect(self._on_run_finished)
        controller.stopped.connect(self._on_stopped)

    def _on_started(self, run_id):
        job = getattr(self.sender(), "job", None)
        self._training = True
        self.clear(keep_history=job is not None and job.resume is not None)

    def _on_stopped(self, run_id, reason):
        # Nothing competes for the cores any more: draw the final curves at full speed.
        self._training = False
        self.timer.setInterval(REDRAW_MS)
        self._mark_dirty()

    def clear(self, keep_history: bool = False) -> None:
        """Empties the curves (Continue training keeps the epoch history)."""
        for series in self.batch.values():
            series.clear()
        if not keep_history:
            for series in self.epoch.values():
                series.clear()
            self.checkpoint_epochs, self.best_epoch, self.best_monitor = [], None, None
            self._update_legend()
        self._mark_dirty()

    def add_batch(self, epoch: int, logs: dict) -> None:
        position = logs.get("position", epoch + 1)
        for key, value in logs.items():
            if key in INFO_KEYS or key.startswith("val_") or key == "learning_rate":
                continue
            if key not in self.batch:
                self.batch[key] = SmoothedSeries(weight=self.smooth_slider.value() / 100)
                self._want_plot(key)
            self.batch[key].append(position, value)
            self._changed.add(("batch", key))
        self.dirty = True

    def add_epoch(self, epoch: int, logs: dict) -> None:
        for key, value in logs.items():
            if key in INFO_KEYS:
                continue
            self._want_plot(plot_key(key))
            self.epoch.setdefault(key, Series()).append(epoch + 1, value)
            self._changed.add(("epoch", plot_key(key)))
        self.dirty = True

    def load_history(self, history: dict, epochs=None) -> None:
        """Shows a finished run's per-epoch record (`History.history` and `.epoch`)."""
        self.clear()
        for series in self.batch.values():
            series.clear()
        keys = sorted(history, key=lambda k: (k != "loss" and k != "val_loss",
                                              plot_key(k) == "learning_rate", k))
        count = max((len(v) for v in history.values()), default=0)
        epochs = list(epochs) if epochs else list(range(count))
        for i, epoch in enumerate(epochs):
            self.add_epoch(epoch, {k: history[k][i] for k in keys if i < len(history[k])})
        self._build_missing_plots()

    def mark_checkpoint(self, epoch: int, path: str = "") -> None:
        self.checkpoint_epochs.append(epoch)
        self._update_legend()
        self._changed.add(("markers", None))
        self.dirty = True

    def mark_best(self, epoch, monitor: str | None = None) -> None:
        """Marks the best epoch (0-based) of `monitor`; None: val_loss, else loss."""
        self.best_epoch = epoch
        self.best_monitor = monitor
        self._update_legend()
        self._changed.add(("markers", None))
        self.dirty = True

    def monitored(self) -> str:
        """The quantity the best epoch is best at."""
        return self.best_monitor or ("val_loss" if "val_loss" in self.epoch else "loss")

    def _update_legend(self) -> None:
        best = self.monitored() if self.best_epoch is not None else None
        self.legend.setText(legend_html(bool(self.checkpoint_epochs), best))

    def _on_run_finished(self, run_id, summary):
        if summary.get("reason") == "early_stopping" or summary.get("best_path"):
            self.mark_best(summary.get("best_epoch"), summary.get("monitor"))

    def set_overlays(self, runs: dict) -> None:
        """Other runs' epoch curves (label -> History.history), drawn dashed."""
        self.overlay_runs = dict(runs)
        self._overlays_dirty = True
        self._changed.add(("all", None))
        for name, history in runs.items():
            for key in history:
                self._plot(plot_key(key))
        self.dirty = True

    # ----- reading (tests, export) ---------------------------------------------------------------
    def point_count(self, key: str, per: str = "epoch") -> int:
        store = self.epoch if per == "epoch" else self.batch
        return len(store[key]) if key in store else 0

    def history(self) -> dict:
        """Per-epoch values shown: key -> list, plus "epoch" (1-based)."""
        record = {k: s.view()[1].tolist() for k, s in self.epoch.items() if len(s)}
        longest = max(self.epoch.values(), key=len, default=None)
        if longest is not None and len(longest):
            record = {"epoch": [int(e) for e in longest.view()[0]], **record}
        return record

    # ----- drawing -------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        """Whether changes wait to be drawn; setting it starts the redraw timer."""
        return self._dirty

    @dirty.setter
    def dirty(self, value: bool) -> None:
        self._dirty = value
        if value and self.isVisible() and not self.timer.isActive():
            self.timer.start()  # out of view, showEvent starts it

    def _mark_dirty(self, *args):
        self._changed.add(("all", None))
        self.dirty = True

    def _on_smoothing(self, value):
        for series in self.batch.values():
            series.set_weight(value / 100)
        self._mark_dirty()

    def set_log_scale(self, on: bool) -> None:
        for key, plot in self.plots.items():
            plot.item.setLogMode(y=on or key == "learning_rate")
        self._mark_dirty()

    def showEvent(self, event):
        # While hidden nothing is drawn (and clip-to-view would clip to a stale range): set
        # every curve afresh when the charts come back into view.
        super().showEvent(event)
        self._mark_dirty()
        self._redraw()

    def _redraw(self):
        """Draws the next plot with pending changes (one plot per tick), then paces itself.

        pyqtgraph paints in Python and holds the GIL, which the training thread needs too:
        one plot at a time keeps each stall of the event loop short, and the interval grows
        so that drawing takes at most DRAW_SHARE of the time.
        """
        if not self.dirty or not self.isVisible():
            self.timer.stop()  # hidden: keep the changes for showEvent, spend no time drawing
            return
        if self._missing:
            self._build_next_plot()  # this tick's work; curves are drawn on later ticks
            return
        pending = self._pending_keys()
        if not pending:
            self.dirty = False
            self.timer.stop()
            return
        started, painted = time.perf_counter(), self.graphics.painted_s
        # The plot waiting longest goes next: the loss changes with every batch, and taking
        # plots in display order would leave the others undrawn for the whole run.
        key = min(pending, key=lambda k: self._last_drawn.get(k, -1))
        self._last_drawn[key] = self.redraws
        self._update_curves([key])
        item = self.plots[key].item
        self.graphics.viewport().repaint(
            self.graphics.mapFromScene(item.sceneBoundingRect()).boundingRect())
        # The cost of a redraw: updating the curves, and every paint since the last redraw
        # (Qt paints again after this one for linked axes and items that asked for it).
        updating = time.perf_counter() - started - (self.graphics.painted_s - painted)
        spent_ms = (updating + self.graphics.painted_s - self._painted_at_last_redraw) * 1000
        self._painted_at_last_redraw = self.graphics.painted_s
        base = REDRAW_MS / max(1, len(self.plots))
        budget = spent_ms / DRAW_SHARE if self._training else 0.0  # pace only while training
        self.timer.setInterval(int(min(MAX_REDRAW_MS, max(base, budget))))

    def _pending_keys(self) -> list:
        self._expand_global_changes()
        waiting = {key for _, key in self._changed}
        return [key for key in sorted(self.plots, key=plot_order) if key in waiting]

    def _expand_global_changes(self):
        """Turns "every plot" entries into one entry per plot."""
        for kind in ("all", "markers"):
            if (kind, None) in self._changed:
                self._changed.discard((kind, None))
                self._changed.update((kind, key) for key in self.plots)
        if self._overlays_dirty:
            self._overlays_dirty = False
            self._changed.update(("overlays", key) for key in self.plots)
        self._changed = {(kind, key) for kind, key in self._changed if key in self.plots}

    def _update_curves(self, keys=None):
        """Sets the data of the plots `keys` (default: all) from their pending changes."""
        self._expand_global_changes()
        self.redraws += 1
        smooth = self.smooth_check.isChecked()
        for key in list(self.plots) if keys is None else keys:
            plot = self.plots[key]
            mine = {kind for kind, k in self._changed if k == key}
            self._changed -= {(kind, key) for kind in mine}
            every = "all" in mine
            batch = self.batch.get(key)
            if every or "batch" in mine:  # only what changed: setData re-lays out axes
                if batch is not None and len(batch):
                    plot.batch_curve.setData(*(batch.smooth_view() if smooth else batch.view()))
                else:
                    plot.batch_curve.setData([], [])
            if every or "epoch" in mine:
                self._set(plot.train_curve, self.epoch.get(key))
                self._set(plot.val_curve, self.epoch.get("val_" + key))
            if every or "markers" in mine or "epoch" in mine:
                self._draw_markers(plot)
            if "overlays" in mine:
                self._draw_overlays(plot)
        self.dirty = bool(self._changed)

    @staticmethod
    def _set(curve, series):
        if series is not None and len(series):
            curve.setData(*series.view())
        else:
            curve.setData([], [])

    def _draw_markers(self, plot):
        series = self.epoch.get("val_" + plot.key) or self.epoch.get(plot.key)
        points = []
        if plot.key == "loss" and series is not None and len(series):
            xs, ys = series.view()
            lookup = dict(zip(xs.tolist(), ys.tolist()))
            points = [(e + 1, lookup[e + 1]) for e in self.checkpoint_epochs if e + 1 in lookup]
        plot.checkpoints.setData([p[0] for p in points], [p[1] for p in points])
        if self.best_epoch is None:
            plot.show_best(None)
        elif plot_key(self.monitored()) == plot.key:
            plot.show_best(self.best_epoch + 1,
                           *best_mark(self.epoch, self.monitored(), self.best_epoch + 1))
        else:  # the line alone: a label here would sit on this plot's curves
            plot.show_best(self.best_epoch + 1)

    def _draw_overlays(self, plot):
        for curve in plot.overlays:
            plot.item.removeItem(curve)
        plot.overlays = []
        for i, (name, history) in enumerate(self.overlay_runs.items()):
            color = OVERLAY_COLORS[i % len(OVERLAY_COLORS)]
            for key, style in ((plot.key, Qt.DashLine), ("val_" + plot.key, Qt.DotLine)):
                values = history.get(key)
                if values:
                    curve = plot.item.plot(list(range(1, len(values) + 1)), values,
                                           pen=pg.mkPen(color, width=1.5, style=style))
                    plot.overlays.append(curve)

    # ----- hover crosshair ------------------------------------------------------------------------
    def _on_mouse(self, event):
        pos = event[0]
        for plot in self.plots.values():
            inside = plot.item.sceneBoundingRect().contains(pos)
            plot.cursor.setVisible(inside)
            plot.readout.setVisible(inside)
            if inside:
                x = plot.item.vb.mapSceneToView(pos).x()
                plot.cursor.setValue(x)
                plot.readout.setText(self._readout(plot.key, x))
                view = plot.item.vb.viewRange()
                plot.readout.setPos(view[0][0], view[1][1])

    def _readout(self, key: str, x: float) -> str:
        epoch = max(1, int(round(x)))
        lines = [f"epoch {epoch}"]
        for name in (key, "val_" + key):
            series = self.epoch.get(name)
            if series is not None and len(series):
                xs, ys = series.view()
                hit = (xs == epoch).nonzero()[0]
                if len(hit):
                    lines.append(f"{name}: {ys[hit[-1]]:.4g}")
        batch = self.batch.get(key)
        if batch is not None and len(batch):
            xs, ys = batch.view()
            i = min(int(xs.searchsorted(x)), len(xs) - 1)
            lines.append(f"batch {key}: {ys[i]:.4g}")
        return "\n".join(lines)

    # ----- export -----------------------------------------------------------------------------------
    def _ask_png(self):
        path = save_file(self, "Export chart", "chart", "training.png", "PNG (*.png)")
        if path:
            self.export_png(path)

    def _ask_csv(self):
        path = save_file(self, "Export history", "chart", "history.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_png(self, path: str) -> bool:
        self._build_missing_plots()
        if self.dirty:
            self._update_curves()
        # The plots with the legend line above them (not the toolbar).
        area = self.legend.geometry().united(self.graphics.geometry())
        ok = self.grab(area).save(path, "PNG")
        messages.notify(f"Chart saved to {path}" if ok else f"Could not write {path}")
        return ok

    def export_csv(self, path: str) -> bool:
        record = self.history()
        keys = list(record)
        try:
            with open(path, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(keys)
                for i in range(max((len(v) for v in record.values()), default=0)):
                    writer.writerow([record[k][i] if i < len(record[k]) else "" for k in keys])
        except OSError as exc:
            messages.show_error(self, f"Could not write {path}: {exc.strerror or exc}.")
            return False
        messages.notify(f"History saved to {path}")
        return True
