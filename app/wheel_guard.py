"""Combo boxes and spin boxes that take the mouse wheel only when they have focus.

In a scrolling form the wheel is meant for the form: a combo or spin box that happens to
be under the pointer would otherwise change its value and swallow the scroll.

    from .wheel_guard import guard_wheel, guard_wheel_in
    guard_wheel(self.epochs_spin, self.loss_combo)   # these widgets
    guard_wheel_in(form_widget)                       # every combo and spin box inside

A guarded widget gets `Qt.StrongFocus` (a wheel no longer gives it focus; a click or Tab
does) and an event filter that ignores wheel events while it has no focus. Ignored wheel
events go on to the parent, so the scroll area around the form scrolls.
"""

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


class _WheelGuard(QObject):
    def eventFilter(self, watched, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Wheel and not watched.hasFocus():
            # ignored + filtered: the widget never sees it, and QApplication hands an
            # ignored wheel event to the parent widget (the scroll area)
            event.ignore()
            return True
        return False


_GUARD = None


def _guard() -> _WheelGuard:
    global _GUARD  # noqa: PLW0603 - one stateless filter serves every widget
    if _GUARD is None:
        _GUARD = _WheelGuard()
    return _GUARD


def guard_wheel(*widgets: QWidget) -> None:
    """Lets each of `widgets` take the wheel only while it has focus."""
    for widget in widgets:
        widget.setFocusPolicy(Qt.StrongFocus)
        widget.installEventFilter(_guard())


def guard_wheel_in(root: QWidget) -> list[QWidget]:
    """Guards every combo box and spin box inside `root` (created so far); returns them."""
    found = [*root.findChildren(QComboBox), *root.findChildren(QAbstractSpinBox)]
    guard_wheel(*found)
    return found
