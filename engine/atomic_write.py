"""Atomic file writes, and the clean-up of temporary files that a killed save left behind.

`write_bytes_atomically` writes to a temporary file beside the target and renames it over the
target, so the target always holds the old or the new content. While it writes, it holds an
exclusive `flock` on the temporary file. A process killed mid-write (SIGKILL, power loss)
leaves its temporary file behind, but its lock dies with it; every later save sweeps the
folder and removes such orphans: only files of our own naming, only unlocked ones, and only
ones at least `MIN_ORPHAN_AGE_S` old (the instant between creating a temporary file and
locking it). Where `flock` does not exist, orphans must be `FALLBACK_ORPHAN_AGE_S` old.
"""

import os
import re
import tempfile
import time

try:
    import fcntl
except ImportError:  # Windows: no flock; orphans are recognised by age alone
    fcntl = None

from .errors import CheckpointError

#: Every temporary file we write is `.<target name>.lcsave-<random>.tmp`.
TEMP_TAG = ".lcsave-"
_OURS = re.compile(r"^\..*lcsave-[A-Za-z0-9_]+\.tmp$")
MIN_ORPHAN_AGE_S = 1.0
FALLBACK_ORPHAN_AGE_S = 3600.0


def write_bytes_atomically(path, data: bytes, *, error_class=CheckpointError,
                           what: str = "checkpoint") -> None:
    """Writes `data` to `path` so that `path` always holds either the old or the new file.

    The bytes go to a locked temporary file in the same folder, which is flushed, fsynced,
    given the mode of the file it replaces (0o644 for a new one) and renamed over `path`
    (atomic on one file system). On any failure the temporary file is removed and `path` is
    untouched. Orphaned temporary files of earlier, killed saves in that folder are removed.

    Raises:
        error_class: when the folder cannot be written (missing, read-only, disk full); the
            message names the `what` ("checkpoint", "project"...).
        Other exceptions raised during the write propagate unchanged, after the cleanup.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    remove_orphaned_temps(folder)
    mode = _mode_for(path)
    try:
        handle, temp = tempfile.mkstemp(dir=folder, suffix=".tmp",
                                        prefix=f".{os.path.basename(path)}{TEMP_TAG}")
    except OSError as exc:
        raise error_class(_write_failure(path, exc, what)) from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            _lock(stream.fileno(), blocking=True)  # held until closed, after the rename
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
            os.chmod(temp, mode)
            os.replace(temp, path)
    except BaseException as exc:
        _remove_quietly(temp)
        if isinstance(exc, OSError):
            raise error_class(_write_failure(path, exc, what)) from exc
        raise
    _sync_folder(folder)


def remove_orphaned_temps(folder, now: float | None = None) -> list[str]:
    """Removes the temporary files of killed saves in `folder`; returns their names.

    Only names of our own pattern are touched (checkpoints' `.<name>.lcsave-*.tmp` and older
    projects' `.lcsave-*.tmp`), never a link, a folder or a file another save still holds.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time() if now is None else now
    for entry in entries:
        if _OURS.match(entry.name) and _remove_if_orphan(entry, now):
            removed.append(entry.name)
    return removed


def _remove_if_orphan(entry, now: float) -> bool:
    """Removes `entry` when no living writer holds it; True when it was removed."""
    try:
        if not entry.is_file(follow_symlinks=False):
            return False
        age = now - entry.stat(follow_symlinks=False).st_mtime
        if age < (MIN_ORPHAN_AGE_S if fcntl else FALLBACK_ORPHAN_AGE_S):
            return False
        if fcntl is None:
            os.remove(entry.path)
            return True
        fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if not _lock(fd, blocking=False):
            return False  # a living save holds it
        os.remove(entry.path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _lock(fd: int, blocking: bool) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def _mode_for(path: str) -> int:
    """Keeps the permissions of the file being replaced; a new file gets the usual mode
    (0o666 less the umask), not mkstemp's private 0o600."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def _write_failure(path, exc, what: str) -> str:
    return (f"Could not write the {what} '{path}': {exc.strerror or exc}. Check that the "
            "folder exists, that you may write there and that the disk has free space. "
            "The previous file is unchanged.")


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    """Makes the rename itself durable where the platform allows (POSIX)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
