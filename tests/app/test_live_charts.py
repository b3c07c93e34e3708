"""LiveCharts while training: plots are built in small steps, and drawing paces itself by
everything it costs the GUI thread (training shares the cores with it)."""

import math

from PySide6.QtGui import QImage
import pytest

from app.training import charts as charts_module
from app.training.charts import LiveCharts


@pytest.fixture
def charts(qtbot):
    widget = LiveCharts()
    qtbot.addWidget(widget)
    widget.resize(900, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def feed_first_epoch(charts):
    charts.add_batch(0, {"loss": 2.0, "accuracy": 0.1, "batch": 0, "position": 0.5})
    charts.add_epoch(0, {"loss": 1.5, "accuracy": 0.3, "val_loss": 1.7, "learning_rate": 1e-3})


def test_that_live_data_builds_its_plots_one_step_per_timer_tick(charts):
    feed_first_epoch(charts)
    assert charts.plots == {}  # the signal handlers themselves build nothing
    steps = 0
    while len(charts.plots) < 3:
        charts._redraw()
        steps += 1
        assert steps <= 6  # two steps per plot: build it, then place it in the row
    assert list(charts.plots) == ["loss", "accuracy", "learning_rate"]
    while charts.dirty:
        charts._redraw()
    assert list(charts.plots["loss"].train_curve.xData) == [1]
    assert list(charts.plots["loss"].val_curve.yData) == [1.7]
    assert len(charts.plots["accuracy"].batch_curve.xData) == 1


def test_that_a_loaded_run_shows_all_its_plots_at_once(charts):
    charts.load_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.8], "mae": [0.4, 0.3]})
    assert set(charts.plots) == {"loss", "mae"}


def test_that_an_exported_png_holds_plots_that_were_still_waiting(charts, tmp_path):
    feed_first_epoch(charts)
    assert charts.export_png(str(tmp_path / "chart.png"))
    assert len(charts.plots) == 3 and (tmp_path / "chart.png").stat().st_size > 1000
    image = QImage(str(tmp_path / "chart.png"))
    assert image.height() >= charts.graphics.height() + charts.legend.height()  # the legend too


def test_that_paints_after_a_redraw_count_toward_the_drawing_budget(charts):
    charts._training = True  # as between the controller's started and stopped signals
    feed_first_epoch(charts)
    charts._build_missing_plots()
    charts._redraw()
    charts.add_epoch(1, {"loss": 1.0})
    charts.graphics.painted_s += 0.020  # Qt painted linked axes for 20 ms since
    charts._redraw()
    # 20 ms is at most DRAW_SHARE of the time: the next redraw waits 20 / 0.025 = 800 ms
    assert charts.timer.interval() >= 20 / charts_module.DRAW_SHARE


def test_that_hidden_charts_build_nothing_until_shown(charts, qtbot):
    charts.hide()
    feed_first_epoch(charts)
    for _ in range(6):
        charts._redraw()
    assert charts.plots == {}
    charts.show()
    qtbot.waitUntil(lambda: len(charts.plots) == 3 and not charts.dirty, timeout=5000)


def test_that_a_plot_changing_every_tick_does_not_starve_the_others(charts):
    feed_first_epoch(charts)
    charts._build_missing_plots()
    drawn = []
    original = charts._update_curves
    charts._update_curves = lambda keys=None: (drawn.extend(keys or []), original(keys))
    for step in range(6):
        charts.add_batch(0, {"loss": 1.0 - step / 10, "position": 0.6 + step / 10})
        charts._redraw()
    assert {"loss", "accuracy", "learning_rate"} <= set(drawn[:3])


def test_that_a_plot_built_before_a_setting_changed_gets_it_when_placed(charts):
    charts.add_batch(0, {"loss": 2.0, "accuracy": 0.1, "position": 0.5})
    charts._redraw()  # builds loss
    charts._redraw()  # places loss
    charts._redraw()  # builds accuracy, not placed yet
    charts.log_check.setChecked(True)
    charts._build_missing_plots()
    assert all(plot.item.ctrl.logYCheck.isChecked() for plot in charts.plots.values())
    view = charts.plots["loss"].item.getViewBox()
    assert charts.plots["accuracy"].item.getViewBox().linkedView(view.XAxis) is view


def test_that_drawing_is_paced_only_while_a_run_trains(charts):
    charts._training = True
    feed_first_epoch(charts)
    charts._build_missing_plots()
    charts.graphics.painted_s += 0.040
    charts._redraw()
    assert charts.timer.interval() >= 800
    charts._on_stopped(1, "finished")  # the run ended: the final curves come at full speed
    assert charts.timer.interval() == charts_module.REDRAW_MS and charts.dirty
    charts.graphics.painted_s += 0.040
    charts._redraw()
    assert charts.timer.interval() <= charts_module.REDRAW_MS


def test_that_one_legend_above_the_plots_explains_the_colours(charts):
    feed_first_epoch(charts)
    charts._build_missing_plots()
    assert "train (per batch)" in charts.legend.text() and "validation" in charts.legend.text()
    assert all(plot.item.legend is None for plot in charts.plots.values())


# ----- checkpoint and best-epoch marks ---------------------------------------------------------
def feed_a_run_that_overfits(charts):
    """Eight epochs; val_loss is lowest at epoch 5 (index 4) while accuracy keeps rising."""
    val_loss = [1.7, 1.2, 0.9, 0.75, 0.7, 0.72, 0.76, 0.8]
    for e in range(8):
        charts.add_epoch(e, {"loss": 1.9 / (1 + e), "accuracy": 0.3 + 0.07 * e,
                             "val_loss": val_loss[e], "val_accuracy": 0.32 + 0.07 * e})
    charts._build_missing_plots()


def draw_all(charts):
    charts._update_curves()


def test_that_the_legend_explains_the_checkpoint_triangles_and_the_best_line(charts):
    feed_a_run_that_overfits(charts)
    assert "checkpoint" not in charts.legend.text() and "best" not in charts.legend.text()
    charts.mark_checkpoint(2)
    assert "&#9650;</span> checkpoint saved" in charts.legend.text()  # ▲, as drawn
    charts._on_run_finished(1, {"reason": "early_stopping", "best_epoch": 4,
                                "monitor": "val_loss"})
    assert "best epoch (val_loss)" in charts.legend.text()
    charts.clear()
    assert "checkpoint" not in charts.legend.text() and "best" not in charts.legend.text()


def test_that_the_best_label_sits_on_the_monitored_curve_and_nowhere_else(charts):
    feed_a_run_that_overfits(charts)
    charts._on_run_finished(1, {"reason": "early_stopping", "best_epoch": 4,
                                "monitor": "val_loss"})
    draw_all(charts)
    loss, accuracy = charts.plots["loss"], charts.plots["accuracy"]
    assert loss.best_label.isVisible() and loss.best_label.toPlainText() == "best"
    assert (loss.best_label.pos().x(), loss.best_label.pos().y()) == (5, 0.7)
    assert list(loss.best_point.getData()[1]) == [0.7]
    assert loss.best_label.anchor.y() > 1  # above: the train loss (0.38) runs below it
    assert not accuracy.best_label.isVisible() and accuracy.best_line.isVisible()
    assert accuracy.best_line.value() == 5
    assert getattr(accuracy.best_line, "label", None) is None  # the line carries no text
    assert len(accuracy.best_point.getData()[0] or []) == 0


def test_that_a_best_accuracy_is_labelled_on_the_accuracy_plot_below_a_higher_curve(charts):
    feed_a_run_that_overfits(charts)
    charts.mark_best(6, "accuracy")  # train accuracy 0.72, validation 0.74 above it
    draw_all(charts)
    label = charts.plots["accuracy"].best_label
    assert label.isVisible() and label.anchor.y() < 0  # below: clear of the val curve
    assert not charts.plots["loss"].best_label.isVisible()


def test_that_the_best_label_follows_the_log_scale(charts):
    feed_a_run_that_overfits(charts)
    charts.mark_best(4, "val_loss")
    charts.log_check.setChecked(True)
    draw_all(charts)
    assert charts.plots["loss"].best_label.pos().y() == pytest.approx(math.log10(0.7))


def test_that_the_redraw_timer_runs_only_while_something_waits_to_be_drawn(charts, qtbot):
    """An idle window, or charts out of view, wake nothing (every wake takes the GIL from a
    training thread, and keeps a laptop's CPU awake)."""
    feed_first_epoch(charts)
    assert charts.timer.isActive()
    qtbot.waitUntil(lambda: not charts.timer.isActive(), timeout=5000)
    assert not charts.dirty and len(charts.plots) == 3  # drawn, then stopped
    charts.hide()
    charts.add_epoch(1, {"loss": 1.0})
    assert not charts.timer.isActive()  # out of view
    assert charts.dirty  # kept for when the charts come back
    charts.show()
    qtbot.waitUntil(lambda: not charts.timer.isActive(), timeout=5000)
    assert not charts.dirty and len(charts.plots["loss"].train_curve.xData) == 2
