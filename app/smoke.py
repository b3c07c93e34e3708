"""`python -m app --smoke --screenshot PATH`: the CI check of the whole app.

Opens the main window on the built-in example, trains one short epoch through the real
worker thread, saves a screenshot of the window after training and returns 0; any failure
(an error, a run that does not finish, a screenshot not written) returns 1.
"""

import sys
import time

TIMEOUT_S = 120


def run_smoke(screenshot_path: str | None = None) -> int:
    """Runs the smoke check; returns the process exit code."""
    from PySide6.QtCore import QEventLoop, QTimer  # noqa: PLC0415
    from PySide6.QtWidgets import QApplication  # noqa: PLC0415

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from . import theme  # noqa: PLC0415
    from .main_window import MainWindow  # noqa: PLC0415

    theme.apply(app)
    started = time.perf_counter()
    window = MainWindow(restore=False)
    controller = window.training_controller
    window.show()
    app.processEvents()
    outcome = {}
    loop = QEventLoop()

    def finished(run_id, reason):
        outcome["reason"] = reason
        loop.quit()

    def failed(message, details):
        outcome["error"] = message
        print(details, file=sys.stderr)

    controller.stopped.connect(finished)
    controller.failed.connect(failed)
    window.training_panel.form.epochs.setValue(1)
    if window.training_panel.train() is None:
        print("smoke: training did not start: " + window.training_panel.status.text(),
              file=sys.stderr)
        return _close(window, 1)
    QTimer.singleShot(TIMEOUT_S * 1000, loop.quit)
    loop.exec()
    if outcome.get("reason") != "finished":
        print(f"smoke: training ended with {outcome or 'a timeout'}", file=sys.stderr)
        return _close(window, 1)
    code = 0
    if screenshot_path:
        window.bottom_tabs.setCurrentWidget(window.tab_pages["Charts"])
        for _ in range(5):  # let the charts' redraw timer and layouts settle
            app.processEvents()
            time.sleep(0.07)
        if not window.grab().save(screenshot_path, "PNG"):
            print(f"smoke: could not write {screenshot_path}", file=sys.stderr)
            code = 1
    print(f"LayerCraft smoke run: trained 1 epoch in {time.perf_counter() - started:.2f} s "
          f"(final loss {controller.last_summary['history']['history']['loss'][-1]:.4f})")
    return _close(window, code)


def _close(window, code: int) -> int:
    window.training_controller.shutdown(10_000)
    window.document.mark_saved()
    window.close()
    return code
