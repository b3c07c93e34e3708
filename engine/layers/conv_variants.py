"""Depthwise, separable and transposed convolutions (channels-last, Keras arguments).

DepthwiseConv2D accumulates over kernel positions on a strided window view (no im2col);
SeparableConv2D is a depthwise pass then a 1x1 matmul; Conv2DTranspose is the adjoint of
Conv2D (matmul then col2im), as TensorFlow defines it.
"""

from .. import backend, registry
from ..params import INT, INTS, Param
from . import conv_utils as cu
from .base import WeightSpec
from .conv import _KERNEL_PARAMS, _bias_params, _Conv, _ConvND, _window_params
from .core import initializer_param, regularizer_param

__all__ = ["DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"]


@registry.register("layer")
class DepthwiseConv2D(_Conv):
    """Convolves each input channel with its own `depth_multiplier` filters.

    Output channel `c * depth_multiplier + m` is channel `c` convolved with
    `depthwise_kernel[:, :, c, m]` (TensorFlow's order).

    Input shape:
        `(height, width, channels)`.
    Output shape:
        `(new_height, new_width, channels * depth_multiplier)`.
    """

    DESCRIPTION = "Per-channel 2-D convolution (each channel filtered on its own)."
    PARAMS = (
        *_window_params(2, ("valid", "same"), with_filters=False, dilation=False),
        Param("depth_multiplier", INT, 1, minimum=1, help="Output channels per input channel."),
        Param("dilation_rate", INTS, (1, 1), minimum=1, length=2,
              help="Spacing between kernel taps (atrous convolution)."),
        *_bias_params(),
        initializer_param("depthwise_initializer", "glorot_uniform"),
        initializer_param("bias_initializer", "zeros"),
        regularizer_param("depthwise_regularizer"),
        regularizer_param("bias_regularizer"),
    )

    def __init__(self, kernel_size=3, strides=1, padding="valid", depth_multiplier=1,
                 dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure_conv(
            kernel_size=kernel_size, strides=strides, padding=padding,
            depth_multiplier=depth_multiplier, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer)

    def _out_channels(self, in_channels):
        return in_channels * self.depth_multiplier

    def weight_specs(self, input_shape):
        shape = (*self.kernel_size, input_shape[-1], self.depth_multiplier)
        return [WeightSpec("depthwise_kernel", shape, self.depthwise_initializer,
                           regularizer=self.depthwise_regularizer),
                *self._bias_spec(input_shape[-1] * self.depth_multiplier)]

    def _linear(self, x):
        self._x, self._geom = x, self._geometry(x.shape[1:3])
        return depthwise_forward(x, self.params["depthwise_kernel"], self._geom)

    def _linear_backward(self, grad_z):
        dx, d_kernel = depthwise_backward(self._x, self.params["depthwise_kernel"], grad_z,
                                             self._geom, self.needs_input_gradient)
        self._set_grad("depthwise_kernel", d_kernel)
        return dx


@registry.register("layer")
class SeparableConv2D(_Conv):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution to `filters` channels.

    Weights (Keras order): `depthwise_kernel (kh, kw, in, depth_multiplier)`,
    `pointwise_kernel (1, 1, in * depth_multiplier, filters)`, `bias (filters,)`.

    Input shape:
        `(height, width, channels)`.
    Output shape:
        `(new_height, new_width, filters)`.
    """

    DESCRIPTION = "Depthwise then pointwise convolution: a cheaper Conv2D."
    PARAMS = (
        *_window_params(2, ("valid", "same")),
        Param("depth_multiplier", INT, 1, minimum=1,
              help="Depthwise output channels per input channel."),
        *_bias_params(),
        initializer_param("depthwise_initializer", "glorot_uniform"),
        initializer_param("pointwise_initializer", "glorot_uniform"),
        initializer_param("bias_initializer", "zeros"),
        regularizer_param("depthwise_regularizer"),
        regularizer_param("pointwise_regularizer"),
        regularizer_param("bias_regularizer"),
    )

    def __init__(self, filters=32, kernel_size=3, strides=1, padding="valid", dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure_conv(
            filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            dilation_rate=dilation_rate, depth_multiplier=depth_multiplier,
            activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer)

    def weight_specs(self, input_shape):
        inner = input_shape[-1] * self.depth_multiplier
        return [
            WeightSpec("depthwise_kernel", (*self.kernel_size, input_shape[-1],
                                            self.depth_multiplier),
                       self.depthwise_initializer, regularizer=self.depthwise_regularizer),
            WeightSpec("pointwise_kernel", (1, 1, inner, self.filters),
                       self.pointwise_initializer, regularizer=self.pointwise_regularizer),
            *self._bias_spec(self.filters),
        ]

    def _linear(self, x):
        self._x, self._geom = x, self._geometry(x.shape[1:3])
        u = depthwise_forward(x, self.params["depthwise_kernel"], self._geom)
        self._u = u.reshape(-1, u.shape[-1])
        z = self._u @ self.params["pointwise_kernel"].reshape(-1, self.filters)
        return z.reshape(*u.shape[:-1], self.filters)

    def _linear_backward(self, grad_z):
        g2 = grad_z.reshape(-1, self.filters)
        pointwise = self.params["pointwise_kernel"].reshape(-1, self.filters)
        self._set_grad("pointwise_kernel", self._u.T @ g2)  # dL/dP = u^T g
        du = (g2 @ pointwise.T).reshape(*grad_z.shape[:-1], -1)  # dL/du = g P^T
        dx, d_kernel = depthwise_backward(self._x, self.params["depthwise_kernel"], du,
                                             self._geom, self.needs_input_gradient)
        self._set_grad("depthwise_kernel", d_kernel)
        return dx


@registry.register("layer")
class Conv2DTranspose(_ConvND):
    """Transposed 2-D convolution ("deconvolution"): the adjoint of Conv2D, for upsampling.

    Output size per axis (Keras): valid `(in - 1) * strides + kernel_size` (at least
    `in * strides`), same `in * strides`. The kernel is `(kh, kw, filters, channels)`.

    Input shape:
        `(height, width, channels)`.
    Output shape:
        `(new_height, new_width, filters)`.
    """

    DESCRIPTION = "Transposed convolution: learned upsampling (the adjoint of Conv2D)."
    RANK = 2
    PARAMS = (*_window_params(2, ("valid", "same")), *_bias_params(), *_KERNEL_PARAMS)

    forward = _Conv.forward  # no blocked inference path: its matmul comes before col2im

    def _make_geometry(self, spatial):
        return cu.transpose_geometry(spatial, self.kernel_size, self.strides,
                                     self.dilation_rate, self.padding)

    def compute_output_shape(self, input_shape):
        self._check_input(input_shape)
        return (*self._geometry(input_shape[:-1]).in_size, self.filters)

    def weight_specs(self, input_shape):
        shape = (*self.kernel_size, self.filters, input_shape[-1])
        return [WeightSpec("kernel", shape, self.kernel_initializer,
                           regularizer=self.kernel_regularizer), *self._bias_spec(self.filters)]

    def _linear(self, x):
        _, h, w, channels = x.shape
        self._geom = geom = self._geometry((h, w))
        self._x2 = x.reshape(-1, channels)
        # out = col2im(x W^T): each input pixel scatters a kernel-sized patch
        out = cu.col2im_matmul(self._x2, self.params["kernel"], geom)
        return backend.get_array_module(out).ascontiguousarray(out)  # a padded crop is a view

    def _linear_backward(self, grad_z):
        (h, w), channels = self._geom.out_size, self._x2.shape[-1]
        n = grad_z.shape[0]
        cols = cu.im2col(grad_z, self._geom).reshape(n * h * w, -1)  # adjoint of col2im
        kernel = self.params["kernel"].reshape(-1, channels)
        self._set_grad("kernel", cols.T @ self._x2)  # dL/dW = cols^T x
        if not self.needs_input_gradient:
            return None
        return (cols @ kernel).reshape(n, h, w, channels)  # dL/dx = cols W


def _repeat_channels(x, mult: int):
    """Input channel c repeated `mult` times, so output channel c*M + m reads channel c."""
    return x if mult == 1 else backend.get_array_module(x).repeat(x, mult, axis=-1)


def depthwise_forward(x, kernel, geom: cu.ConvGeometry):
    """Per-channel convolution: `(N, H, W, C)`, kernel `(kh, kw, C, M)` -> `(N, oh, ow, C*M)`.

    out[n, y, x, c*M + m] = sum_ij window[n, y, x, i, j, c] * kernel[i, j, c, m] (TF order).
    Accumulated over the kh * kw kernel positions on the strided window view, no im2col copy.
    """
    xp = backend.get_array_module(x, kernel)
    kh, kw, c, mult = kernel.shape
    flat = kernel.reshape(kh, kw, c * mult)
    view = cu.windows(cu.pad(_repeat_channels(x, mult), geom), geom)
    out = xp.zeros((*view.shape[:3], c * mult), dtype=xp.result_type(x, kernel))
    term = xp.empty_like(out)
    for i in range(kh):
        for j in range(kw):
            xp.multiply(view[:, :, :, i, j], flat[i, j], out=term)
            out += term
    return out


def depthwise_backward(x, kernel, grad, geom: cu.ConvGeometry, need_input: bool = True):
    """Gradients of `depthwise_forward`: returns `(d_input, d_kernel)`.

    `d_input` is None when `need_input` is False (the layer right after the model input).

    d_kernel[i, j, k] = sum_{n,y,x} window[n, y, x, i, j, k] * grad[n, y, x, k] (k = c*M + m);
    d_input scatters grad * kernel[i, j] per kernel position, then sums each channel's M
    copies.
    """
    xp = backend.get_array_module(grad, kernel)
    kh, kw, c, mult = kernel.shape
    flat = kernel.reshape(kh, kw, c * mult)
    view = cu.windows(cu.pad(_repeat_channels(x, mult), geom), geom)
    dtype = xp.result_type(grad, kernel)
    d_kernel = xp.empty(flat.shape, dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            d_kernel[i, j] = xp.einsum("nyxk,nyxk->k", view[:, :, :, i, j], grad)
    if not need_input:
        return None, d_kernel.reshape(kernel.shape)
    d_padded = cu.padded_zeros(grad.shape[0], c * mult, geom, dtype, xp)
    for i in range(kh):
        for j in range(kw):
            rows, columns = cu.window_slices(geom, i, j)
            d_padded[:, rows, columns] += grad * flat[i, j]
    dx = cu.crop(d_padded, geom)
    if mult > 1:
        # Input channel c fed outputs c*M .. c*M + M - 1. Strided slice adds: NumPy's
        # reshape(..., C, M).sum(axis=-1) is ~30x slower for a short M axis.
        dx = sum(dx[..., m::mult] for m in range(mult))
    return dx, d_kernel.reshape(kernel.shape)
