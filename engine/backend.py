"""The one place that knows NumPy from CuPy.

Everything else asks this module for `xp` (the array module of a device or of an array),
moves arrays with `to_device` / `to_numpy`, and draws random numbers from `rng()`.
CuPy is optional: without it, or without a CUDA device, everything runs on the CPU and
asking for `"gpu"` raises a `DeviceError` that says why.
"""

import mmap
import threading

import numpy as np

from .errors import DeviceError
from .fpu import flush_denormal_enabled, set_flush_denormal  # noqa: F401 - documented here

DEVICES = ("cpu", "gpu", "auto")
FLOATX = np.float32

_probe_lock = threading.Lock()
_probe_result: tuple[object, str] | None = None  # (cupy module or None, reason / GPU name)
_rng = np.random.default_rng()


def _probe_cupy() -> tuple[object, str]:
    """Imports CuPy and asks for a device once; caches the answer (module, message)."""
    global _probe_result
    with _probe_lock:
        if _probe_result is None:
            _probe_result = _try_import_cupy()
        return _probe_result


def _try_import_cupy() -> tuple[object, str]:
    try:
        import cupy  # noqa: PLC0415 - optional, probed lazily
    except Exception as exc:  # ImportError, or a broken CUDA install
        return None, f"CuPy is not installed or failed to import ({exc.__class__.__name__}: {exc})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return None, f"CuPy found no usable CUDA device ({exc})"
    if count < 1:
        return None, "CuPy is installed but no CUDA device is present"
    try:
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    except Exception:
        name = "CUDA device 0"
    return cupy, name


def gpu_available() -> bool:
    """True when CuPy imports and a CUDA device answers."""
    return _probe_cupy()[0] is not None


def gpu_status() -> str:
    """The GPU's name when there is one, else the reason there is none (for the GUI)."""
    return _probe_cupy()[1]


def resolve_device(device: str) -> str:
    """Maps `"cpu" | "gpu" | "auto"` to the device that will run: `"cpu"` or `"gpu"`."""
    if device not in DEVICES:
        raise DeviceError(
            f"Unknown device {device!r}. Expected one of: 'cpu', 'gpu', 'auto'."
        )
    if device == "cpu":
        return "cpu"
    cupy, message = _probe_cupy()
    if cupy is not None:
        return "gpu"
    if device == "auto":
        return "cpu"
    raise DeviceError(
        f"The GPU was requested but cannot be used: {message}. "
        "Install the GPU extra (`pip install -e .[gpu]`) on a machine with an NVIDIA GPU, "
        "or choose device='cpu'."
    )


def xp(device: str = "cpu"):
    """The array module for a resolved device name."""
    if device == "cpu":
        return np
    cupy = _probe_cupy()[0]
    if cupy is None:
        raise DeviceError(f"No GPU: {gpu_status()}. Use device='cpu'.")
    return cupy


def get_array_module(*arrays):
    """NumPy or CuPy, whichever the arrays belong to (Chainer's idiom)."""
    for a in arrays:
        module = type(a).__module__
        if module.startswith("cupy"):
            return _probe_cupy()[0]
    return np


_zero_pages: dict = {}  # dtype -> read-only zero array, grown on demand


def zeros_operand(x):
    """A zero operand for `xp.maximum(x, zero)` that keeps NumPy on its fast path.

    NumPy's float32 `maximum` against a scalar runs a loop about 4x slower than against an
    array of the same shape, so for a float32 NumPy array this returns a read-only zero array
    shaped like `x`. It views a private, read-only anonymous memory map: every page is the
    kernel's shared zero page, so it costs no memory and its reads come from cache (a shared
    mapping would commit real pages). Anything else (CuPy, other dtypes, lists) gets the
    scalar 0: float64 is faster against the scalar.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float32:
        return 0
    zeros = _zero_pages.get(x.dtype)
    if zeros is None or zeros.size < x.size:
        size = max(x.size, 1 << 16)
        pages = mmap.mmap(-1, size * x.dtype.itemsize, flags=mmap.MAP_PRIVATE,
                          prot=mmap.PROT_READ)
        zeros = _zero_pages[x.dtype] = np.frombuffer(pages, dtype=x.dtype, count=size)
    return zeros[:x.size].reshape(x.shape)


def is_gpu_array(a) -> bool:
    return type(a).__module__.startswith("cupy")


def device_of(a) -> str:
    return "gpu" if is_gpu_array(a) else "cpu"


def to_numpy(a):
    """A NumPy array from a NumPy or CuPy array (or anything array-like)."""
    if is_gpu_array(a):
        return a.get()
    return np.asarray(a)


def to_device(a, device: str, dtype=None):
    """Moves (or casts) an array onto `device`; a no-op when it is already there."""
    module = xp(device)
    if device == "cpu":
        a = to_numpy(a)
    return module.asarray(a, dtype=dtype)


def set_seed(seed: int | None) -> None:
    """Seeds the engine's generator (weight init, dropout, shuffling) and CuPy's, if loaded."""
    global _rng
    _rng = np.random.default_rng(seed)
    if _probe_result is not None and _probe_result[0] is not None and seed is not None:
        _probe_result[0].random.seed(seed)


def rng() -> np.random.Generator:
    """The engine's shared NumPy random generator."""
    return _rng


def synchronize(device: str) -> None:
    """Waits for queued GPU work (used by timing code); nothing to do on the CPU."""
    if device == "gpu":
        xp("gpu").cuda.get_current_stream().synchronize()
