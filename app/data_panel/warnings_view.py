"""WarningList: sanity warnings shown as rows the user can dismiss one by one."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget


class WarningList(QWidget):
    """Each warning is a row with a Dismiss button; a dismissed text stays hidden until
    `reset_dismissed()` (a new project)."""

    dismissed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("dataWarnings")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._warnings: list[str] = []
        self._dismissed: set[str] = set()
        self._rows = []

    def set_warnings(self, warnings: list[str]) -> None:
        self._warnings = list(warnings)
        self._rebuild()

    def visible_warnings(self) -> list[str]:
        return [w for w in self._warnings if w not in self._dismissed]

    def dismiss(self, text: str) -> None:
        self._dismissed.add(text)
        self._rebuild()
        self.dismissed.emit(text)

    def reset_dismissed(self) -> None:
        self._dismissed.clear()
        self._rebuild()

    def _rebuild(self):
        for row in self._rows:
            row.setParent(None)
            row.deleteLater()
        self._rows = []
        for text in self.visible_warnings():
            self._rows.append(self._row(text))
            self._layout.addWidget(self._rows[-1])
        self.setVisible(bool(self._rows))

    def _row(self, text):
        frame = QFrame()
        frame.setProperty("role", "card")
        line = QHBoxLayout(frame)
        line.setContentsMargins(8, 4, 4, 4)
        icon = QLabel("⚠")
        icon.setProperty("role", "warning")
        label = QLabel(text, wordWrap=True)
        button = QToolButton(text="Dismiss", objectName="dismissWarningButton")
        button.setToolTip("Hide this warning; training is allowed anyway.")
        button.clicked.connect(lambda: self.dismiss(text))
        line.addWidget(icon)
        line.addWidget(label, 1)
        line.addWidget(button)
        return frame
