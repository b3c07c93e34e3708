"""Question: a yes/no/discard dialog whose buttons sit in one fixed order on every platform.

QMessageBox orders its buttons by role and platform, so a destructive button can land where
the previous dialog's confirming button was: a quick second click then discards work (seen
when "Stop training?" was followed by "Save changes?"). Here the confirming button is always
at the right edge and the default, cancel sits beside it, and a destructive choice sits
alone at the left edge, left of the dialog's centre: never under a confirm click.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QStyle, QVBoxLayout

MIN_WIDTH = 480  # every question the same width, so confirm buttons line up between them
CONFIRM, CANCEL, DESTRUCTIVE = "confirm", "cancel", "destructive"


class Question(QDialog):
    """A modal question; `answer` is CONFIRM, CANCEL or DESTRUCTIVE once it is closed.

    Args:
        parent: The window it is centred on.
        title: The window title.
        text: The question, one short sentence.
        confirm: Text of the safe, default choice (right edge; Enter picks it).
        cancel: Text of a choice that changes nothing, if any (Escape always cancels).
        destructive: Text of a choice that throws something away (left edge), if any.
        detail: A second paragraph in smaller type. Defaults to none.
    """

    def __init__(self, parent, title: str, text: str, confirm: str, cancel: str | None,
                 destructive: str | None = None, detail: str = ""):
        super().__init__(parent)
        self.setObjectName("questionDialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(MIN_WIDTH)
        self.answer = CANCEL
        self.buttons = {}
        layout = QVBoxLayout(self)
        layout.addLayout(self._message_row(text, detail))
        layout.addSpacing(8)
        layout.addLayout(self._button_row(confirm, cancel, destructive))

    def _message_row(self, text: str, detail: str) -> QHBoxLayout:
        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PM_MessageBoxIconSize)
        icon.setPixmap(self.style().standardIcon(QStyle.SP_MessageBoxQuestion).pixmap(size))
        icon.setAlignment(Qt.AlignTop)
        column = QVBoxLayout()
        main = QLabel(text, objectName="questionText", wordWrap=True)
        main.setProperty("role", "title")
        column.addWidget(main)
        if detail:
            column.addWidget(QLabel(detail, objectName="questionDetail", wordWrap=True))
        column.addStretch(1)  # text stays together at the top beside a taller icon
        row = QHBoxLayout()
        row.addWidget(icon)
        row.addLayout(column, 1)
        return row

    def _button_row(self, confirm: str, cancel: str | None,
                    destructive: str | None) -> QHBoxLayout:
        row = QHBoxLayout()
        if destructive:
            row.addWidget(self._button(DESTRUCTIVE, destructive))
        row.addStretch(1)
        if cancel:
            row.addWidget(self._button(CANCEL, cancel))
        default = self._button(CONFIRM, confirm)
        default.setDefault(True)
        default.setFocus()
        row.addWidget(default)
        return row

    def _button(self, answer: str, text: str) -> QPushButton:
        button = QPushButton(text, objectName=f"{answer}Button")
        button.setAutoDefault(False)  # Enter always means the confirming button
        button.clicked.connect(lambda: self.choose(answer))
        self.buttons[answer] = button
        return button

    def choose(self, answer: str) -> None:
        """Closes the dialog with `answer` (what a click on that button does)."""
        self.answer = answer
        self.done(QDialog.Accepted if answer != CANCEL else QDialog.Rejected)

    def reject(self) -> None:  # Escape and the title bar's close button: change nothing
        self.answer = CANCEL
        super().reject()


def ask(parent, title: str, text: str, confirm: str, cancel: str | None,
        destructive: str | None = None, detail: str = "") -> str:
    """Shows a `Question` modally and returns its answer (CONFIRM, CANCEL or DESTRUCTIVE)."""
    return answer_of(Question(parent, title, text, confirm, cancel, destructive, detail))


def answer_of(dialog: Question) -> str:
    """Shows `dialog` modally, disposes of it and returns its answer."""
    dialog.exec()
    answer = dialog.answer
    dialog.deleteLater()
    return answer
