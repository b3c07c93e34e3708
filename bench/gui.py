"""GUI training against headless `fit()`: same model, data and settings, in one run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui.py [--epochs N] [--tab Charts]
        [--example cnn_digits]

Opens the main window on the built-in example, trains it through the Training panel (the real
worker thread, signals, progress display and live charts) with the chosen bottom tab in view,
then trains the same spec with plain `Model.fit` in this process. Prints both throughputs,
their ratio and the longest event-loop stall seen while the GUI trained, in a run of its own:
the 5 ms timer that records the gaps between its ticks takes the GIL 200 times a second,
which alone cost the timed runs a tenth of their speed.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def gui_run(window, app, epochs: int, tab: str, probe: bool = False) -> tuple:
    """Trains from the panel; returns (samples/s, longest stall in ms or None, the job).
    `probe`: time the event loop's stalls (which slows the run: see the module's doc)."""
    from PySide6.QtCore import QEventLoop, QTimer

    controller, panel = window.training_controller, window.training_panel
    window.bottom_tabs.setCurrentWidget(window.tab_pages[tab])
    panel.form.epochs.setValue(epochs)
    jobs, summary, loop = [], {}, QEventLoop()
    panel.job_started.connect(jobs.append)
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
    return samples / summary["duration"], stall[0] * 1000 if probe else None, job


def headless_run(job, epochs: int) -> float:
    """The worker's own steps (build, compile, fit) without Qt in the way."""
    from engine import Model

    started = time.monotonic()
    model = Model.from_spec(job.spec)
    model.compile(**job.compile_kwargs())
    data = job.data
    kwargs = {}
    if getattr(data, "x_val", None) is not None:
        kwargs["validation_data"] = (data.x_val, data.y_val)
    model.fit(data.x_train, data.y_train, batch_size=int(job.settings["batch_size"]),
              epochs=epochs, verbose=0, shuffle=bool(job.settings.get("shuffle", True)),
              seed=job.settings.get("seed"), **kwargs)
    return len(data.x_train) * epochs / (time.monotonic() - started)


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
    first_stall = gui_run(window, app, args.epochs, args.tab, probe=True)[1]
    gui, headless = [], []
    for _ in range(args.repeats):
        rate, _, job = gui_run(window, app, args.epochs, args.tab)
        gui.append(rate)
        headless.append(headless_run(job, args.epochs))
    later_stall = gui_run(window, app, args.epochs, args.tab, probe=True)[1]
    print(f"model: {job.spec.get('name')}, {len(job.data.x_train)} training samples, "
          f"batch {job.settings['batch_size']}, {args.epochs} epochs, tab '{args.tab}' in view")
    print(f"GUI      {statistics.median(gui):10,.0f} samples/s")
    print(f"headless {statistics.median(headless):10,.0f} samples/s")
    print(f"ratio    {statistics.median(gui) / statistics.median(headless):10.2f}")
    print(f"longest event-loop stall {first_stall:.0f} ms in the first run (it builds the "
          f"charts), {later_stall:.0f} ms in a later one (separate, untimed runs)")
    window.training_controller.shutdown(10_000)
    window.document.mark_saved()
    window.close()


if __name__ == "__main__":
    main()
