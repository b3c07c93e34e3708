"""GUI training against headless `fit()`: same model, data and settings, in one run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui.py [--epochs N] [--tab Charts]
        [--example cnn_digits]

Opens the main window on the built-in example, trains it through the Training panel (the real
worker thread, signals, progress display and live charts) with the chosen bottom tab in view,
then trains the same spec with plain `Model.fit` in this process. Prints both throughputs,
their ratio and the longest event-loop stall seen while the GUI trained, in a run of its own:
the 5 ms timer that records the gaps between its ticks takes the GIL 200 times a second,
which alone cost the timed runs a tenth of their speed.

Two ratios: over whole runs (from the worker's start to its end: model build, the first
epoch, and the window's own work when a run starts and ends, such as repainting the
toolbar and the locked canvas), and sustained (epochs after the first quarter, what a run
of some length spends most of its time in). The examples' epochs last 10-20 ms, so a run
of 40 epochs is under a second and the start-up share is large in the first ratio.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def gui_run(window, app, epochs: int, tab: str, probe: bool = False) -> tuple:
    """Trains from the panel; returns (samples/s, sustained samples/s, longest stall in ms
    or None, the job). `probe`: time the event loop's stalls (which slows the run: see the
    module's doc)."""
    from PySide6.QtCore import QEventLoop, QTimer

    controller, panel = window.training_controller, window.training_panel
    window.bottom_tabs.setCurrentWidget(window.tab_pages[tab])
    panel.form.epochs.setValue(epochs)
    jobs, marks, loop = [], [], QEventLoop()
    panel.job_started.connect(jobs.append)
    controller.epoch_ended.connect(
        lambda epoch, logs: marks.append((logs["elapsed"], epoch + 1)))
    controller.stopped.connect(lambda run_id, reason: loop.quit())
    controller.failed.connect(lambda message, details: (print(details), loop.quit()))
    ticks, stall = [time.perf_counter()], [0.0]

    def tick():
        now = time.perf_counter()
        stall[0] = max(stall[0], now - ticks[0])
        ticks[0] = now

    timer = QTimer(interval=5, timeout=tick)
    if probe:
        timer.start()
    if panel.train() is None:
        raise SystemExit("training did not start: " + panel.status.text())
    loop.exec()
    timer.stop()
    while controller.is_running():  # the worker thread winds down after `stopped`
        app.processEvents()
    summary = controller.last_summary
    job = jobs[-1]
    samples = len(job.data.x_train) * epochs
    return (samples / summary["duration"], sustained(marks, len(job.data.x_train)),
            stall[0] * 1000 if probe else None, job)


def sustained(marks, samples_per_epoch: int) -> float:
    """Samples/s from the end of the first quarter of the epochs to the last one, from
    `(seconds, epochs done)` at each epoch's end."""
    (t0, n0), (t1, n1) = marks[len(marks) // 4], marks[-1]
    return (n1 - n0) * samples_per_epoch / (t1 - t0)


def headless_run(job, epochs: int) -> tuple:
    """The worker's own steps (build, compile, fit) without Qt in the way: (samples/s,
    sustained samples/s)."""
    from engine import Model, callbacks

    started = time.monotonic()
    marks = []
    clock = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: marks.append(
        (time.monotonic() - started, epoch + 1)))
    model = Model.from_spec(job.spec)
    model.compile(**job.compile_kwargs())
    data = job.data
    kwargs = {}
    if getattr(data, "x_val", None) is not None:
        kwargs["validation_data"] = (data.x_val, data.y_val)
    model.fit(data.x_train, data.y_train, batch_size=int(job.settings["batch_size"]),
              epochs=epochs, verbose=0, shuffle=bool(job.settings.get("shuffle", True)),
              seed=job.settings.get("seed"), callbacks=[clock], **kwargs)
    return (len(data.x_train) * epochs / (time.monotonic() - started),
            sustained(marks, len(data.x_train)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tab", default="Training", help="bottom tab in view while training")
    parser.add_argument("--example", help="built-in example to open (default: the app's own)")
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    from app import theme
    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)
    window = MainWindow(restore=False)
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    if args.example and not window.project.open_example(args.example):
        raise SystemExit(f"no example called {args.example!r}")
    first_stall = gui_run(window, app, args.epochs, args.tab, probe=True)[2]
    gui, headless = [], []
    for _ in range(args.repeats):
        *rates, _, job = gui_run(window, app, args.epochs, args.tab)
        gui.append(rates)
        headless.append(headless_run(job, args.epochs))
    later_stall = gui_run(window, app, args.epochs, args.tab, probe=True)[2]
    print(f"model: {job.spec.get('name')}, {len(job.data.x_train)} training samples, "
          f"batch {job.settings['batch_size']}, {args.epochs} epochs, tab '{args.tab}' in view, "
          f"median of {args.repeats} runs")
    print(f"{'samples/s':10s} {'whole run':>12s} {'sustained':>12s}")
    columns = [[statistics.median(r[i] for r in rows) for i in (0, 1)]
               for rows in (gui, headless)]
    for name, (whole, later) in zip(("GUI", "headless"), columns):
        print(f"{name:10s} {whole:12,.0f} {later:12,.0f}")
    print(f"{'ratio':10s} {columns[0][0] / columns[1][0]:12.2f} "
          f"{columns[0][1] / columns[1][1]:12.2f}")
    print(f"longest event-loop stall {first_stall:.0f} ms in the first run (it builds the "
          f"charts), {later_stall:.0f} ms in a later one (separate, untimed runs)")
    window.training_controller.shutdown(10_000)
    window.document.mark_saved()
    window.close()


if __name__ == "__main__":
    main()
