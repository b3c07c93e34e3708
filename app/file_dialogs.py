"""File dialogs that start in the folder last used for the same kind of file.

    from .file_dialogs import open_file, open_folder, save_file
    path = open_file(self, "Import CSV file", "csv", "CSV files (*.csv);;All files (*)")

`kind` names what is chosen ("csv", "image_folder", "checkpoint", "chart"...); each kind
remembers its own folder in the app's settings, so importing data does not move the
folder the checkpoint dialog opens in. Each function returns "" when the user cancels.
"""

import os

from PySide6.QtWidgets import QFileDialog

from .settings import Settings


def open_file(parent, caption: str, kind: str, filters: str = "") -> str:
    """Asks for an existing file, starting in `kind`'s last folder."""
    path, _ = QFileDialog.getOpenFileName(parent, caption, Settings().last_dir(kind), filters)
    return _remembered(path, kind)


def open_folder(parent, caption: str, kind: str) -> str:
    """Asks for an existing folder, starting where the last folder of `kind` was."""
    path = QFileDialog.getExistingDirectory(parent, caption, Settings().last_dir(kind))
    return _remembered(path, kind)


def save_file(parent, caption: str, kind: str, name: str, filters: str = "") -> str:
    """Asks where to save, offering `name` in `kind`'s last folder."""
    start = os.path.join(Settings().last_dir(kind), name)
    path, _ = QFileDialog.getSaveFileName(parent, caption, start, filters)
    return _remembered(path, kind)


def _remembered(path: str, kind: str) -> str:
    if path:
        Settings().set_last_dir(path, kind)
    return path
