"""Autosave to a recovery file, and recovery after a crash.

While the project has unsaved changes, a recovery copy is written every minute and shortly
after each burst of edits. A clean exit (or a save) deletes it; a file left behind by a
process that is no longer running is offered for restoration at the next start.
"""

import json
import os

from PySide6.QtCore import QObject, QTimer

from . import project_io

PERIOD_MS = 60_000
BURST_MS = 2_000
PREFIX = "recovery-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def find_recoveries(directory) -> list[str]:
    """Recovery files left by processes that ended without cleaning up, newest first."""
    if not directory or not os.path.isdir(directory):
        return []
    found = []
    for entry in os.listdir(directory):
        if not (entry.startswith(PREFIX) and entry.endswith(project_io.SUFFIX)):
            continue
        try:
            pid = int(entry[len(PREFIX):-len(project_io.SUFFIX)])
        except ValueError:
            continue
        if not _pid_alive(pid):
            found.append(os.path.join(directory, entry))
    return sorted(found, key=os.path.getmtime, reverse=True)


def read_recovery(path) -> tuple[project_io.Project, str | None]:
    """The recovered project and the file it was a copy of (None for an unsaved project)."""
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    original = raw.pop("recovered_from", None) if isinstance(raw, dict) else None
    return project_io.from_json(raw, "the recovery file"), original


class Autosaver(QObject):
    """Writes `document` to `directory/recovery-<pid>.lcproj` while it has unsaved changes."""

    def __init__(self, document, directory, path_of=lambda: None, parent=None):
        super().__init__(parent)
        self.document = document
        self.directory = directory
        self._path_of = path_of  # callable: the project's own file, for the restore prompt
        self.path = os.path.join(directory, f"{PREFIX}{os.getpid()}{project_io.SUFFIX}")
        self._period = QTimer(self, interval=PERIOD_MS, timeout=self.write_if_modified)
        self._burst = QTimer(self, interval=BURST_MS, singleShot=True,
                             timeout=self.write_if_modified)
        for signal in (document.analysis_changed, document.node_moved, document.compile_changed,
                       document.project_changed):
            signal.connect(self._on_edit)
        self._period.start()

    def _on_edit(self, *args) -> None:
        self._burst.start()

    def write_if_modified(self) -> bool:
        if not self.document.is_modified():
            return False
        self.write_now()
        return True

    def write_now(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        data = project_io.from_document(self.document).to_json()
        data["recovered_from"] = self._path_of()
        project_io.write_json_atomic(self.path, data)

    def discard(self) -> None:
        """Deletes this session's recovery file (after a save or a clean exit)."""
        self._burst.stop()
        if os.path.exists(self.path):
            os.unlink(self.path)

    def stop(self) -> None:
        self._period.stop()
        self._burst.stop()
