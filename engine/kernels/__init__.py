"""Fused CPU kernels (numba): one pass over memory where NumPy makes several.

An optional extra (`pip install "layercraft[fast]"`, numba + llvmlite, about 210 MB): without
it, or with `set_cpu_kernels(False)` / `LAYERCRAFT_CPU_KERNELS=0`, every computation takes
the NumPy path, which is also the reference the kernels are tested against. Compiled kernels
are cached in `~/.cache/layercraft/numba` (or `$NUMBA_CACHE_DIR`), so only the very first
run on a machine pays the compilation (about half a second per kernel).

Kernels run in the calling thread and hold the GIL (`optimizer_kernels` says why), so
they compute under that thread's floating-point state: inside the engine's flushed region
(`engine.fpu`) denormals flush as NumPy's results do there.

Sources: numba's `@njit`, `error_model`, `cache=True` and NUMBA_CACHE_DIR
(numba.readthedocs.io, "Compiling Python code with @jit", "Environment variables").
"""

import functools
import os
from pathlib import Path

_state = {"enabled": os.environ.get("LAYERCRAFT_CPU_KERNELS", "1") != "0"}


def set_cpu_kernels(enabled: bool) -> None:
    """Turns the fused CPU kernels on (the default, when numba is installed) or off."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_cpu_kernels expects True or False. Received: {enabled!r}")
    _state["enabled"] = enabled


def cpu_kernels_enabled() -> bool:
    """Whether CPU arrays use the fused kernels now (enabled and numba importable)."""
    return _state["enabled"] and numba_module() is not None


@functools.cache
def numba_module():
    """numba, imported once with the kernel cache in a writable user folder; None without it."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        folder = Path.home() / ".cache" / "layercraft" / "numba"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
        except OSError:
            pass  # numba then caches beside the package, or not at all
    try:
        import numba  # noqa: PLC0415 - optional, and slow to import
    except Exception:  # noqa: BLE001 - absent, or built for another NumPy: use NumPy then
        return None
    return numba


def status() -> str:
    """One line for people: what computes on the CPU, and how to get the kernels if absent."""
    if not _state["enabled"]:
        return "NumPy (the fused kernels are switched off: LAYERCRAFT_CPU_KERNELS=0)"
    numba = numba_module()
    if numba is None:
        return 'NumPy (pip install "layercraft[fast]" adds fused kernels: 1.1-1.3x faster)'
    return f"NumPy and fused kernels (numba {numba.__version__})"


def usable(*arrays) -> bool:
    """Whether the kernels can take these arrays: enabled, NumPy float32, C-contiguous."""
    if not _state["enabled"]:
        return False
    for array in arrays:
        if type(array).__module__ != "numpy" or array.dtype.char != "f" \
                or not array.flags.c_contiguous:
            return False
    return numba_module() is not None


@functools.cache
def _kernel_module(name: str):
    """`engine.kernels.<name>`, or None (and the kernels switched off, with a warning) when
    numba cannot set it up here, e.g. with no writable cache folder."""
    import importlib  # noqa: PLC0415
    import warnings  # noqa: PLC0415

    numba_module()  # the cache folder is set before numba's first import
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except Exception as exc:  # noqa: BLE001 - any failure here must leave NumPy working
        _state["enabled"] = False
        warnings.warn(f"The fused CPU kernels are off: numba could not set them up ({exc}). "
                      "Training goes on with NumPy.", RuntimeWarning, stacklevel=2)
        return None


@functools.cache
def _activation_kernel(name: str):
    module = _kernel_module("activation_kernels")
    return None if module is None else getattr(module, name)


_ACTIVATION_CODES = {"linear": 0, "relu": 1}  # activation_kernels.LINEAR, RELU


def bias_activation(z, bias, activation: str) -> bool:
    """`z = activation(z + bias)` in place (`bias` None: no bias) in one pass, and True;
    False where the kernel cannot (another activation, arrays it does not take)."""
    code = _ACTIVATION_CODES.get(activation)
    if code is None or z.ndim == 0 or not usable(z):
        return False
    if bias is not None and (bias.shape != z.shape[-1:] or not usable(bias)):
        return False
    kernel = _activation_kernel("bias_activation")
    if kernel is None:
        return False
    rows = z.reshape(-1, z.shape[-1])
    kernel(rows, rows[0, :0] if bias is None else bias, code)
    return True


def relu_backward(x, grad):
    """`grad * (x > 0)` in one pass, or None where the kernel cannot take the arrays."""
    if x.shape != grad.shape or not usable(x, grad):
        return None
    kernel = _activation_kernel("relu_backward")
    if kernel is None:
        return None
    import numpy as np  # noqa: PLC0415 - loaded by now (the arrays are NumPy's)

    out = np.empty_like(grad)
    kernel(x.reshape(-1), grad.reshape(-1), out.reshape(-1))
    return out


@functools.cache
def optimizer_step(name: str):
    """The compiled optimizer kernel `name` ("adam", "sgd", "ftrl"...: the functions of
    `optimizer_kernels`), or None when the kernels cannot be set up (`_kernel_module`)."""
    module = _kernel_module("optimizer_kernels")
    return None if module is None else getattr(module, name)


def fused_step(name: str, arrays, scalars, flags=(), last=()) -> bool:
    """Runs optimizer kernel `name` on `arrays` (parameters, gradient, slots; flattened),
    then `scalars` (as float32), `flags` (booleans) and `last` (float32 again), in the
    kernel's argument order, and returns True; False where it cannot: the NumPy path runs."""
    if not usable(*arrays):
        return False
    step = optimizer_step(name)
    if step is None:
        return False
    import numpy as np  # noqa: PLC0415 - NumPy is loaded by now; fpu decides when it loads

    step(*(a.reshape(-1) for a in arrays), *(np.float32(s) for s in scalars),
         *(bool(f) for f in flags), *(np.float32(s) for s in last))
    return True
