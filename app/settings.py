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

    def last_dir(self) -> str:
        return str(self._qs.value("last_dir", os.path.expanduser("~")))

    def set_last_dir(self, path: str) -> None:
        self._qs.setValue("last_dir", os.path.dirname(os.path.abspath(path)))

    def window_state(self):
        return self._qs.value("geometry"), self._qs.value("state")

    def save_window_state(self, geometry, state) -> None:
        self._qs.setValue("geometry", geometry)
        self._qs.setValue("state", state)
        self._qs.sync()
