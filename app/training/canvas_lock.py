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
NOTE_GAP = 6  # pixels above and below the note, in the band it takes above the canvas


class CanvasLock(QObject):
    """`lock()` / `unlock()` the window's model editing; the note follows the canvas size and
    sits in a band above the canvas's viewport (the blocks move down, none is covered)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.locked = False
        self.note = QLabel(NOTE, window.view)
        self.note.setObjectName("trainingLockNote")
        self.note.setToolTip(NOTE)
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
        w.view.setViewportMargins(0, 0, 0, 0)

    def _place(self):
        """The note on one line (shortened to fit, in full as its tooltip) in a band above
        the canvas's viewport, so it covers no block."""
        view = self.window.view
        room = max(60, view.width() - 16 - self._padding())
        self.note.setText(self.note.fontMetrics().elidedText(NOTE, Qt.ElideRight, room))
        self.note.adjustSize()
        view.setViewportMargins(0, self.note.height() + 2 * NOTE_GAP, 0, 0)
        self.note.move(max(8, (view.width() - self.note.width()) // 2), NOTE_GAP)

    def _padding(self) -> int:
        """Width the note's frame and padding add to its text."""
        return self.note.sizeHint().width() - self.note.fontMetrics().horizontalAdvance(
            self.note.text())

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Resize and not self.note.isHidden():
            self._place()
        return False
