"""Makes the model read-only while a run trains, with a visible note on the canvas.

The builder has no read-only switch, so this uses its public widgets: the canvas stops
taking mouse edits and drops, the palette and property editor are disabled, and the editing
actions (undo, redo, cut, paste, delete, auto-layout, compile) are turned off.
"""

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel

EDIT_ACTIONS = ("undo", "redo", "cut", "paste", "delete", "auto_layout", "compile", "new",
                "open")
NOTE = "Training in progress — the model is read-only until the run ends."


class CanvasLock(QObject):
    """`lock()` / `unlock()` the window's model editing; the note follows the canvas size."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.locked = False
        self.note = QLabel(NOTE, window.view)
        self.note.setObjectName("trainingLockNote")
        self.note.setAlignment(Qt.AlignCenter)
        self.note.setStyleSheet(
            "QLabel#trainingLockNote { background: rgba(37, 99, 235, 230); color: white; "
            "border-radius: 6px; padding: 6px 14px; font-weight: 600; }")
        self.note.hide()
        window.view.installEventFilter(self)

    def set_locked(self, locked: bool) -> None:
        if locked:
            self.lock()
        else:
            self.unlock()

    def lock(self, *args) -> None:
        if self.locked:
            return
        self.locked = True
        w = self.window
        w.view.setInteractive(False)
        w.view.setAcceptDrops(False)
        for widget in (w.palette, w.property_editor):
            widget.setEnabled(False)
        for name in EDIT_ACTIONS:
            if name in w.actions:
                w.actions[name].setEnabled(False)
        self.note.adjustSize()
        self._place()
        self.note.show()
        self.note.raise_()

    def unlock(self, *args) -> None:
        if not self.locked:
            return
        self.locked = False
        w = self.window
        w.view.setInteractive(True)
        w.view.setAcceptDrops(True)
        for widget in (w.palette, w.property_editor):
            widget.setEnabled(True)
        for name in EDIT_ACTIONS:
            if name in w.actions:
                w.actions[name].setEnabled(True)
        w.actions["undo"].setEnabled(w.document.undo_stack.canUndo())
        w.actions["redo"].setEnabled(w.document.undo_stack.canRedo())
        self.note.hide()

    def _place(self):
        view = self.window.view
        self.note.setWordWrap(self.note.sizeHint().width() > view.width() - 16)
        self.note.setMaximumWidth(max(120, view.width() - 16))
        self.note.adjustSize()
        self.note.move(max(8, (view.width() - self.note.width()) // 2), 10)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Resize and not self.note.isHidden():
            self._place()
        return False
