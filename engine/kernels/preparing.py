"""Getting kernels ready without making anyone wait, and without numba's compiler in here.

Importing numba and compiling a kernel holds up the first call: on the 2-core AMD EPYC,
1.5 s for Adam and the two activation kernels with an empty cache and 0.5 s with a filled
one, against a 0.03 s first epoch of a small MLP. So the first call for a kernel starts a
thread that prepares it for tiny stand-ins of the caller's arguments (same numba types, so
the caller's later calls find the machine code), and returns None: NumPy computes until the
kernel is ready. The kernels give NumPy's results bit for bit (`tests/engine/
test_cpu_kernels.py`), so when the switch happens changes no number.

numba's compiler itself never runs in this process: the thread loads the kernel's machine
code from numba's on-disk cache, and when the cache lacks it, a child process compiles it
into the cache first (`fill_cache`). The compiler, run in a thread beside Qt's GUI thread,
crashed CI twice (in its IR passes and in its type inference; it never reproduced here).

The thread is not a daemon: a script that ends meanwhile waits for it (at most a few
seconds, once per machine), rather than leaving a half-loaded kernel behind.
"""

import functools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

_ready = {}  # (module, kernel) -> the compiled function, or None where it cannot be
_preparing = {}  # (module, kernel) -> the thread that prepares it
_waiting = []  # (key, stand-in arguments) asked for, not yet taken by the kernel thread
_worker = {"thread": None}  # the kernel thread while it runs
_lock = threading.Lock()
#: When the cache lacks a kernel, the kernel thread waits this long for the others that the
#: same training step asks for, so that one child process compiles them all (a convnet's
#: first step asked for one kernel, and the rest a moment later: two numba imports).
GATHER_S = 0.25


def kernel(module: str, name: str, example_args):
    """Kernel `name` of `engine.kernels.<module>`, compiled for arguments of the types of
    `example_args`; None until then (the first call asks for it) or if it cannot be."""
    key = (module, name)
    if key in _ready:
        return _ready[key]
    with _lock:
        if key not in _preparing and all(key != waiting for waiting, _ in _waiting):
            _waiting.append((key, [_stand_in(arg) for arg in example_args]))
            if _worker["thread"] is None:
                _start_worker()
            else:
                _preparing[key] = _worker["thread"]
    return None


def wait_until_ready(timeout: float | None = None) -> bool:
    """Waits for the kernels being prepared (tests and benchmarks want them in place);
    True when none is still compiling."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:  # a thread that ends early may hand its kernels to a new one
        alive = [thread for thread in set(_preparing.values()) if thread.is_alive()]
        left = None if deadline is None else deadline - time.monotonic()
        if not alive or (left is not None and left <= 0):
            return not alive
        alive[0].join(left)


def forget() -> None:
    """Drops every prepared kernel, so the next calls prepare them again (for tests)."""
    wait_until_ready()
    with _lock:
        _ready.clear()
        _preparing.clear()
        _waiting.clear()
        _worker["thread"] = None
    kernel_module.cache_clear()


def _stand_in(arg):
    """A tiny argument of the same numba type: a C-contiguous zero array of `arg`'s dtype
    and rank, or the number or flag itself."""
    if hasattr(arg, "dtype") and getattr(arg, "ndim", 0) > 0:
        import numpy as np  # noqa: PLC0415 - loaded by now (the arrays are NumPy's)

        return np.zeros((2,) * arg.ndim, dtype=arg.dtype)
    return arg


def _prepare_waiting() -> None:
    """The kernel thread: prepares the kernels asked for, a batch at a time, until none
    waits. Those missing from the cache are compiled together in one child process."""
    batch = []
    try:
        while True:
            batch = _take_waiting(end_when_none=True)
            if not batch:
                return
            _prepare_batch(batch)
            _settle(batch)
    finally:  # even when the warning is raised as an error (python -W error)
        _settle(batch)
        with _lock:  # left early: the kernels asked for meanwhile get a thread of their own
            if _worker["thread"] is threading.current_thread():
                _worker["thread"] = None
                if _waiting:
                    _start_worker()


def _settle(batch) -> None:
    """Every kernel of `batch` has its answer: the kernel, or None (NumPy) where it failed."""
    for key, _ in batch:
        _ready.setdefault(key, None)


def _start_worker() -> None:
    """Starts the kernel thread (under `_lock`). daemon=False said outright: a thread
    started from a daemon thread (the app's training thread, or a QThread: Python's
    "dummy") would otherwise be one, and be cut off at exit."""
    thread = threading.Thread(target=_prepare_waiting, daemon=False, name="layercraft-kernels")
    thread.start()  # before it is recorded: one that failed to start is never waited for
    _worker["thread"] = thread
    for key, _ in _waiting:
        _preparing[key] = thread


def _take_waiting(end_when_none=False) -> list:
    """The kernels asked for since the last look (none: the thread ends, if asked to)."""
    with _lock:
        batch = list(_waiting)
        _waiting.clear()
        if not batch and end_when_none:
            _worker["thread"] = None
        return batch


def _prepare_batch(batch) -> None:
    """Loads `batch`'s kernels from the cache, compiling those it lacks first; `batch`
    grows by the kernels asked for while it gathered them (`GATHER_S`)."""
    try:
        found = _look_up(batch)
        _publish(item for item in found if item[3])  # cached ones need not wait for the rest
        if any(not cached for _, _, _, cached in found):
            time.sleep(GATHER_S)
            more = _take_waiting()
            batch.extend(more)
            found += _look_up(more)
            _publish(item for item in found if item[3])
            missing = [item for item in found if not item[3]]
            _compile_in_child([(key, stand_ins) for key, _, stand_ins, _ in missing])
            for key, dispatcher, stand_ins, _ in missing:
                if not _load_cached(dispatcher, stand_ins):
                    raise RuntimeError(f"{key[1]} is not in numba's cache after compiling it")
            _publish(missing)
    except Exception as exc:  # noqa: BLE001 - any failure here must leave NumPy working
        _switch_off(exc)


def _publish(found) -> None:
    """Makes loaded kernels callable: from now on NumPy hands these calls to them."""
    for key, dispatcher, _, _ in found:
        if dispatcher is not None and key not in _ready:
            with _numba_lock():
                dispatcher.disable_compile()  # other types: NumPy, never the compiler
            _ready[key] = dispatcher


def _look_up(batch) -> list:
    """`(key, dispatcher, stand_ins, loaded)` for each waiting kernel: `loaded` is False
    where the cache lacks it (a dispatcher of None: the module cannot load; NumPy then)."""
    found = []
    for key, stand_ins in batch:
        dispatcher = _dispatcher(key)
        found.append((key, dispatcher, stand_ins,
                      dispatcher is None or _load_cached(dispatcher, stand_ins)))
    return found


def _dispatcher(key):
    module = kernel_module(key[0])
    return None if module is None else getattr(module, key[1])


def _numba_lock():
    from numba.core.compiler_lock import global_compiler_lock  # noqa: PLC0415

    return global_compiler_lock


def _load_cached(dispatcher, stand_ins) -> bool:
    """Loads the kernel's machine code for these argument types from numba's cache, as
    numba's `Dispatcher.compile` does on a cache hit; False when the cache lacks it."""
    from numba import typeof  # noqa: PLC0415

    # numba's lock, as around its own cache loads: refreshing the typing registries is not
    # thread-safe ("generator already executing" when two kernels loaded at once)
    with _numba_lock():
        signature = tuple(typeof(arg) for arg in stand_ins)
        if signature in dispatcher.overloads:
            return True
        result = dispatcher._cache.load_overload(signature, dispatcher.targetctx)
        if result is None:
            return False
        dispatcher.targetctx.insert_user_function(result.entry_point, result.fndesc,
                                                  [result.library])
        dispatcher.add_overload(result)
    return True


#: Added to the compiling child's niceness (Unix) before it imports anything, so that the
#: BLAS threads NumPy starts there inherit it too: the scheduler gives the training first
#: call on the cores, and the compiler the time they leave.
NICENESS = 10
CHILD_CODE = ("import os, sys\n"
              f"if hasattr(os, 'nice'): os.nice({NICENESS})\n"
              "from engine.kernels.fill_cache import main\n"
              "sys.exit(main(sys.argv[1:]))\n")


def _compile_in_child(missing) -> None:
    """Compiles the `(key, stand_ins)` kernels into the cache in one child process (it
    imports numba once, at a lower priority: see `NICENESS` and `fill_cache`)."""
    described = json.dumps([[module, name, [_describe(arg) for arg in stand_ins]]
                            for (module, name), stand_ins in missing])
    root = str(Path(__file__).resolve().parents[2])  # the folder that holds `engine`
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    # The cache this process reads: numba fixed it when it was first imported, maybe before
    # `numba_module` chose the user folder (then it is numba's own default).
    env.pop("NUMBA_CACHE_DIR", None)
    if numba_module().config.CACHE_DIR:
        env["NUMBA_CACHE_DIR"] = numba_module().config.CACHE_DIR
    # no console and a lower priority on Windows; elsewhere the child lowers its own
    windows = (getattr(subprocess, "CREATE_NO_WINDOW", 0)
               | getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0))
    done = subprocess.run([sys.executable, "-c", CHILD_CODE, described], env=env,
                          capture_output=True, text=True, timeout=600, check=False,
                          creationflags=windows)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        names = ", ".join(name for (_, name), _ in missing)
        raise RuntimeError(f"compiling {names} failed: {last}")


def _describe(arg) -> list:
    """A stand-in argument as `fill_cache` rebuilds it."""
    if hasattr(arg, "dtype") and getattr(arg, "ndim", 0) > 0:
        return ["array", arg.dtype.name, arg.ndim]
    if isinstance(arg, bool):
        return ["bool", arg]
    if isinstance(arg, int):
        return ["int", arg]
    return ["float32", float(arg)]


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


@functools.cache
def kernel_module(name: str):
    """`engine.kernels.<name>`, or None (and the kernels switched off, with a warning) when
    numba cannot set it up here, e.g. with no writable cache folder."""
    import importlib  # noqa: PLC0415

    if numba_module() is None:  # the cache folder is set before numba's first import
        return None
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except Exception as exc:  # noqa: BLE001 - any failure here must leave NumPy working
        _switch_off(exc)
        return None


def _switch_off(exc: Exception) -> None:
    import warnings  # noqa: PLC0415

    from . import _state  # noqa: PLC0415 - the package's switch

    _state["enabled"] = False
    warnings.warn(f"The fused CPU kernels are off: numba could not set them up ({exc}). "
                  "Training goes on with NumPy.", RuntimeWarning, stacklevel=2)
