"""Flush denormal floats to zero while the engine computes on the CPU.

A float32 below 1.18e-38 is "denormal". CPUs take a slow path for every arithmetic step on
one (measured on the 2-core AMD EPYC of our CI: x * 0.9 over 2M denormals 0.70 ms, 0.35 ms
with flushing; Intel cores are slower still). Training makes them: an Adam moment that stops
getting gradients decays by 0.9 per step into the denormal range and stays there, and
confident softmax outputs hold denormal probabilities. Flushing them (the CPU's FTZ and DAZ
bits) changes results only below 1.18e-38, where nothing a network computes is meaningful;
PyTorch offers the same (`torch.set_flush_denormal`).

The bits belong to a thread. `flushing()` sets them around the engine's own work (fit,
evaluate, predict... in the thread that calls them, the app's training thread included) and
puts the caller's state back afterwards, so a user's float arithmetic outside engine calls is
untouched. BLAS worker threads copy the state of the thread that creates them: the engine
imports NumPy with flushing on (then restores the importing thread), so when the engine is
the first to import NumPy (the app, the CLI, a script that imports `engine` first), OpenBLAS's
workers flush too. A script that imported NumPy first keeps unflushed BLAS workers; the
element-wise passes (optimizer moments, activations), where denormals cost most, still flush.

Supported: Linux on x86-64 and AArch64 (glibc's `fegetenv`/`fesetenv`). Elsewhere every
function here is a no-op and `supported()` says False. This module imports no NumPy.
"""

import contextlib
import ctypes
import ctypes.util
import functools
import os
import threading
import platform
import sys

#: On by default; LAYERCRAFT_FLUSH_DENORMAL=0 turns it off from the start (NumPy's import too).
_state = {"enabled": os.environ.get("LAYERCRAFT_FLUSH_DENORMAL", "1") != "0"}


class _X86:
    """glibc x86-64 `fenv_t`: 28 bytes of x87 state, then MXCSR."""

    BITS = 0x8040  # FTZ (bit 15) | DAZ (bit 6)

    class Env(ctypes.Structure):
        _fields_ = [("x87", ctypes.c_ubyte * 28), ("mxcsr", ctypes.c_uint32)]

    @staticmethod
    def with_flush(env):
        env.mxcsr |= _X86.BITS
        return env


class _Arm:
    """glibc AArch64 `fenv_t`: FPCR, then FPSR; FZ is FPCR bit 24."""

    BITS = 1 << 24

    class Env(ctypes.Structure):
        _fields_ = [("fpcr", ctypes.c_uint32), ("fpsr", ctypes.c_uint32)]

    @staticmethod
    def with_flush(env):
        env.fpcr |= _Arm.BITS
        return env


def _platform():
    """(libm, layout) where flushing is supported, else None."""
    if not sys.platform.startswith("linux"):
        return None
    layout = {"x86_64": _X86, "amd64": _X86, "aarch64": _Arm, "arm64": _Arm}.get(
        platform.machine().lower())
    name = ctypes.util.find_library("m")
    if layout is None or name is None:
        return None
    try:
        libm = ctypes.CDLL(name)
        libm.fegetenv, libm.fesetenv  # noqa: B018 - both must exist
    except (OSError, AttributeError):
        return None
    return libm, layout


_PLATFORM = _platform()


def supported() -> bool:
    """Whether this platform lets the engine flush denormals."""
    return _PLATFORM is not None


def set_flush_denormal(enabled: bool) -> None:
    """Turns flushing on (the default) or off for the engine's later calls.

    Off gives IEEE results down to the smallest denormal, at the slow path's cost.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"set_flush_denormal expects True or False. Received: {enabled!r}")
    _state["enabled"] = enabled


def flush_denormal_enabled() -> bool:
    return _state["enabled"]


def _get_env():
    libm, layout = _PLATFORM
    env = layout.Env()
    if libm.fegetenv(ctypes.byref(env)) != 0:
        raise OSError("fegetenv failed")
    return env


def _set_env(env) -> None:
    libm, _ = _PLATFORM
    if libm.fesetenv(ctypes.byref(env)) != 0:
        raise OSError("fesetenv failed")


def is_flushing() -> bool:
    """Whether the calling thread flushes denormals right now."""
    if _PLATFORM is None:
        return False
    env, layout = _get_env(), _PLATFORM[1]
    return bool(getattr(env, "mxcsr", getattr(env, "fpcr", 0)) & layout.BITS == layout.BITS)


_inside = threading.local()  # `depth`: flushed regions entered in this thread


@contextlib.contextmanager
def flushing():
    """Denormals flush to zero in this thread inside the block (when enabled); the thread's
    previous floating-point state comes back afterwards, nested or not."""
    saved = _enter()
    try:
        yield
    finally:
        _leave(saved)


def _enter():
    """Starts a flushed region; returns what `_leave` restores (None: nothing to restore,
    the region is nested in another or flushing is off)."""
    depth = getattr(_inside, "depth", 0)
    _inside.depth = depth + 1
    if depth or _PLATFORM is None or not _state["enabled"]:
        return None  # the outer region set it and restores it
    saved = _get_env()
    _set_env(_PLATFORM[1].with_flush(_get_env()))
    return saved


def _leave(saved) -> None:
    _inside.depth -= 1
    if saved is not None:
        _set_env(saved)


def flushed(method):
    """Decorator: runs `method` inside `flushing()` (the engine's public compute calls).
    Nested calls (a model calling its layers) cost one counter check."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        saved = _enter()
        try:
            return method(*args, **kwargs)
        finally:
            _leave(saved)

    return wrapper
