"""Fused CPU kernels (numba): one pass over memory where NumPy makes several.

An optional extra (`pip install "layercraft[fast]"`, numba + llvmlite, about 210 MB): without
it, or with `set_cpu_kernels(False)` / `LAYERCRAFT_CPU_KERNELS=0`, every computation takes
the NumPy path, which is also the reference the kernels are tested against. Compiled kernels
are cached in `~/.cache/layercraft/numba` (or `$NUMBA_CACHE_DIR`): a child process compiles
them there, and a background thread loads them while NumPy computes (`preparing`).

Kernels run in the calling thread and hold the GIL (`optimizer_kernels` says why), so
they compute under that thread's floating-point state: inside the engine's flushed region
(`engine.fpu`) denormals flush as NumPy's results do there.

Sources: numba's `@njit`, `error_model`, `cache=True` and NUMBA_CACHE_DIR
(numba.readthedocs.io, "Compiling Python code with @jit", "Environment variables").
"""

import functools
import importlib.util
import os

from .preparing import kernel, numba_module, wait_until_ready

__all__ = ["bias_activation", "conv3x3_one_channel", "conv3x3_one_channel_pooled",
           "cpu_kernels_enabled", "fused_step", "im2col",
           "max_pool_2x2", "max_pool_2x2_backward",
           "numba_installed", "numba_module", "relu_backward", "scatter_add_positions",
           "set_cpu_kernels", "status", "usable", "wait_until_ready"]

_state = {"enabled": os.environ.get("LAYERCRAFT_CPU_KERNELS", "1") != "0"}


def set_cpu_kernels(enabled: bool) -> None:
    """Turns the fused CPU kernels on (the default, when numba is installed) or off."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_cpu_kernels expects True or False. Received: {enabled!r}")
    _state["enabled"] = enabled


def cpu_kernels_enabled() -> bool:
    """Whether CPU arrays use the fused kernels now (enabled and numba importable; this
    imports numba: a fifth of a second the first time)."""
    return _state["enabled"] and numba_module() is not None


@functools.cache
def numba_installed() -> bool:
    """Whether numba is there, found without importing it (that takes a fifth of a second)."""
    return importlib.util.find_spec("numba") is not None


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
    return numba_installed()


_ACTIVATION_CODES = {"linear": 0, "relu": 1}  # activation_kernels.LINEAR, RELU


def bias_activation(z, bias, activation: str) -> bool:
    """`z = activation(z + bias)` in place (`bias` None: no bias) in one pass, and True;
    False where the kernel cannot (another activation, arrays it does not take)."""
    code = _ACTIVATION_CODES.get(activation)
    if code is None or z.ndim == 0 or not usable(z):
        return False
    if bias is not None and (bias.shape != z.shape[-1:] or not usable(bias)):
        return False
    rows = z.reshape(-1, z.shape[-1])
    args = (rows, rows[0, :0] if bias is None else bias, code)
    return _run(kernel("activation_kernels", "bias_activation", args), args)


def relu_backward(x, grad):
    """`grad * (x > 0)` in one pass, or None where the kernel cannot take the arrays."""
    if x.shape != grad.shape or not usable(x, grad):
        return None
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    run = kernel("activation_kernels", "relu_backward", (flat_x, flat_grad, flat_grad))
    if run is None:
        return None
    import numpy as np  # noqa: PLC0415 - loaded by now (the arrays are NumPy's)

    out = np.empty_like(grad)
    return out if _run(run, (flat_x, flat_grad, out.reshape(-1))) else None


def conv3x3_one_channel(x, kernel, bias, activation: str):
    """`activation(conv(x, kernel) + bias)` of padded one-channel images `x` `(N, H, W)`
    with a `(9, F)` kernel (`bias` None: none), stride 1, in one pass (see `conv_kernels`);
    None where the kernel cannot (another activation, arrays it does not take)."""
    relu = _one_channel_relu(x, kernel, bias, activation)
    if relu is None:
        return None
    import numpy as np  # noqa: PLC0415 - loaded by now (the arrays are NumPy's)

    out = np.empty((x.shape[0], x.shape[1] - 2, x.shape[2] - 2, kernel.shape[1]), np.float32)
    args = (x, kernel, kernel[0, :0] if bias is None else bias, relu, out)
    return out if _run(_conv_kernel("conv3x3_one_channel", args), args) else None


def conv3x3_one_channel_pooled(x, kernel, bias, activation: str):
    """`conv3x3_one_channel` and then a 2x2 max pooling (stride 2), in one pass for
    inference (see `conv_kernels`), or None where the kernel cannot."""
    relu = _one_channel_relu(x, kernel, bias, activation)
    if relu is None:
        return None
    import numpy as np  # noqa: PLC0415 - loaded by now (the arrays are NumPy's)

    n, height, width = x.shape
    filters = kernel.shape[1]
    rows = np.empty((2, width - 2, filters), np.float32)
    out = np.empty((n, (height - 2) // 2, (width - 2) // 2, filters), np.float32)
    args = (x, kernel, kernel[0, :0] if bias is None else bias, relu, rows, out)
    return out if _run(_conv_kernel("conv3x3_one_channel_pooled", args), args) else None


def _one_channel_relu(x, kernel, bias, activation: str):
    """The one-channel kernels' `relu` flag for `activation` (relu or linear), or None
    where they cannot take these arrays or that activation."""
    code = _ACTIVATION_CODES.get(activation)
    if code is None or x.ndim != 3 or not usable(x, kernel):
        return None
    if bias is not None and (bias.shape != kernel.shape[1:] or not usable(bias)):
        return None
    return code == 1


def max_pool_2x2(x):
    """`(rows_max, result)`: the two stages of a tiled 2x2 max pooling over `(N, H, W, C)`
    (see `conv_kernels`), or None where the kernel cannot take the array."""
    if x.ndim != 4 or not usable(x):
        return None
    import numpy as np  # noqa: PLC0415 - loaded by now (the arrays are NumPy's)

    n, height, width, channels = x.shape
    rows_max = np.empty((n, height, width // 2, channels), np.float32)
    result = np.empty((n, height // 2, width // 2, channels), np.float32)
    args = (x, rows_max, result)
    return (rows_max, result) if _run(_conv_kernel("max_pool_2x2", args), args) else None


def max_pool_2x2_backward(x, rows_max, result, grad, relu_below=False):
    """dL/dx of a tiled 2x2 max pooling over `(N, H, W, C)` in one pass (see
    `conv_kernels`; `relu_below`: through the relu that made `x` too), or None where the
    kernel cannot take the arrays."""
    if x.ndim != 4 or not usable(x, rows_max, result, grad):
        return None
    import numpy as np  # noqa: PLC0415 - loaded by now (the arrays are NumPy's)

    out = np.empty_like(x)
    args = (x, rows_max, result, grad, bool(relu_below), out)
    return out if _run(_conv_kernel("max_pool_2x2_backward", args), args) else None


def im2col(padded, out, kernel_size, strides, dilation) -> bool:
    """Every window of `padded` `(N, H, W, C)` into `out` `(N, out_h, out_w, kh * kw * C)`
    (see `conv_kernels`) and True; False where the kernel cannot take the arrays."""
    if padded.ndim != 4 or out.ndim != 4 or not usable(padded, out):
        return False
    args = (padded, out, *(int(n) for n in (*kernel_size, *strides, *dilation)))
    return _run(_conv_kernel("im2col", args), args)


def scatter_add_positions(cols, out, kernel_size, strides, dilation) -> bool:
    """col2im's adds (see `conv_kernels`) into `out` and True; False where the kernel
    cannot take the arrays (NumPy's slice adds run then)."""
    if cols.ndim != 4 or out.ndim != 4 or not usable(cols, out):
        return False
    args = (cols, out, *(int(n) for n in (*kernel_size, *strides, *dilation)))
    return _run(_conv_kernel("scatter_add_positions", args), args)


def _conv_kernel(name: str, args):
    """The prepared `conv_kernels` kernel `name` (None while it loads)."""
    return kernel("conv_kernels", name, args)


def fused_step(name: str, arrays, scalars, flags=(), last=()) -> bool:
    """Runs optimizer kernel `name` on `arrays` (parameters, gradient, slots; flattened),
    then `scalars` (as float32), `flags` (booleans) and `last` (float32 again), in the
    kernel's argument order, and returns True; False where it cannot: the NumPy path runs."""
    if not usable(*arrays):
        return False
    import numpy as np  # noqa: PLC0415 - NumPy is loaded by now; fpu decides when it loads

    args = (*(a.reshape(-1) for a in arrays), *(np.float32(s) for s in scalars),
            *(bool(f) for f in flags), *(np.float32(s) for s in last))
    return _run(kernel("optimizer_kernels", name, args), args)


def _run(compiled, args) -> bool:
    """Runs a prepared kernel and returns True; False when there is none yet, or when these
    arguments' types are not the ones it was compiled for (a read-only array, say): NumPy
    computes then, and nothing compiles in this process (`preparing`)."""
    if compiled is None:
        return False
    try:
        compiled(*args)
    except TypeError:  # numba: no compiled version for these types, and compiling is off
        return False
    return True
