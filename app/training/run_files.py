"""A run's checkpoint files on disk: which they are, how much room they take, deleting them.

A run record lists its checkpoints (`checkpoints`, `best_checkpoint`) and, since runs got a
folder of their own, that folder (`settings.checkpoint.run_folder`), which also holds files
the list no longer names (only best and last are kept). Records come from project files
that may be old, hand-edited or moved, so every step is forgiving: a missing file counts 0
bytes and is not an error. Only checkpoint files are touched: never another file that
happens to sit in the folder, and never a file that another run still lists.
"""

import os

from engine.saving.checkpoint import MODEL_SUFFIX


def run_folder(run: dict) -> str | None:
    """The run's own checkpoint folder, if its record names one."""
    save = (run.get("settings") or {}).get("checkpoint") or {}
    folder = save.get("run_folder") if isinstance(save, dict) else None
    return folder if isinstance(folder, str) and folder else None


def checkpoint_files(run: dict) -> list[str]:
    """Checkpoint files of `run` that exist: those it lists, then its folder's `.lcm` files."""
    named = [p for p in [*(run.get("checkpoints") or []), run.get("best_checkpoint")]
             if isinstance(p, str) and p]
    folder = run_folder(run)
    if folder and os.path.isdir(folder):
        named += [os.path.join(folder, name) for name in sorted(os.listdir(folder))
                  if name.endswith(MODEL_SUFFIX)]
    found, seen = [], set()
    for path in named:
        key = os.path.abspath(path)
        if key not in seen and os.path.isfile(path):
            seen.add(key)
            found.append(path)
    return found


def disk_use(run: dict) -> int:
    """Bytes taken by the run's checkpoint files (missing or unreadable ones count 0)."""
    return files_size(checkpoint_files(run))


def files_size(paths: list[str]) -> int:
    """Bytes taken by `paths` (missing or unreadable ones count 0)."""
    return sum(_size(path) for path in paths)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def format_size(size: int) -> str:
    """`size` bytes as people read it: "0 B", "840 KB", "12.5 MB", "1.2 GB"."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if value < 999.5:
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{value / 1000:.3g} TB"


def files_to_delete(run: dict, other_runs: list[dict], roots: list[str]) -> list[str]:
    """The run's checkpoint files that no other run lists (a resumed run may share one) and
    that lie inside one of `roots` (the project's runs folder, the global checkpoints folder).

    Paths come from the project file: a hand-edited or hostile one could name any `.lcm`
    file on the disk, so only files in the folders LayerCraft writes runs to are deleted.
    """
    shared = {os.path.abspath(p) for other in other_runs for p in checkpoint_files(other)}
    return [p for p in checkpoint_files(run)
            if os.path.abspath(p) not in shared and is_inside(p, roots)]


def is_inside(path: str, roots: list[str]) -> bool:
    """Whether `path` (links resolved) lies below one of `roots`."""
    real = os.path.realpath(path)
    return any(real.startswith(os.path.realpath(root) + os.sep) for root in roots if root)


def delete_files(paths: list[str], folder: str | None = None) -> list[str]:
    """Deletes `paths`, then `folder` if that left it empty; returns what could not go."""
    failed = []
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            failed.append(f"{path}: {exc.strerror or exc}")
    if folder:
        try:
            os.rmdir(folder)  # only when empty: other files in it are not ours to remove
        except OSError:
            pass
    return failed
