"""Convnet passes in one pass each (numba): 2x2 max pooling, its routing, im2col, col2im,
and a one-channel 3x3 convolution.

- `max_pool_2x2` computes NumPy's two stages (`engine.layers.pooling_tiled`) sample by
  sample: 0.70 ms against 1.37 ms on 128x26x26x32 (Intel Xeon Sapphire Rapids). An
  earlier one-pass kernel that also kept each window's winner was slower than NumPy (AMD
  EPYC, 4.7-8.9 ms); this one only takes maxima with channels innermost, and vectorises.
- `max_pool_2x2_backward` routes a tiled 2x2 max pooling's gradient. NumPy's staged
  backward (`engine.layers.pooling_tiled`) makes a compare, a product and a difference
  pass per stage over strided views whose inner loops are only `channels` long; here each
  input cell is written once. It repeats the stages' arithmetic per element (a product
  with the 0/1 of "this cell is the stage's maximum", then the difference for the other
  cell), so it equals NumPy bit for bit, ties and NaN included.
- `im2col` copies every window of a padded input into one row of the patch matrix: NumPy's
  copy of the 6-D window view runs inner loops only `channels` long.
- `scatter_add_positions` adds a convolution's per-position columns back into its padded
  input (col2im) in NumPy's order: kernel position after kernel position, so every sum
  is taken in the same order as the NumPy path's slice adds.

Each kernel first checks that its loops stay inside the arrays and does nothing otherwise
(numba does not check indices): the tiny stand-in arguments `preparing` compiles with
never match. Plain loops in the calling thread, GIL held, as `optimizer_kernels`.
Sharing a batch among two threads (`nogil`) made the pool backward 1.5x faster alone but
the convnet's training step slower (25.9 -> 27.4 ms, Intel Xeon, 2 cores): after each GEMM,
OpenBLAS's worker spins on the second core for a while, and the helper thread fought it.
Imported only when numba is, by `engine.kernels.preparing`.
"""

import numpy as np
from numba import njit

KERNEL = njit(cache=True, error_model="numpy")
#: Multiply-adds may fuse (FMA, one rounding instead of two, as BLAS does): the one-channel
#: convolution took 0.81-1.03 ms instead of 1.20 (Intel Xeon Sapphire Rapids, batch 128).
FUSED_MULTIPLY_ADD = njit(cache=True, error_model="numpy", fastmath={"contract"})


@KERNEL
def _maximum(a, b):
    """`numpy.maximum` of two numbers: NaN when either is NaN, else the larger (`a` on ties)."""
    if a != a or a >= b:
        return a
    return b


@KERNEL
def max_pool_2x2(x, rows_max, result):
    """2x2 max pooling with stride 2 (channels last), in NumPy's two stages and order:
    `rows_max = max(x[:, :, 2j], x[:, :, 2j + 1])` `(N, H, W // 2, C)` over every row, then
    `result = max(rows_max[:, 2i], rows_max[:, 2i + 1])` `(N, H // 2, W // 2, C)`, one sample
    at a time while its rows are in cache. Equal to `pooling_tiled`'s stages bit for bit.
    """
    n_samples, height, width, channels = x.shape
    out_h, out_w = result.shape[1], result.shape[2]
    if (out_h != height // 2 or out_w != width // 2 or rows_max.shape[1] != height
            or rows_max.shape[2] != out_w or rows_max.shape[3] != channels
            or result.shape[3] != channels or rows_max.shape[0] < n_samples
            or result.shape[0] < n_samples):
        return
    for n in range(n_samples):
        for r in range(height):
            for j in range(out_w):
                for c in range(channels):
                    rows_max[n, r, j, c] = _maximum(x[n, r, 2 * j, c], x[n, r, 2 * j + 1, c])
        for i in range(out_h):
            for j in range(out_w):
                for c in range(channels):
                    result[n, i, j, c] = _maximum(rows_max[n, 2 * i, j, c],
                                                  rows_max[n, 2 * i + 1, j, c])


@KERNEL
def max_pool_2x2_backward(x, rows_max, result, grad, relu_below, out):
    """dL/dx of 2x2 max pooling with stride 2 (channels last) into `out`, `x`'s shape.

    `rows_max` is the forward's first stage, `max(x[:, :, 2j], x[:, :, 2j + 1])` of shape
    `(N, H, W // 2, C)`; `result` and `grad` are `(N, H // 2, W // 2, C)`. A row or column
    left over when H or W is odd gets zero gradient, as no window reads it. `relu_below`:
    `x` is a relu's output, and the result is taken through that relu too (the gradient of
    a window whose maximum is not positive becomes zero, `engine.relu_pool`).
    """
    n_samples, height, width, channels = x.shape
    out_h, out_w = result.shape[1], result.shape[2]
    if (2 * out_h > height or 2 * out_w > width or rows_max.shape[1] < 2 * out_h
            or rows_max.shape[2] < out_w or grad.shape[1] < out_h or grad.shape[2] < out_w
            or out.shape != x.shape or rows_max.shape[3] != channels
            or result.shape[3] != channels or grad.shape[3] != channels):
        return
    zero = np.float32(0.0)
    for n in range(n_samples):
        for i in range(out_h):
            top, bottom = 2 * i, 2 * i + 1
            for j in range(out_w):
                left, right = 2 * j, 2 * j + 1
                for c in range(channels):
                    best = result[n, i, j, c]
                    g = grad[n, i, j, c]
                    if relu_below:
                        g = g * np.float32(best > zero)
                    # height stage first (forward reduced the width first)
                    g_top = g * np.float32(rows_max[n, top, j, c] == best)
                    g_bottom = g - g_top
                    top_max = rows_max[n, top, j, c]
                    bottom_max = rows_max[n, bottom, j, c]
                    g_tl = g_top * np.float32(x[n, top, left, c] == top_max)
                    out[n, top, left, c] = g_tl
                    out[n, top, right, c] = g_top - g_tl
                    g_bl = g_bottom * np.float32(x[n, bottom, left, c] == bottom_max)
                    out[n, bottom, left, c] = g_bl
                    out[n, bottom, right, c] = g_bottom - g_bl
            for j in range(2 * out_w, width):  # a column no window reads
                for c in range(channels):
                    out[n, top, j, c] = zero
                    out[n, bottom, j, c] = zero
        for i in range(2 * out_h, height):  # a row no window reads
            for j in range(width):
                for c in range(channels):
                    out[n, i, j, c] = zero


@KERNEL
def _patches_fit(patches, image, kernel_h, kernel_w, stride_h, stride_w, dilation_h,
                 dilation_w):
    """Whether patches of shape `(N, out_h, out_w, kh * kw * C)` read or write only inside
    an image of shape `(N, H, W, C)` (shapes, not arrays: see `optimizer_kernels`)."""
    n_samples, out_h, out_w, width = patches
    return (width == kernel_h * kernel_w * image[3] and image[0] == n_samples
            and (out_h - 1) * stride_h + (kernel_h - 1) * dilation_h < image[1]
            and (out_w - 1) * stride_w + (kernel_w - 1) * dilation_w < image[2])


@KERNEL
def im2col(padded, out, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w):
    """`out[n, y, x, (i * kw + j) * C + c] = padded[n, y * sh + i * dh, x * sw + j * dw, c]`:
    every window of the padded input `(N, H, W, C)` as one row of `out`
    `(N, out_h, out_w, kh * kw * C)`. NumPy's copy of the 6-D window view has inner loops
    only C long (and one element long for a grayscale first layer).
    """
    n_samples, out_h, out_w, _ = out.shape
    channels = padded.shape[3]
    if not _patches_fit(out.shape, padded.shape, kernel_h, kernel_w, stride_h, stride_w,
                        dilation_h, dilation_w):
        return
    for n in range(n_samples):
        for y in range(out_h):
            for x in range(out_w):
                for i in range(kernel_h):
                    row = y * stride_h + i * dilation_h
                    for j in range(kernel_w):
                        column = x * stride_w + j * dilation_w
                        if channels == 1:  # no loop of one: 0.76 ms against 1.57 at batch 128
                            out[n, y, x, i * kernel_w + j] = padded[n, row, column, 0]
                            continue
                        base = (i * kernel_w + j) * channels
                        for c in range(channels):
                            out[n, y, x, base + c] = padded[n, row, column, c]


@KERNEL
def scatter_add_positions(cols, out, kernel_h, kernel_w, stride_h, stride_w,
                          dilation_h, dilation_w):
    """`out[n, y * sh + i * dh, x * sw + j * dw, :] += cols[n, y, x, (i * kw + j) * C:...]`.

    `cols` is `(N, out_h, out_w, kh * kw * C)`, `out` the padded input `(N, H, W, C)`.
    Loops run sample by sample, then kernel position by position (NumPy's order).
    """
    n_samples, out_h, out_w, _ = cols.shape
    channels = out.shape[3]
    if not _patches_fit(cols.shape, out.shape, kernel_h, kernel_w, stride_h, stride_w,
                        dilation_h, dilation_w):
        return
    for n in range(n_samples):
        for i in range(kernel_h):
            for j in range(kernel_w):
                base = (i * kernel_w + j) * channels
                for y in range(out_h):
                    row = y * stride_h + i * dilation_h
                    for x in range(out_w):
                        column = x * stride_w + j * dilation_w
                        for c in range(channels):
                            out[n, row, column, c] += cols[n, y, x, base + c]


@FUSED_MULTIPLY_ADD
def _conv3x3_row(x, kernel, bias, with_bias, relu, n, y, row):
    """Output row `y` of sample `n` of `conv3x3_one_channel` into `row` `(W - 2, F)`.

    The nine taps are written out so that the loop over filters is the innermost one and
    vectorises; loops over taps or channels there did not (4.6 ms against 1.2 ms on the
    Keras MNIST convnet's first conv at batch 128, Intel Xeon Sapphire Rapids). Arrays go
    to this helper once a row: per element, the reference counts cost 40x (see
    `optimizer_kernels`).
    """
    zero = np.float32(0.0)
    for x0 in range(row.shape[0]):
        for f in range(row.shape[1]):
            total = (x[n, y, x0] * kernel[0, f] + x[n, y, x0 + 1] * kernel[1, f]
                     + x[n, y, x0 + 2] * kernel[2, f]
                     + x[n, y + 1, x0] * kernel[3, f]
                     + x[n, y + 1, x0 + 1] * kernel[4, f]
                     + x[n, y + 1, x0 + 2] * kernel[5, f]
                     + x[n, y + 2, x0] * kernel[6, f]
                     + x[n, y + 2, x0 + 1] * kernel[7, f]
                     + x[n, y + 2, x0 + 2] * kernel[8, f])
            if with_bias:
                total += bias[f]
            if relu and total < zero:
                total = zero
            row[x0, f] = total


@KERNEL
def conv3x3_one_channel(x, kernel, bias, relu, out):
    """`out = activation(conv(x, kernel) + bias)` for a one-channel image and a 3x3 kernel,
    stride 1 (a grayscale first layer): `x` `(N, H, W)` already padded, `kernel` `(9, F)`,
    `bias` `(F,)` or empty, `out` `(N, H - 2, W - 2, F)`. im2col with a 9-column GEMM took
    2.4 ms where this takes 1.2 (see `_conv3x3_row`): it writes and reads a patch matrix
    for nine numbers per output.
    """
    n_samples, height, width = x.shape
    filters = kernel.shape[1]
    out_h, out_w = height - 2, width - 2
    if (kernel.shape[0] != 9 or out.shape[0] != n_samples or out.shape[1] != out_h
            or out.shape[2] != out_w or out.shape[3] != filters or out_h < 1 or out_w < 1):
        return
    with_bias = bias.shape[0] == filters
    for n in range(n_samples):
        for y in range(out_h):
            _conv3x3_row(x, kernel, bias, with_bias, relu, n, y, out[n, y])


@KERNEL
def conv3x3_one_channel_pooled(x, kernel, bias, relu, rows, out):
    """`conv3x3_one_channel` followed by a 2x2 max pooling with stride 2, for inference:
    two output rows at a time go to `rows` `(2, W - 2, F)`, and only their window maxima to
    `out` `(N, (H - 2) // 2, (W - 2) // 2, F)`. The full-size convolution output is never
    written. Same numbers as the two kernels one after the other (`_maximum` is
    `max_pool_2x2`'s).
    """
    n_samples, height, width = x.shape
    filters = kernel.shape[1]
    conv_w = width - 2
    out_h, out_w = (height - 2) // 2, conv_w // 2
    if (kernel.shape[0] != 9 or out.shape[0] != n_samples or out.shape[1] != out_h
            or out.shape[2] != out_w or out.shape[3] != filters or rows.shape[0] != 2
            or rows.shape[1] != conv_w or rows.shape[2] != filters or out_h < 1 or out_w < 1):
        return
    with_bias = bias.shape[0] == filters
    for n in range(n_samples):
        for i in range(out_h):
            _conv3x3_row(x, kernel, bias, with_bias, relu, n, 2 * i, rows[0])
            _conv3x3_row(x, kernel, bias, with_bias, relu, n, 2 * i + 1, rows[1])
            for j in range(out_w):
                for f in range(filters):
                    out[n, i, j, f] = _maximum(
                        _maximum(rows[0, 2 * j, f], rows[0, 2 * j + 1, f]),
                        _maximum(rows[1, 2 * j, f], rows[1, 2 * j + 1, f]))
