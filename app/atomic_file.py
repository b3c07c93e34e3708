"""Atomic text writes for project files, keeping the file's mode, and the sweep of
temporary files that a killed save left behind (no Qt).

A save writes `.lcsave-<random>.tmp` beside the target, flushes and fsyncs it, gives it the
target's permissions (a new file gets the usual mode: 0o666 less the umask) and renames it
over the target. The temporary file is `flock`ed while it is written (the convention of
`engine/atomic_write.py`, whose sweep then leaves it alone). A process killed mid-write
leaves its temporary file; the next save into that folder removes such files: only names
of our own pattern, only ones older than `STALE_AFTER_S` (a save takes milliseconds, so a
concurrent one is never hit), and only ones no living writer holds.
"""

import os
import re
import tempfile
import time

try:
    import fcntl
except ImportError:  # Windows: no flock; the age alone tells an orphan
    fcntl = None

TEMP_PREFIX, TEMP_SUFFIX = ".lcsave-", ".tmp"
_OURS = re.compile(r"^\.lcsave-[A-Za-z0-9_]+\.tmp$")
STALE_AFTER_S = 3600.0


def write_text_atomic(path: str, text: str) -> None:
    """Replaces `path` by `text` (UTF-8) in one step; the old file stays on any failure.

    Raises:
        OSError: when the folder cannot be written; the temporary file is removed.
    """
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temps(folder)
    mode = mode_for(path)
    handle, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            _lock(out.fileno(), blocking=True)  # held until closed, after the rename
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
            os.chmod(temp, mode)
            os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def mode_for(path: str) -> int:
    """The permission bits of the file at `path`, or those a new file gets (umask applied)."""
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


def remove_stale_temps(folder, now: float | None = None) -> list[str]:
    """Removes temporary files of killed saves in `folder`; returns their names."""
    now = time.time() if now is None else now
    try:
        entries = [e for e in os.scandir(folder) if _OURS.match(e.name)]
    except OSError:
        return []
    return [e.name for e in entries if _remove_if_stale(e, now)]


def _remove_if_stale(entry, now: float) -> bool:
    try:
        if not entry.is_file(follow_symlinks=False):
            return False
        if now - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER_S:
            return False
        fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        if not _lock(fd, blocking=False):
            return False  # a living save still writes it
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
