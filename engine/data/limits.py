"""Size limits the file loaders check before they allocate memory.

A damaged or hostile file can declare far more data than it holds: a 9 MB gzipped IDX file
can announce 2 GiB of pixels, a 3 MB `.npz` can expand to 3 GB, and an image folder asked to
resize every picture to 100000 x 100000 pixels would need terabytes. Every loader adds up
what a file declares and refuses it, with a `DataError`, before allocating anything larger
than `MAX_BYTES`.

To load bigger data, raise the limit before calling a loader:

    import engine.data.limits
    engine.data.limits.MAX_BYTES = 16 * 2**30   # 16 GiB

or set the environment variable `LAYERCRAFT_MAX_DATA_BYTES` (a number of bytes) before
LayerCraft starts, which is how the desktop app is configured.
"""

import os
import warnings

from ..errors import DataError

ENVIRONMENT_VARIABLE = "LAYERCRAFT_MAX_DATA_BYTES"

#: CSV cells longer than this are refused: no number or class name is this long, and an
#: unclosed quote that swallows the rest of a file is the usual cause.
MAX_CELL_CHARS = 1000

_IMPOSSIBLE = 2**50  # 1 PiB: no limit is raised this far, and the number would mislead


def _physical_memory():
    """This computer's memory in bytes, or `None` where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return None


#: 4 GiB, or half of this computer's memory when that is less.
DEFAULT_MAX_BYTES = min(4 * 2**30, (_physical_memory() or 2**40) // 2)


def _from_environment() -> int:
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_MAX_BYTES
    try:
        value = int(float(text))
    except (ValueError, OverflowError):
        value = 0
    if value <= 0:
        warnings.warn(f"{ENVIRONMENT_VARIABLE}={text!r} is not a positive number of bytes; "
                      f"using the default {DEFAULT_MAX_BYTES:,}.", stacklevel=2)
        return DEFAULT_MAX_BYTES
    return value


#: Largest amount of memory, in bytes, one loader call may allocate for the arrays it
#: returns. Defaults to 4 GiB (or half of this computer's memory when that is less), or to
#: `LAYERCRAFT_MAX_DATA_BYTES` when that is set.
MAX_BYTES = _from_environment()


def check_size(nbytes: int, what: str, fix: str = "") -> None:
    """Raises `DataError` when `nbytes` (what `what` declares) exceeds `MAX_BYTES`.

    `fix` is the first remedy the message offers (raising the limit is always offered);
    without it the message says the file may be damaged and offers a smaller file.
    """
    if nbytes > max(MAX_BYTES, _IMPOSSIBLE):
        raise DataError(f"{what} declares {describe_bytes(nbytes)} of data, more than any "
                        "computer's memory, so the file is damaged. Fix: get it again or "
                        "choose another file.")
    if nbytes > MAX_BYTES:
        cause = "" if fix else "The file may be damaged. "
        raise DataError(
            f"{what} needs {describe_bytes(nbytes)} of memory, more than the loaders' limit "
            f"of {describe_bytes(MAX_BYTES)} (engine.data.limits.MAX_BYTES). {cause}Fix: "
            f"{fix or 'load a smaller file'}; or, if the data really is this large, raise the "
            f"limit: engine.data.limits.MAX_BYTES = {nbytes} (or set the environment variable "
            f"{ENVIRONMENT_VARIABLE} before starting LayerCraft).")


def describe_bytes(nbytes: int) -> str:
    """`3.2 GB`-style text for a byte count (binary units, as memory is counted)."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= size:
            return f"{nbytes / size:,.1f} {unit}"
    return f"{nbytes} bytes"
