"""Channels-last im2col / col2im and padding arithmetic for convolutions (NumPy or CuPy).

A convolution's geometry (kernel, strides, dilation, padding, sizes) is computed once into a
`ConvGeometry`; `im2col` then turns an input `(N, H, W, C)` into patches
`(N, out_h, out_w, kh, kw, C)` with one strided view and one copy, so a convolution is one
BLAS matmul against a kernel reshaped to `(kh * kw * C, filters)`. `col2im` is its adjoint:
a scatter-add over the kh * kw kernel positions (one slice add each, never a loop over
pixels or samples); `col2im_matmul` fuses it with the matmul that precedes it (a conv's
input gradient, a transposed conv's output). 1-D inputs `(N, L, C)` run through the same
code as height-1 images.

Padding follows Keras/TensorFlow: "same" gives `ceil(size / stride)` outputs and puts the
odd padded pixel at the bottom/right; "causal" (1-D) pads only on the left.
"""

from dataclasses import dataclass
import math
from pathlib import Path

import numpy as np

from .. import backend, kernels


@dataclass(frozen=True)
class ConvGeometry:
    """Where each window of a 2-D convolution reads its input.

    Attributes:
        kernel: `(kh, kw)`.
        strides: `(sh, sw)`.
        dilation: `(dh, dw)`.
        pads: `((top, bottom), (left, right))` zero padding.
        in_size: `(H, W)` of the unpadded input.
        out_size: `(out_h, out_w)`.
    """

    kernel: tuple
    strides: tuple
    dilation: tuple
    pads: tuple
    in_size: tuple
    out_size: tuple

    @property
    def padded_size(self) -> tuple:
        return tuple(n + a + b for n, (a, b) in zip(self.in_size, self.pads))


def dilated_size(kernel: int, dilation: int) -> int:
    """Extent of a dilated kernel: `k + (k - 1) * (d - 1)`."""
    return (kernel - 1) * dilation + 1


def conv_output_length(length: int, kernel: int, stride: int, padding: str,
                       dilation: int = 1) -> int:
    """Keras's `conv_output_length`: outputs along one axis (may be <= 0 when too small)."""
    if padding == "valid":
        return (length - dilated_size(kernel, dilation)) // stride + 1
    return (length + stride - 1) // stride  # "same" / "causal": ceil(length / stride)


def padding_amounts(length: int, kernel: int, stride: int, padding: str,
                    dilation: int = 1) -> tuple[int, int]:
    """`(before, after)` zero padding along one axis, TensorFlow's rule."""
    extent = dilated_size(kernel, dilation)
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return extent - 1, 0
    out = conv_output_length(length, kernel, stride, "same", dilation)
    total = max((out - 1) * stride + extent - length, 0)
    return total // 2, total - total // 2  # the odd pixel goes after (bottom/right)


def deconv_output_length(length: int, kernel: int, stride: int, padding: str,
                         dilation: int = 1) -> int:
    """Keras's transposed-convolution output length (no `output_padding`).

    valid: `length * stride + max(k_dilated - stride, 0)`, i.e. `(length - 1) * stride + k`
    when the kernel is at least as large as the stride; same: `length * stride`.
    """
    if padding == "same":
        return length * stride
    return length * stride + max(dilated_size(kernel, dilation) - stride, 0)


def conv_geometry(in_size, kernel, strides, dilation, padding) -> ConvGeometry:
    """The geometry of a 2-D convolution with Keras `padding` over an `(H, W)` input."""
    pads = tuple(padding_amounts(n, k, s, padding, d)
                 for n, k, s, d in zip(in_size, kernel, strides, dilation))
    out = tuple(conv_output_length(n, k, s, padding, d)
                for n, k, s, d in zip(in_size, kernel, strides, dilation))
    return ConvGeometry(tuple(kernel), tuple(strides), tuple(dilation), pads, tuple(in_size),
                        out)


def transpose_geometry(in_size, kernel, strides, dilation, padding) -> ConvGeometry:
    """Geometry of the convolution whose adjoint is a transposed convolution on `in_size`.

    Its `in_size` is the transposed layer's output size and its `out_size` the transposed
    layer's input size (TensorFlow defines conv_transpose as conv2d's input gradient).
    """
    out = tuple(deconv_output_length(n, k, s, padding, d)
                for n, k, s, d in zip(in_size, kernel, strides, dilation))
    pads = tuple(padding_amounts(n, k, s, padding, d)
                 for n, k, s, d in zip(out, kernel, strides, dilation))
    return ConvGeometry(tuple(kernel), tuple(strides), tuple(dilation), pads, out,
                        tuple(in_size))


def pad(x, geom: ConvGeometry):
    """Zero-pads `(N, H, W, C)` by `geom.pads` (returns `x` itself when there is none)."""
    (top, bottom), (left, right) = geom.pads
    if not (top or bottom or left or right):
        return x
    xp = backend.get_array_module(x)
    n, h, w, c = x.shape
    out = xp.zeros((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    out[:, top:top + h, left:left + w] = x  # cheaper than xp.pad's general machinery
    return out


def windows(padded, geom: ConvGeometry):
    """A strided view `(N, out_h, out_w, kh, kw, C)` of every window (no copy; do not write)."""
    xp = backend.get_array_module(padded)
    n, _, _, c = padded.shape
    sn, sh, sw, sc = padded.strides
    (kh, kw), (st_h, st_w), (dh, dw) = geom.kernel, geom.strides, geom.dilation
    shape = (n, *geom.out_size, kh, kw, c)
    strides = (sn, sh * st_h, sw * st_w, sh * dh, sw * dw, sc)
    return xp.lib.stride_tricks.as_strided(padded, shape=shape, strides=strides)


def im2col(x, geom: ConvGeometry, out=None):
    """Patches `(N, out_h, out_w, kh, kw, C)`, C-contiguous (a view when nothing to copy).

    Reshape to `(N * out_h * out_w, kh * kw * C)` for the matmul: that reshape is free.
    `out`, when given, is a C-contiguous buffer of that shape to write into.
    """
    xp = backend.get_array_module(x)
    padded = pad(x, geom)
    view = windows(padded, geom)
    if view.flags.c_contiguous and out is None:
        return view  # a 1x1 kernel with stride 1: the input itself
    if xp is np and kernels.usable(padded) and (out is None or out.flags.c_contiguous):
        target = np.empty(view.shape, dtype=x.dtype) if out is None else out
        # one pass: the Keras MNIST convnet's training step at batch 128 took 26.5 ms
        # against 28.6 with NumPy's copies (alternating epochs; alone, the first conv's
        # patches 0.8 ms against 1.2-1.4, the second's 0.8-0.9 against 0.9-2.1 as the
        # machine's state varied; Intel Xeon Sapphire Rapids). In predict, whose patches
        # go to a reused cache-sized buffer, the two were even.
        if kernels.im2col(padded, target.reshape(*view.shape[:3], -1), geom.kernel,
                          geom.strides, geom.dilation):
            return target
    if out is None:
        if x.shape[-1] != 1:
            return xp.ascontiguousarray(view)
        out = xp.empty(view.shape, dtype=x.dtype)
    if x.shape[-1] != 1:
        out[...] = view
        return out
    # One channel: NumPy copies the 6-D view one element at a time; a copy per kernel
    # position moves whole rows and is about 3x faster.
    for i in range(view.shape[3]):
        for j in range(view.shape[4]):
            out[:, :, :, i, j] = view[:, :, :, i, j]
    return out


def _l2_cache_bytes(default: int = 512 << 10) -> int:
    """One core's L2 cache as Linux reports it (`default` elsewhere, or when unreadable)."""
    for index in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            if (index / "level").read_text().strip() == "2":
                size = (index / "size").read_text().strip().upper()
                return int(size[:-1]) << 10 if size.endswith("K") else int(size)
        except (OSError, ValueError):
            break
    return default


#: Patches plus outputs per block of `blocked_conv` (and of `_scatter_blocked`) on the CPU:
#: four L2 caches' worth. Predicting 1,024 images with the Keras MNIST convnet took 80 ms
#: with 2 MB blocks, 72 ms with 8 MB and 75 ms with one block (Intel Xeon Sapphire Rapids,
#: 2 MB L2, 2 threads). The 2 MB used before was chosen where L2 caches held 1 MB, and was
#: about 25% faster there than one block: such CPUs now get 4 MB, the same order of size.
BLOCK_BYTES = 4 * _l2_cache_bytes()


def blocked_conv(x, kernel, geom: ConvGeometry, finish):
    """Inference convolution `finish(im2col(x) @ kernel)`, a few samples at a time.

    Each block's patches are built, multiplied and finished (bias, activation, in place)
    while they are still in cache, and one patch buffer serves every block: about 25% faster
    than one im2col and one GEMM over the batch on the CPU, and the whole patch matrix
    (17 MB for the Keras MNIST convnet's second conv at batch 128) is never held. CuPy runs
    the batch as one block (fewer, larger kernels are what a GPU wants).

    Args:
        x: `(N, H, W, C)`.
        kernel: `(kh * kw * C, F)`.
        finish: Called with each `(n, out_h, out_w, F)` block of the output, in place.

    Returns:
        `(N, out_h, out_w, F)`.
    """
    xp = backend.get_array_module(x, kernel)
    n, (k, f) = x.shape[0], kernel.shape
    per_sample = math.prod(geom.out_size) * (k + f) * x.itemsize
    step = n if xp is not np else max(1, min(n, BLOCK_BYTES // per_sample))
    z = xp.empty((n, *geom.out_size, f), dtype=xp.result_type(x, kernel))
    cols = xp.empty((step, *geom.out_size, *geom.kernel, x.shape[-1]), dtype=x.dtype)
    for start in range(0, n, step):
        stop = min(start + step, n)
        patches = im2col(x[start:stop], geom, out=cols[:stop - start])
        block = z[start:stop]
        xp.matmul(patches.reshape(-1, k), kernel, out=block.reshape(-1, f))
        finish(block)
    return z


def window_slices(geom: ConvGeometry, i: int, j: int) -> tuple[slice, slice]:
    """Rows and columns of the padded input that kernel position `(i, j)` reads."""
    (out_h, out_w), (st_h, st_w), (dh, dw) = geom.out_size, geom.strides, geom.dilation
    return (slice(i * dh, i * dh + st_h * (out_h - 1) + 1, st_h),
            slice(j * dw, j * dw + st_w * (out_w - 1) + 1, st_w))


def padded_zeros(n: int, channels: int, geom: ConvGeometry, dtype, xp):
    """A zero `(N, padded_h, padded_w, C)` buffer for scatter-adds."""
    return xp.zeros((n, *geom.padded_size, channels), dtype=dtype)


def crop(padded, geom: ConvGeometry):
    """The unpadded `(N, H, W, C)` part of a padded array (a view)."""
    (top, _), (left, _) = geom.pads
    h, w = geom.in_size
    if padded.shape[1:3] == (h, w):
        return padded
    return padded[:, top:top + h, left:left + w]


def col2im(cols, geom: ConvGeometry):
    """Adjoint of `im2col`: scatter-adds patches back into an `(N, H, W, C)` array.

    One strided slice add per kernel position (kh * kw adds, never a loop over pixels or
    samples); the result is cropped to the unpadded input (a view when there is padding).
    """
    xp = backend.get_array_module(cols)
    n, out_h, out_w, kh, kw, c = cols.shape
    out = padded_zeros(n, c, geom, cols.dtype, xp)
    block = xp.empty((n, out_h, out_w, c), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(geom, i, j)
            block[...] = cols[:, :, :, i, j]  # a strided copy + contiguous add is faster
            out[:, rows, columns] += block
    return crop(out, geom)


def col2im_matmul(a, weights, geom: ConvGeometry):
    """`col2im(a @ weights.reshape(-1, P).T)` without building the whole column matrix.

    Args:
        a: `(N * out_h * out_w, P)`, e.g. a conv's output gradient (P = filters).
        weights: `(kh, kw, Q, P)`, e.g. a conv kernel (Q = input channels).

    Returns:
        `(N, H, W, Q)`: a conv's input gradient, or a transposed conv's output.
    """
    xp = backend.get_array_module(a, weights)
    q = weights.shape[2]
    n = a.shape[0] // math.prod(geom.out_size)
    out = padded_zeros(n, q, geom, xp.result_type(a, weights), xp)
    scatter = _scatter_few_channels if q < 8 else _scatter_per_position
    scatter(xp, out, a, weights, geom)
    return crop(out, geom)


def _scatter_few_channels(xp, out, a, weights, geom):
    """Few channels: one GEMM into a `(kh, kw, Q, M)` layout, then a slice add per position.

    Each kernel position's block is then contiguous; per-position GEMMs would be slow
    matrix-vector products when Q = 1.
    """
    kh, kw, q, p = weights.shape
    blocks = (weights.reshape(-1, p) @ a.T).reshape(kh, kw, q, out.shape[0], *geom.out_size)
    target = out.transpose(3, 0, 1, 2)  # (Q, N, H, W) view
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(geom, i, j)
            target[:, :, rows, columns] += blocks[i, j]


def _scatter_per_position(xp, out, a, weights, geom):
    """Many channels: per kernel position, one `(M, P) @ (P, Q)` GEMM and a slice add.

    The GEMMs write into one reused buffer (fresh arrays cost page faults) and the whole
    `(M, kh * kw * Q)` column matrix is never held. With the CPU kernels, `_scatter_blocked`
    instead.
    """
    kh, kw, q, _ = weights.shape
    if _scatter_blocked(xp, out, a, weights, geom):
        return
    block = xp.empty((a.shape[0], q), dtype=out.dtype)
    patch = block.reshape(out.shape[0], *geom.out_size, q)
    for i in range(kh):
        for j in range(kw):
            rows, columns = window_slices(geom, i, j)
            xp.matmul(a, weights[i, j].T, out=block)
            out[:, rows, columns] += patch


def _scatter_blocked(xp, out, a, weights, geom) -> bool:
    """A few samples at a time: one GEMM for all kernel positions, then the kernel's adds
    (`engine.kernels.scatter_add_positions`) while the block is in cache; False where the
    kernel cannot run (nothing is written then).

    One wide GEMM instead of kh * kw narrow ones (Q columns each, 32 in the Keras MNIST
    convnet) and no strided slice adds: that convnet's second conv's input gradient took
    4.1-4.7 ms this way against 6.6 ms (Intel Xeon, Sapphire Rapids, 2 threads).
    """
    kh, kw, q, p = weights.shape
    n = out.shape[0]
    if xp is not np or not kernels.usable(out, a, weights):
        return False
    wide = np.ascontiguousarray(weights.transpose(3, 0, 1, 2).reshape(p, -1))
    per_sample = a.shape[0] // n
    samples = max(1, min(n, BLOCK_BYTES // (4 * per_sample * wide.shape[1])))
    buffer = np.empty((samples * per_sample, wide.shape[1]), dtype=out.dtype)
    for start in range(0, n, samples):
        stop = min(n, start + samples)
        cols = buffer[:(stop - start) * per_sample]
        np.matmul(a[start * per_sample:stop * per_sample], wide, out=cols)
        if not kernels.scatter_add_positions(
                cols.reshape(stop - start, *geom.out_size, -1), out[start:stop],
                geom.kernel, geom.strides, geom.dilation):
            if start == 0:
                return False
            raise RuntimeError("the col2im kernel stopped half-way")  # never expected
    return True


def im2col_1d(x, geom: ConvGeometry):
    """Patches `(N, out_len, k, C)` of a channels-last sequence `(N, L, C)`.

    `geom` is a 2-D geometry with a height-1 kernel (see `conv_geometry_1d`).
    """
    cols = im2col(x[:, None], geom)
    return cols.reshape(cols.shape[0], cols.shape[2], cols.shape[4], cols.shape[5])


def col2im_1d(cols, geom: ConvGeometry):
    """Adjoint of `im2col_1d`: `(N, out_len, k, C)` -> `(N, L, C)`."""
    n, out_len, k, c = cols.shape
    return col2im(cols.reshape(n, 1, out_len, 1, k, c), geom)[:, 0]


def conv_geometry_1d(length, kernel, stride, dilation, padding) -> ConvGeometry:
    """A 1-D convolution as a 2-D one over a height-1 image."""
    return conv_geometry((1, length), (1, kernel), (1, stride), (1, dilation), padding)
