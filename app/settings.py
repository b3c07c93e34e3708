"""Persistent settings: recent files, window geometry and dock layout, last folder.

Stored in an INI file in the user's config folder, or in `$LAYERCRAFT_CONFIG_DIR` when set
(tests point it at a temporary folder). The recovery folder lives next to it.
"""

import os

from PySide6.QtCore import QSettings, QStandardPaths

MAX_RECENT = 8


def config_dir() -> str:
    folder = os.environ.get("LAYERCRAFT_CONFIG_DIR") or os.path.join(
        QStandardPaths.writableLocation(QStandardPaths.GenericConfigLocation), "layercraft")
    os.makedirs(folder, exist_ok=True)
    return folder


def recovery_dir() -> str:
    return os.path.join(config_dir(), "recovery")


class Settings:
    """A thin typed wrapper over QSettings."""

    def __init__(self):
        self._qs = QSettings(os.path.join(config_dir(), "layercraft.ini"), QSettings.IniFormat)

    def recent_files(self) -> list[str]:
        value = self._qs.value("recent", [])
        value = [value] if isinstance(value, str) else list(value or [])
        return [p for p in value if os.path.exists(p)]

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        files = [path] + [p for p in self.recent_files() if p != path]
        self._qs.setValue("recent", files[:MAX_RECENT])

    def last_dir(self, kind: str | None = None) -> str:
        """The folder of the last file (of `kind`, e.g. "csv") chosen, so the next file
        dialog starts there; falls back to the general last folder, then home. A folder
        that no longer exists gives its nearest existing parent."""
        folder = self._qs.value(f"last_dir/{kind}") if kind else None
        folder = str(folder or self._qs.value("last_dir") or os.path.expanduser("~"))
        while not os.path.isdir(folder) and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        return folder

    def set_last_dir(self, path: str, kind: str | None = None) -> None:
        """Remembers the folder holding `path` (a file, or a chosen folder: its parent, so
        the dialog shows it next to its siblings) under `kind`, or as the general last
        folder without one (the project dialogs use that)."""
        folder = os.path.dirname(os.path.abspath(path))
        self._qs.setValue(f"last_dir/{kind}" if kind else "last_dir", folder)

    def window_state(self):
        return self._qs.value("geometry"), self._qs.value("state")

    def save_window_state(self, geometry, state) -> None:
        self._qs.setValue("geometry", geometry)
        self._qs.setValue("state", state)
        self._qs.sync()
