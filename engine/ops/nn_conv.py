"""Keras's convolution ops: `conv`, `depthwise_conv`, `separable_conv`, `conv_transpose`.

They run on the kernels the convolution layers use: im2col and one matmul
(`layers.conv_utils`, and `conv_utils_nd` for three spatial axes), the scatter-add adjoint
`col2im_matmul` for input gradients and transposed convolutions, and the window-view
depthwise pass of `layers.conv_variants`. A 1-D convolution runs as a height-1 2-D one, as
the layers do. `channels_first` inputs are moved to channels-last and back.

Kernels have Keras's layouts: `conv` `(*kernel_size, in_channels / groups, filters)`,
`depthwise_conv` `(*kernel_size, channels, multiplier)`, `conv_transpose`
`(*kernel_size, filters, in_channels)`. Padding is TensorFlow's ("same": `ceil(n / stride)`
outputs, the odd padded pixel after).
"""

import math

from ..errors import ShapeError
from .core import array_module, needs_gradient, record
from .nn_common import (
    check_rank,
    float_input,
    from_channels_last,
    spatial_tuple,
    standardize_data_format,
    standardize_padding,
    to_channels_last,
)


# ----- the kernels, on channels-last arrays with 2 or 3 spatial axes ------------------------------
def _layers():
    """The conv layers' kernel modules, imported on first use: `engine.layers` imports
    `engine.ops`, so importing it while `engine.ops` loads would be circular."""
    from ..layers import conv_utils, conv_utils_nd, conv_variants

    return conv_utils, conv_utils_nd, conv_variants


def _im2col(x, geom):
    """Patches as an `(N * prod(out), prod(kernel) * C)` matrix."""
    cu, cun, _ = _layers()
    cols = cu.im2col(x, geom) if len(geom.kernel) == 2 else cun.im2col_nd(x, geom)
    return cols.reshape(-1, math.prod(cols.shape[1 + len(geom.kernel):]))


def _col2im_matmul(a, weights, geom):
    cu, cun, _ = _layers()
    out = (cu.col2im_matmul if len(geom.kernel) == 2 else cun.col2im_matmul_nd)(a, weights, geom)
    return array_module(out).ascontiguousarray(out)  # a padded crop is a view


def _lift(a, rank):
    """A 1-D operand `(N, L, C)` (or kernel `(k, I, O)`) as a height-1 2-D one."""
    return a[:, None] if rank == 1 else a


class _Spatial:
    """The parsed arguments of one spatial op: format, rank, and 2-D-lifted tuples."""

    def __init__(self, op, inputs, data_format, strides, dilation_rate, padding,
                 paddings=("valid", "same")):
        self.format = standardize_data_format(data_format)
        self.x = to_channels_last(float_input(inputs), self.format)
        check_rank(self.x, (3, 4, 5), "inputs", op)
        self.rank = self.x.ndim - 2
        self.padding = standardize_padding(padding, paddings)
        lift = (1,) if self.rank == 1 else ()
        self.strides = lift + spatial_tuple(strides, self.rank, "strides")
        self.dilation = lift + spatial_tuple(dilation_rate, self.rank, "dilation_rate")
        self.x_lifted = _lift(self.x, self.rank)

    def kernel(self, kernel, name="kernel"):
        k = float_input(kernel, like=self.x)
        if k.ndim != self.rank + 2:
            raise ShapeError(f"`{name}` must have rank {self.rank + 2} for inputs of rank "
                             f"{self.rank + 2}. Received: {name}.shape={tuple(k.shape)}")
        return k, (k[None] if self.rank == 1 else k)

    def output(self, y_lifted):
        y = y_lifted[:, 0] if self.rank == 1 else y_lifted
        return from_channels_last(y, self.format)

    def grad_in(self, g):
        """An output cotangent in the lifted channels-last layout."""
        return _lift(to_channels_last(g, self.format), self.rank)

    def input_grad(self, dx_lifted):
        return self.output(dx_lifted)

    def kernel_grad(self, dk_lifted):
        return dk_lifted[0] if self.rank == 1 else dk_lifted


def _check_output(geom, op):
    if min(geom.out_size) <= 0:
        raise ShapeError(f"{op}: the convolution resulted in an empty output. The input is too "
                         "small for the given kernel size, strides, dilation rate and padding.")


# ----- conv -------------------------------------------------------------------------------------
def _grouped_conv(x4, k4, geom, need_k):
    """`y = conv(x4, k4)` split into `channels // k4.shape[-2]` groups, and its backward
    `(g, need_x, need_k) -> (dx, dk)` (lifted channels-last arrays throughout)."""
    xp = array_module(x4, k4)
    channels, per_group, filters = x4.shape[-1], k4.shape[-2], k4.shape[-1]
    if per_group == 0 or channels % per_group:
        raise ShapeError("The number of input channels must be evenly divisible by kernel's "
                         f"in_channels. Received input channels {channels} and kernel "
                         f"in_channels {per_group}.")
    groups = channels // per_group
    if filters % groups:
        raise ShapeError(f"The kernel's {filters} filters do not split into {groups} groups.")
    fg = filters // groups
    parts, saved = [], []
    for gi in range(groups):
        xg = x4 if groups == 1 else x4[..., gi * per_group:(gi + 1) * per_group]
        kg = k4 if groups == 1 else k4[..., gi * fg:(gi + 1) * fg]
        cols = _im2col(xg, geom)
        parts.append((cols @ kg.reshape(-1, fg)).reshape(x4.shape[0], *geom.out_size, fg))
        saved.append(cols if need_k else None)
    y4 = parts[0] if groups == 1 else xp.concatenate(parts, axis=-1)

    def backward(g4, need_x, need_k):
        dxs, dks = [], []
        for gi in range(groups):
            gg = g4[..., gi * fg:(gi + 1) * fg].reshape(-1, fg)
            kg = k4[..., gi * fg:(gi + 1) * fg]
            if need_k:
                dks.append((saved[gi].T @ gg).reshape(kg.shape))
            if need_x:
                dxs.append(_col2im_matmul(gg, kg, geom))
        dx = (dxs[0] if groups == 1 else xp.concatenate(dxs, axis=-1)) if need_x else None
        dk = (dks[0] if groups == 1 else xp.concatenate(dks, axis=-1)) if need_k else None
        return dx, dk

    return y4, backward


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (1-D, 2-D or 3-D) with Keras's arguments.

    A kernel with fewer input channels than `inputs` runs a grouped convolution
    (`channels // kernel.shape[-2]` groups), as Keras's `feature_group_count`.
    """
    s = _Spatial("conv", inputs, data_format, strides, dilation_rate, padding,
                 ("valid", "same", "causal"))
    _, k4 = s.kernel(kernel)
    x4 = s.x_lifted
    geom = _layers()[0].conv_geometry(x4.shape[1:-1], k4.shape[:-2], s.strides, s.dilation,
                                      s.padding)
    _check_output(geom, "conv")
    need_x, need_k = needs_gradient(inputs), needs_gradient(kernel)
    y4, backward = _grouped_conv(x4, k4, geom, need_k)

    def vjp(g):
        dx, dk = backward(s.grad_in(g), need_x, need_k)
        return (s.input_grad(dx) if need_x else None), (s.kernel_grad(dk) if need_k else None)

    return record(s.output(y4), (inputs, kernel), vjp)


# ----- depthwise and separable --------------------------------------------------------------------
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Per-channel convolution: kernel `(*kernel_size, channels, multiplier)`; output channel
    `c * multiplier + m` is channel `c` convolved with `kernel[..., c, m]`."""
    s = _Spatial("depthwise_conv", inputs, data_format, strides, dilation_rate, padding)
    k, k4 = s.kernel(kernel)
    x4 = s.x_lifted
    if k4.shape[-2] != x4.shape[-1]:
        raise ShapeError(f"depthwise_conv: the kernel's channel axis ({k4.shape[-2]}) must "
                         f"equal the input channels ({x4.shape[-1]}).")
    cu, _, variants = _layers()
    geom = cu.conv_geometry(x4.shape[1:-1], k4.shape[:-2], s.strides, s.dilation, s.padding)
    _check_output(geom, "depthwise_conv")
    need_x, need_k = needs_gradient(inputs), needs_gradient(kernel)
    if s.rank == 3:  # a grouped convolution, one group per channel (Keras's own route)
        grouped = k4.reshape(*k4.shape[:-2], 1, k4.shape[-2] * k4.shape[-1])
        y4, backward = _grouped_conv(x4, grouped, geom, need_k)

        def vjp(g):
            dx, dk = backward(s.grad_in(g), need_x, need_k)
            return (s.input_grad(dx) if need_x else None), \
                (dk.reshape(k.shape) if need_k else None)

        return record(s.output(y4), (inputs, kernel), vjp)
    y4 = variants.depthwise_forward(x4, k4, geom)

    def vjp2(g):
        g4 = array_module(g).ascontiguousarray(s.grad_in(g))
        dx, dk = variants.depthwise_backward(x4, k4, g4, geom, need_x)
        return (s.input_grad(dx) if need_x else None), (s.kernel_grad(dk) if need_k else None)

    return record(s.output(y4), (inputs, kernel), vjp2)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution, then a 1x1 convolution with `pointwise_kernel`."""
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format,
                               dilation_rate)
    return conv(depthwise, pointwise_kernel, strides=1, padding="valid",
                data_format=data_format, dilation_rate=dilation_rate)


# ----- transposed -------------------------------------------------------------------------------
def _transpose_pads(size, kernel, stride, dilation, padding, output_padding):
    """Keras's output length and `(before, after)` padding of the adjoint convolution.

    A transposed convolution is the input gradient of a convolution over its output; Keras
    (via JAX's `conv_transpose`) pads the stride-dilated input by `(left, right)`, which is
    that convolution padded by `(k - 1 - left, k - 1 - right)`. A negative `after` (a large
    `output_padding`) means trailing outputs no window reads: they are 0.
    """
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        left, right = extent - 1, extent - 1 + extra
    else:
        total = (stride + extent - 2 if output_padding is None
                 else extent + extent % 2 - 2 + output_padding)
        left = min(total // 2 + total % 2, extent - 1)
        right = total - left
    length = (size - 1) * stride + 1 + left + right - extent + 1
    return length, (extent - 1 - left, extent - 1 - right)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """N-D transposed convolution; kernel `(*kernel_size, filters, in_channels)`.

    Output length per axis: valid `(n - 1) * stride + max(k, stride)`, same `n * stride`;
    with `output_padding` `p`: valid `(n - 1) * stride + k + p`, same
    `(n - 1) * stride + k % 2 + p` (k dilated).
    """
    s = _Spatial("conv_transpose", inputs, data_format, strides, dilation_rate, padding)
    k, k4 = s.kernel(kernel)
    x4 = s.x_lifted
    if k4.shape[-1] != x4.shape[-1]:
        raise ShapeError(f"conv_transpose: the kernel's last axis ({k4.shape[-1]}) must equal "
                         f"the input channels ({x4.shape[-1]}).")
    out_pad = (None,) * s.rank if output_padding is None else spatial_tuple(
        output_padding, s.rank, "output_padding")
    lengths, pads, trims = [], [], []
    axes = zip(s.x.shape[1:-1], k.shape[:-2], s.strides[-s.rank:], s.dilation[-s.rank:], out_pad)
    for n, kk, st, d, op in axes:
        length, (before, after) = _transpose_pads(n, kk, st, d, s.padding, op)
        lengths.append(length)
        trims.append(max(-after, 0))
        pads.append((before, max(after, 0)))
    if s.rank == 1:  # the height-1 axis of the lifted 2-D form
        lengths, pads, trims = [1, *lengths], [(0, 0), *pads], [0, *trims]
    inner = tuple(n - t for n, t in zip(lengths, trims))
    geom = _layers()[0].ConvGeometry(tuple(k4.shape[:-2]), s.strides, s.dilation, tuple(pads), inner,
                           tuple(x4.shape[1:-1]))
    xp = array_module(x4, k4)
    channels = x4.shape[-1]
    x2 = x4.reshape(-1, channels)
    y4 = _col2im_matmul(x2, k4, geom)
    if any(trims):
        y4 = xp.pad(y4, ((0, 0), *((0, t) for t in trims), (0, 0)))
    need_x, need_k = needs_gradient(inputs), needs_gradient(kernel)

    def vjp(g):
        g4 = s.grad_in(g)
        if any(trims):
            g4 = g4[(slice(None), *(slice(0, n) for n in inner))]
        cols = _im2col(g4, geom)
        dx = s.input_grad((cols @ k4.reshape(-1, channels)).reshape(x4.shape)) if need_x \
            else None
        dk = s.kernel_grad((cols.T @ x2).reshape(k4.shape)) if need_k else None
        return dx, dk

    return record(s.output(y4), (inputs, kernel), vjp)


__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv"]
