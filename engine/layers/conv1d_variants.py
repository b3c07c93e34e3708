"""Depthwise, separable and transposed 1-D convolutions (channels-last, Keras arguments).

Each runs as its 2-D twin in `conv_variants` over a height-1 image, as Conv1D runs as
Conv2D: the sequence `(N, L, C)` is viewed as `(N, 1, L, C)` and each Keras-layout kernel
`(k, ...)` as `(1, k, ...)`. Both are views, so nothing is copied; the 2-D code (strided
window views, col2im) does the work and the result drops the height axis again.
"""

from .. import backend, registry
from ..params import INT, Param
from . import conv_utils as cu
from .conv import _KERNEL_PARAMS, _bias_params, _window_params
from .conv_variants import (
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
    depthwise_backward,
    depthwise_forward,
)
from .core import initializer_param, regularizer_param
from .data_format import channels_last, data_format_param

__all__ = ["Conv1DTranspose", "DepthwiseConv1D", "SeparableConv1D"]

_PADDINGS = ("valid", "same")


def _dilation_param():
    """Conv1D's `dilation_rate` Param (Keras puts it after `data_format`)."""
    return _window_params(1, _PADDINGS)[-1]


def _params_from(name: str, params: tuple) -> tuple:
    """The Params of `params` from the one called `name` on (a 2-D twin's tail)."""
    names = [p.name for p in params]
    return params[names.index(name):]


def _drop_height(x):
    """`(N, 1, L, C)` -> `(N, L, C)` (a view); None stays None (no input gradient)."""
    return None if x is None else x[:, 0]


def _depthwise_1d(layer, x):
    """The depthwise pass of a 1-D layer, keeping what `_depthwise_1d_backward` needs."""
    layer._x, layer._geom = x[:, None], layer._geometry((1, x.shape[1]))
    kernel = layer.params["depthwise_kernel"][None]  # (k, C, M) -> (1, k, C, M)
    return depthwise_forward(layer._x, kernel, layer._geom)[:, 0]


def _depthwise_1d_backward(layer, grad):
    """dL/dx of the depthwise pass; fills the depthwise kernel's gradient."""
    kernel = layer.params["depthwise_kernel"][None]
    dx, d_kernel = depthwise_backward(layer._x, kernel, grad[:, None], layer._geom,
                                      layer.needs_input_gradient)
    layer._set_grad("depthwise_kernel", d_kernel)
    return _drop_height(dx)


@registry.register("layer")
class DepthwiseConv1D(DepthwiseConv2D):
    """Convolves each channel of a sequence with its own `depth_multiplier` filters.

    Output channel `c * depth_multiplier + m` is channel `c` convolved with
    `depthwise_kernel[:, c, m]` (Keras's order). Keras requires `kernel_size`; here it
    defaults to `3` so the palette can create the layer without arguments.

    Args:
        kernel_size: Window length. Defaults to `3`.
        strides: Step of the window; not with `dilation_rate` > 1. Defaults to `1`.
        padding: `"valid"` or `"same"` (output `ceil(steps / strides)`). Defaults to
            `"valid"`.
        depth_multiplier: Output channels per input channel. Defaults to `1`.
        data_format: `"channels_last"` only (`None` means the same).
        dilation_rate: Spacing between kernel taps. Defaults to `1`.

    Input shape:
        `(steps, channels)`.
    Output shape:
        `(new_steps, channels * depth_multiplier)`; kernel `(kernel_size, channels,
        depth_multiplier)`.
    """

    DESCRIPTION = "Per-channel 1-D convolution (each channel filtered on its own)."
    RANK = 1
    PARAMS = (
        *_window_params(1, _PADDINGS, with_filters=False, dilation=False),
        Param("depth_multiplier", INT, 1, minimum=1, help="Output channels per input channel."),
        data_format_param(),
        _dilation_param(),
        *_bias_params(),
        initializer_param("depthwise_initializer", "glorot_uniform"),
        initializer_param("bias_initializer", "zeros"),
        regularizer_param("depthwise_regularizer"),
        regularizer_param("bias_regularizer"),
    )

    def __init__(self, kernel_size=3, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(
            kernel_size=kernel_size, strides=strides, padding=padding,
            depth_multiplier=depth_multiplier, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
            name=name, trainable=trainable, **kwargs)
        self._configure(data_format=channels_last(self, data_format, self.RANK))

    def _linear(self, x):
        return _depthwise_1d(self, x)

    def _linear_backward(self, grad_z):
        return _depthwise_1d_backward(self, grad_z)


@registry.register("layer")
class SeparableConv1D(SeparableConv2D):
    """Depthwise 1-D convolution followed by a pointwise (size-1) convolution to `filters`.

    Weights (Keras order and layouts): `depthwise_kernel (kernel_size, channels,
    depth_multiplier)`, `pointwise_kernel (1, channels * depth_multiplier, filters)`,
    `bias (filters,)`.

    Args:
        filters: Number of output channels. Defaults to `32`.
        kernel_size: Window length. Defaults to `3`.
        strides: Step of the window; not with `dilation_rate` > 1. Defaults to `1`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        data_format: `"channels_last"` only (`None` means the same).
        dilation_rate: Spacing between kernel taps. Defaults to `1`.
        depth_multiplier: Depthwise output channels per input channel. Defaults to `1`.

    Input shape:
        `(steps, channels)`.
    Output shape:
        `(new_steps, filters)`.
    """

    DESCRIPTION = "Depthwise then pointwise 1-D convolution: a cheaper Conv1D."
    RANK = 1
    PARAMS = (
        *_window_params(1, _PADDINGS, dilation=False),
        data_format_param(),
        _dilation_param(),
        *_params_from("depth_multiplier", SeparableConv2D.PARAMS),  # activation, weights
    )

    def __init__(self, filters=32, kernel_size=3, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(
            filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            dilation_rate=dilation_rate, depth_multiplier=depth_multiplier,
            activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
            name=name, trainable=trainable, **kwargs)
        self._configure(data_format=channels_last(self, data_format, self.RANK))

    def weight_specs(self, input_shape):
        depthwise, pointwise, *bias = super().weight_specs(input_shape)
        pointwise.shape = pointwise.shape[1:]  # Keras's 1-D layout: (1, in * M, filters)
        return [depthwise, pointwise, *bias]

    def _linear(self, x):
        u = _depthwise_1d(self, x)  # (N, L', C * M)
        self._u = u.reshape(-1, u.shape[-1])
        z = self._u @ self.params["pointwise_kernel"].reshape(-1, self.filters)
        return z.reshape(*u.shape[:-1], self.filters)

    def _linear_backward(self, grad_z):
        g2 = grad_z.reshape(-1, self.filters)
        pointwise = self.params["pointwise_kernel"].reshape(-1, self.filters)
        self._set_grad("pointwise_kernel", self._u.T @ g2)  # dL/dP = u^T g
        du = (g2 @ pointwise.T).reshape(*grad_z.shape[:-1], -1)  # dL/du = g P^T
        return _depthwise_1d_backward(self, du)


@registry.register("layer")
class Conv1DTranspose(Conv2DTranspose):
    """Transposed 1-D convolution: the adjoint of Conv1D, for upsampling sequences.

    Output length (Keras): valid `steps * strides + max(kernel_size - strides, 0)` (with the
    dilated kernel size), same `steps * strides`. The kernel is `(kernel_size, filters,
    channels)`. Keras's `output_padding` is not supported.

    Args:
        filters: Number of output channels. Defaults to `32`.
        kernel_size: Window length. Defaults to `3`.
        strides: Upsampling step; not with `dilation_rate` > 1. Defaults to `1`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        data_format: `"channels_last"` only (`None` means the same).
        dilation_rate: Spacing between kernel taps. Defaults to `1`.

    Input shape:
        `(steps, channels)`.
    Output shape:
        `(new_steps, filters)`.
    """

    DESCRIPTION = "Transposed 1-D convolution: learned upsampling of sequences."
    RANK = 1
    PARAMS = (*_window_params(1, _PADDINGS, dilation=False), data_format_param(),
              _dilation_param(), *_bias_params(), *_KERNEL_PARAMS)

    def __init__(self, filters=32, kernel_size=3, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(
            filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            name=name, trainable=trainable, **kwargs)
        self._configure(data_format=channels_last(self, data_format, self.RANK))

    def _make_geometry(self, spatial):
        return cu.transpose_geometry(spatial, self._as_2d(self.kernel_size),
                                     self._as_2d(self.strides),
                                     self._as_2d(self.dilation_rate), self.padding)

    def compute_output_shape(self, input_shape):
        self._check_input(input_shape)
        return (self._geometry((1, input_shape[0])).in_size[1], self.filters)

    def _linear(self, x):
        self._geom = geom = self._geometry((1, x.shape[1]))
        self._x2 = x.reshape(-1, x.shape[-1])
        # out = col2im(x W^T) with the kernel seen as (1, k, filters, channels)
        out = cu.col2im_matmul(self._x2, self.params["kernel"][None], geom)[:, 0]
        return backend.get_array_module(out).ascontiguousarray(out)

    def _linear_backward(self, grad_z):
        return _drop_height(super()._linear_backward(grad_z[:, None]))
