"""Convolution layers, channels-last, with Keras's arguments, defaults and weight layouts.

This module holds the shared base (`_Conv`) and Conv1D/Conv2D, which run as im2col + one
BLAS matmul; `conv_variants` holds the depthwise, separable and transposed convolutions.
Every layer fuses its activation like Dense: `forward` keeps `_z` (pre-activation) and
`_y`, and `backward_from_preactivation(grad_z)` starts the backward pass at z.
"""

import dataclasses
import math

from .. import activations, backend, kernels, registry
from ..errors import ShapeError, SpecError
from ..params import BOOL, INT, INTS, STR, Param
from . import conv_utils as cu
from .base import Layer, WeightSpec, check_known, format_shape
from .core import activation_param, initializer_param, regularizer_param

__all__ = ["Conv1D", "Conv2D"]

_AXES = {1: "(steps, channels)", 2: "(height, width, channels)"}


def _window_params(rank, paddings, with_filters=True, dilation=True):
    """Shared Params: filters, kernel_size, strides, padding(, dilation_rate)."""
    params = [Param("filters", INT, 32, minimum=1, help="Number of output channels.")
              ] if with_filters else []
    params += [
        Param("kernel_size", INTS, (3,) * rank, minimum=1, length=rank,
              help="Size of the convolution window."),
        Param("strides", INTS, (1,) * rank, minimum=1, length=rank,
              help="Step of the window along each axis."),
        Param("padding", STR, "valid", choices=paddings,
              help="valid: no padding; same: output size = ceil(input / strides)"
                   + ("; causal: pad on the left only." if "causal" in paddings else ".")),
    ]
    if dilation:
        params.append(Param("dilation_rate", INTS, (1,) * rank, minimum=1, length=rank,
                            help="Spacing between kernel taps (atrous convolution)."))
    return params


def _bias_params():
    return [activation_param(),
            Param("use_bias", BOOL, True, help="Whether to add a learned bias.")]


_KERNEL_PARAMS = (
    initializer_param("kernel_initializer", "glorot_uniform"),
    initializer_param("bias_initializer", "zeros"),
    regularizer_param("kernel_regularizer"),
    regularizer_param("bias_regularizer"),
)


class _Conv(Layer):
    """Shared plumbing: validation, shapes, bias, fused activation."""

    CATEGORY = "Convolution"
    RANK = 2
    #: When False, `backward` computes only the weight gradients and returns None (a model
    #: can set it on a layer fed directly by its Input: no one needs that gradient).
    needs_input_gradient = True

    def _configure_conv(self, **values) -> None:
        if isinstance(values.get("padding"), str):
            values["padding"] = values["padding"].lower()  # Keras accepts "SAME"
        self._configure(**values)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise SpecError(
                f"Layer '{self.name}' ({type(self).__name__}): `strides` > 1 is not supported "
                f"together with `dilation_rate` > 1. Received: strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}. Set one of them to 1."
            )
        self._activation = activations.get(self.activation)
        self._geometries = {}

    # ----- shapes -----------------------------------------------------------------------------
    def _check_input(self, input_shape) -> None:
        rank = self.RANK + 1
        if isinstance(input_shape, tuple) and len(input_shape) == rank:
            return
        raise ShapeError(
            f"Layer '{self.name}' ({type(self).__name__}) expects an input of rank {rank} "
            f"{_AXES[self.RANK]}, but received shape {format_shape(input_shape)}. "
            f"{_reshape_hint(input_shape, self.RANK)}"
        )

    def _make_geometry(self, spatial):
        return cu.conv_geometry(spatial, self._as_2d(self.kernel_size),
                                self._as_2d(self.strides), self._as_2d(self.dilation_rate),
                                self.padding)

    def _geometry(self, spatial) -> cu.ConvGeometry:
        """The (cached) geometry for a batch-less spatial size, in 2-D form."""
        spatial = tuple(int(n) for n in spatial)
        if spatial not in self._geometries:
            self._geometries[spatial] = self._make_geometry(spatial)
        return self._geometries[spatial]

    def _as_2d(self, sizes):
        """Conv1D runs as a height-1 Conv2D: lifts a 1-D size tuple to 2-D."""
        return (1, *sizes) if self.RANK == 1 else tuple(sizes)

    def _out_channels(self, in_channels: int) -> int:
        return self.filters

    def compute_output_shape(self, input_shape):
        self._check_input(input_shape)
        check_known(self, input_shape, [-1], "the number of input channels",
                    "Give the Input a fixed channel size, e.g. shape=(None, 3).")
        spatial = input_shape[:-1]
        dilation = getattr(self, "dilation_rate", (1,) * self.RANK)
        geom = self._geometry(self._as_2d(tuple(_stand_in(spatial, self.kernel_size, dilation))))
        out = _variable_axes(geom.out_size[2 - self.RANK:], spatial)
        if min((d for d in out if d is not None), default=1) <= 0:
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}): the input "
                f"{format_shape(input_shape)} is too small for the kernel: kernel_size="
                f"{self.kernel_size}, dilation_rate={self.dilation_rate}, padding="
                f"'{self.padding}' would give an output of size {out}. Use padding='same', "
                "a smaller kernel_size or dilation_rate, or a larger input."
            )
        return (*out, self._out_channels(input_shape[-1]))

    def _bias_spec(self, size: int) -> list:
        if not self.use_bias:
            return []
        return [WeightSpec("bias", (size,), self.bias_initializer,
                           regularizer=self.bias_regularizer)]

    # ----- computation ------------------------------------------------------------------------
    def forward(self, x, training=False):
        z = self._linear(x)  # a fresh array: the bias can be added in place
        if self._activation.fused_with_bias(z, self.params["bias"] if self.use_bias else None):
            self._z = self._y = z
            return z
        if self.use_bias:
            _add_bias(z, self.params["bias"])
        if self._activation.works_in_place:  # z is ours: keep one array, not two
            self._z = self._y = self._activation.forward_in_place(z)
        else:
            self._z, self._y = z, self._activation.forward(z)
        return self._y

    def backward(self, grad):
        grad_z = self._activation.backward(self._z, self._y, grad)
        return self.backward_from_preactivation(grad_z)

    def backward_from_preactivation(self, grad_z):
        """Backward starting at z = conv(x) + bias (used by fused loss gradients)."""
        if self.use_bias and "bias" in self.grads:
            # dL/dbias = sum of grad_z over batch and positions
            g2 = grad_z.reshape(-1, grad_z.shape[-1])
            ones = backend.get_array_module(g2).ones(g2.shape[0], dtype=g2.dtype)
            self.grads["bias"][...] = ones @ g2  # a GEMV: much faster than sum(axis=0)
        return self._linear_backward(grad_z)

    def _set_grad(self, key: str, value) -> None:
        if key in self.grads:
            self.grads[key][...] = value.reshape(self.grads[key].shape)


def _stand_in(spatial, kernel_size, dilation_rate):
    """`spatial` with each None (variable) size replaced by the kernel's extent, a size the
    geometry accepts; `_variable_axes` then puts the None back in the output."""
    return [(k - 1) * d + 1 if n is None else n
            for n, k, d in zip(spatial, kernel_size, dilation_rate)]


def _variable_axes(out, spatial) -> tuple:
    """Output sizes with None wherever the input size was None (it follows the data)."""
    return tuple(None if n is None else o for o, n in zip(out, spatial))


def _add_bias(z, bias) -> None:
    """z += bias over the channel axis, in place, one long row per sample.

    Broadcasting a (filters,) vector makes NumPy's inner loop only `filters` long; a bias
    tiled along each sample's row makes the add about 2x faster.
    """
    if not z.flags.c_contiguous:  # reshape would copy, and the add would be lost
        z += bias
        return
    rows = z.reshape(z.shape[0], -1)
    rows += backend.get_array_module(z).tile(bias, rows.shape[1] // bias.shape[0])


def _reshape_hint(input_shape, rank: int) -> str:
    """A fix for a convolution input of the wrong rank."""
    if not isinstance(input_shape, tuple):
        return "Give it a single input."
    if rank == 1:
        if len(input_shape) == 1:
            return f"Add a Reshape layer to ({input_shape[0]}, 1) before it."
        if len(input_shape) == 3:
            h, w, c = input_shape
            return (f"For images use Conv2D, or add a Reshape layer to ({h * w}, {c}) "
                    "before it.")
        return "Add a Reshape layer to (steps, channels) before it."
    if len(input_shape) == 2:
        return f"Add a Reshape layer to ({input_shape[0]}, {input_shape[1]}, 1) before it."
    if len(input_shape) == 1:
        side = math.isqrt(input_shape[0])
        if side * side == input_shape[0]:
            return f"Add a Reshape layer to ({side}, {side}, 1) before it."
    return "Add a Reshape layer to (height, width, channels) before it."


class _ConvND(_Conv):
    """Conv1D / Conv2D: im2col, then one matmul with the kernel as (kh*kw*in, filters)."""

    def __init__(self, filters=32, kernel_size=3, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure_conv(
            filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer)

    def weight_specs(self, input_shape):
        shape = (*self.kernel_size, input_shape[-1], self.filters)
        return [WeightSpec("kernel", shape, self.kernel_initializer,
                           regularizer=self.kernel_regularizer), *self._bias_spec(self.filters)]

    def forward(self, x, training=False):
        z = self._one_channel_3x3(x)
        if z is not None:
            return z
        if not (self.inference_only and self._activation.works_in_place):
            return super().forward(x, training)
        # Nothing will go backward from here: build the output in cache-sized blocks and keep
        # nothing (a persistent GradientTape may still need the last training forward's state).
        x4 = x[:, None] if self.RANK == 1 else x
        kernel = self.params["kernel"].reshape(-1, self.filters)
        z = cu.blocked_conv(x4, kernel, self._geometry(x4.shape[1:3]), self._finish_block)
        return z.reshape(x.shape[0], *z.shape[3 - self.RANK:])

    def _one_channel_3x3(self, x):
        """A one-channel 3x3 convolution, stride 1, with its bias and relu/linear in one
        kernel pass (`engine.kernels.conv3x3_one_channel`), or None where that kernel does
        not apply or cannot run. Backward then builds the patches it needs itself."""
        if not self._is_one_channel_3x3(x):
            return None
        geom = self._geometry(x.shape[1:3])
        z = kernels.conv3x3_one_channel(*self._one_channel_arguments(x, geom))
        if z is not None and not self.inference_only:  # inference keeps no state
            self._z = self._y = z  # relu or linear: backward reads either
            self._geom, self._cols, self._patch_source = geom, None, x
        return z

    def _is_one_channel_3x3(self, x) -> bool:
        return (self.RANK == 2 and x.shape[-1] == 1 and tuple(self.kernel_size) == (3, 3)
                and tuple(self.strides) == (1, 1) and tuple(self.dilation_rate) == (1, 1)
                and kernels.usable(x))

    def _one_channel_arguments(self, x, geom) -> tuple:
        """The one-channel kernels' arguments: padded images `(N, H, W)`, the `(9, F)`
        kernel, the bias (or None) and the activation's name."""
        return (cu.pad(x, geom)[..., 0], self.params["kernel"].reshape(9, self.filters),
                self.params["bias"] if self.use_bias else None, self._activation.name)

    def _finish_block(self, z) -> None:
        """Bias and activation on one block of the output, in place."""
        if self._activation.fused_with_bias(z, self.params["bias"] if self.use_bias else None):
            return
        if self.use_bias:
            _add_bias(z, self.params["bias"])
        self._activation.forward_in_place(z)

    _extent = None  # set by `forward_read_by`: the output size computed, when not all

    def _linear(self, x):
        x4 = x[:, None] if self.RANK == 1 else x
        geom = self._geometry(x4.shape[1:3])
        if self._extent is not None:
            geom = dataclasses.replace(geom, out_size=self._extent)
        cols = cu.im2col(x4, geom)  # (N, oh, ow, kh, kw, C)
        self._geom = geom
        self._cols = cols.reshape(-1, math.prod(cols.shape[3:]))
        z = self._cols @ self.params["kernel"].reshape(-1, self.filters)
        return z.reshape(x.shape[0], *geom.out_size[2 - self.RANK:], self.filters)

    def _linear_backward(self, grad_z):
        g2 = grad_z.reshape(-1, self.filters)
        if self._cols is None:  # the forward ran `_one_channel_3x3`
            self._cols = cu.im2col(self._patch_source, self._geom).reshape(g2.shape[0], -1)
            self._patch_source = None
        self._set_grad("kernel", self._cols.T @ g2)  # dL/dW = cols^T g
        if not self.needs_input_gradient:
            return None
        # dL/dx = col2im(g W^T), one kernel position at a time
        kernel = self.params["kernel"]
        dx = cu.col2im_matmul(g2, kernel.reshape(1, *kernel.shape) if self.RANK == 1
                              else kernel, self._geom)
        return dx[:, 0] if self.RANK == 1 else dx


@registry.register("layer")
class Conv1D(_ConvND):
    """1-D convolution over a sequence, `y = activation(conv(x, kernel) + bias)`.

    Args:
        filters: Number of output channels.
        kernel_size: Window length (an int or a 1-tuple).
        strides: Step of the window.
        padding: `"valid"`, `"same"` or `"causal"` (left padding only, so output t never
            sees inputs after t).
        dilation_rate: Spacing between kernel taps.

    Input shape:
        `(steps, channels)`.
    Output shape:
        `(new_steps, filters)`; kernel `(kernel_size, channels, filters)`.
    """

    DESCRIPTION = "1-D convolution over sequences: learned filters slid along time."
    RANK = 1
    PARAMS = (*_window_params(1, ("valid", "same", "causal")), *_bias_params(),
              *_KERNEL_PARAMS)


@registry.register("layer")
class Conv2D(_ConvND):
    """2-D convolution over images, `y = activation(conv(x, kernel) + bias)`.

    Args:
        filters: Number of output channels.
        kernel_size: Window `(height, width)` (an int means a square window).
        strides: Step of the window; not with `dilation_rate` > 1.
        padding: `"valid"` (no padding) or `"same"` (TensorFlow's rule: output
            `ceil(size / stride)`, the odd padded pixel at the bottom/right).
        dilation_rate: Spacing between kernel taps.

    Input shape:
        `(height, width, channels)`.
    Output shape:
        `(new_height, new_width, filters)`; kernel `(kh, kw, channels, filters)`.
    """

    DESCRIPTION = "2-D convolution over images: learned filters slid across the image."
    RANK = 2
    PARAMS = (*_window_params(2, ("valid", "same")), *_bias_params(), *_KERNEL_PARAMS)

    # Conv2D's own, not `_ConvND`'s: Conv2DTranspose inherits from `_ConvND` but its
    # matmul comes before col2im, and neither pass below computes it.
    def forward_pooled(self, x, pool):
        """Inference: this convolution and the tiled max pooling `pool` that alone reads it
        (`engine.relu_pool`), or None where nothing is gained: the two run one after the
        other then. A one-channel 3x3 convolution and a 2x2 pooling run in one kernel pass
        (`engine.kernels.conv3x3_one_channel_pooled`); otherwise only the outputs that some
        window reads are computed (an odd-sized output's last row and column are not)."""
        if getattr(pool, "RANK", None) != 2:
            return None
        geom = self._geometry(x.shape[1:3])
        pooling = pool._geometry_for((*geom.out_size, self.filters))
        if not pooling.tiles:
            return None
        if tuple(pooling.pool) == (2, 2) and self._is_one_channel_3x3(x):
            return kernels.conv3x3_one_channel_pooled(*self._one_channel_arguments(x, geom))
        read = _read_extent(pooling, geom)
        if read is None or not self._activation.works_in_place:
            return None
        # The Keras MNIST convnet's second conv: 10x10 of its 11x11 outputs, 17% less work
        # (predict 5.15 -> 4.55 ms per 128 images, Intel Xeon Sapphire Rapids)
        kernel = self.params["kernel"].reshape(-1, self.filters)
        z = cu.blocked_conv(x, kernel, dataclasses.replace(geom, out_size=read),
                            self._finish_block)
        return pool.forward(z)

    def forward_read_by(self, x, pool, training=False):
        """This convolution's forward (keeping what backward needs) computing only the
        outputs that the tiled max pooling `pool`, its only reader, reads; None where that
        is all of them (`engine.relu_pool`). An odd-sized output's last row and column get
        no gradient, and the three GEMMs of training skip them: the Keras MNIST convnet's
        second conv computes 10x10 of its 11x11 outputs."""
        if getattr(pool, "RANK", None) != 2 or self._is_one_channel_3x3(x):
            return None
        geom = self._geometry(x.shape[1:3])
        self._extent = _read_extent(pool._geometry_for((*geom.out_size, self.filters)), geom)
        if self._extent is None:
            return None
        try:
            return self.forward(x, training)
        finally:
            self._extent = None


def _read_extent(pooling, geom):
    """The conv output size whose every cell a pooling with geometry `pooling` reads (its
    windows' extent), or None when it reads all of them or does not tile."""
    read = tuple(o * p for o, p in zip(pooling.out, pooling.pool))
    return None if not pooling.tiles or read == tuple(geom.out_size) else read
