"""User-facing errors and notices; an excepthook so nothing unexpected is lost.

Engine errors (`LayerCraftError`) carry messages written for people: they are shown first,
with the traceback behind "Show Details…". Anything else is logged to stderr and shown as
an unexpected error. Exceptions from other threads are forwarded to the GUI thread.
"""

import logging
import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.errors import LayerCraftError

log = logging.getLogger("layercraft")
_state = {"dialogs": [], "status": None, "bridge": None}


def user_message(exc: BaseException) -> str:
    """The sentence to show: the engine's own message, or a plain account of a bug."""
    if isinstance(exc, LayerCraftError) or type(exc).__name__ == "ProjectError":
        return str(exc)
    return (f"Something unexpected went wrong ({type(exc).__name__}: {exc}). Your work is "
            "kept in the recovery file; the details below help to report the problem.")


def show_error(parent, message: str, details: str = "", title: str = "LayerCraft") -> QMessageBox:
    """A non-blocking error box with the message first and the details on demand."""
    box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, parent)
    box.setObjectName("errorDialog")
    box.setTextInteractionFlags(Qt.TextSelectableByMouse)
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WA_DeleteOnClose)
    _state["dialogs"].append(box)
    box.finished.connect(lambda *_: _state["dialogs"].remove(box) if box in _state["dialogs"]
                         else None)
    box.open()
    return box


def open_dialogs() -> list:
    """Error boxes currently shown (tests read them)."""
    return list(_state["dialogs"])


def set_status_callback(callback, owner=None) -> None:
    """Where `notify` sends soft messages (the main window's status bar). With an `owner`
    (a QObject), the callback is dropped when the owner is destroyed, so a closed window's
    status bar is never called."""
    _state["status"] = callback
    if owner is not None:
        owner.destroyed.connect(lambda *_: _forget_status(callback))


def _forget_status(callback) -> None:
    if _state["status"] is callback:
        _state["status"] = None


def notify(text: str, timeout_ms: int = 6000) -> None:
    callback = _state["status"]
    if callback is not None:
        callback(text, timeout_ms)
    else:
        log.info(text)


def report_exception(exc_type, exc, tb) -> None:
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("Unhandled exception:\n%s", details)
    app = QApplication.instance()
    if app is None:
        return
    show_error(app.activeWindow(), user_message(exc), details)


class _Bridge(QObject):
    """Carries exceptions from worker threads to the GUI thread (queued signal)."""

    raised = Signal(object, object, object)

    @Slot(object, object, object)
    def show(self, exc_type, exc, tb):
        report_exception(exc_type, exc, tb)


def install_excepthook() -> None:
    """Routes uncaught exceptions (GUI and other threads) to `report_exception`."""
    bridge = _Bridge()
    bridge.raised.connect(bridge.show, Qt.QueuedConnection)
    _state["bridge"] = bridge
    sys.excepthook = report_exception

    def thread_hook(args):
        if args.exc_type is SystemExit:
            return
        bridge.raised.emit(args.exc_type, args.exc_value, args.exc_traceback)

    threading.excepthook = thread_hook
