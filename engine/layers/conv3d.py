"""Conv3D: convolution over volumes `(depth, height, width, channels)`, channels-last.

It runs as Conv1D and Conv2D do, im2col then one BLAS matmul, through the N-D helpers in
`conv_utils_nd`; it shares `_Conv`'s validation, bias and fused activation.
"""

import math

from .. import registry
from ..errors import ShapeError
from . import conv_utils_nd as nd
from .base import WeightSpec, format_shape
from .conv import _KERNEL_PARAMS, _bias_params, _Conv, _window_params
from .data_format import channels_last, data_format_param

__all__ = ["Conv3D"]

_PADDINGS = ("valid", "same")


@registry.register("layer")
class Conv3D(_Conv):
    """3-D convolution over volumes, `y = activation(conv(x, kernel) + bias)`.

    Keras requires `filters` and `kernel_size`; here they default to `32` and `3` so the
    palette can create the layer without arguments. Keras's `groups` is not supported.

    Args:
        filters: Number of output channels. Defaults to `32`.
        kernel_size: Window `(depth, height, width)`; an int means a cube. Defaults to `3`.
        strides: Step of the window; not with `dilation_rate` > 1. Defaults to `1`.
        padding: `"valid"` or `"same"` (TensorFlow's rule: output `ceil(size / stride)`,
            the odd padded voxel after). Defaults to `"valid"`.
        data_format: `"channels_last"` only (`None` means the same).
        dilation_rate: Spacing between kernel taps. Defaults to `1`.

    Input shape:
        `(depth, height, width, channels)`.
    Output shape:
        `(new_depth, new_height, new_width, filters)`; kernel `(kd, kh, kw, channels,
        filters)`.
    """

    DESCRIPTION = "3-D convolution over volumes (scans, video): filters slid along 3 axes."
    RANK = 3
    PARAMS = (*_window_params(3, _PADDINGS, dilation=False), data_format_param(),
              _window_params(3, _PADDINGS)[-1], *_bias_params(), *_KERNEL_PARAMS)

    def __init__(self, filters=32, kernel_size=3, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure_conv(
            filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=channels_last(self, data_format, self.RANK),
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer)

    # ----- shapes -----------------------------------------------------------------------------
    def _check_input(self, input_shape) -> None:
        if isinstance(input_shape, tuple) and len(input_shape) == 4:
            return
        raise ShapeError(
            f"Layer '{self.name}' (Conv3D) expects an input of rank 4 (depth, height, width, "
            f"channels), but received shape {format_shape(input_shape)}. "
            f"{_reshape_hint(input_shape)}"
        )

    def compute_output_shape(self, input_shape):
        self._check_input(input_shape)
        out = self._geometry(input_shape[:-1]).out_size
        if min(out) <= 0:
            raise ShapeError(
                f"Layer '{self.name}' (Conv3D): the input {format_shape(input_shape)} is too "
                f"small for the kernel: kernel_size={self.kernel_size}, dilation_rate="
                f"{self.dilation_rate}, padding='{self.padding}' would give an output of size "
                f"{out}. Use padding='same', a smaller kernel_size or dilation_rate, or a "
                "larger input."
            )
        return (*out, self.filters)

    def weight_specs(self, input_shape):
        shape = (*self.kernel_size, input_shape[-1], self.filters)
        return [WeightSpec("kernel", shape, self.kernel_initializer,
                           regularizer=self.kernel_regularizer), *self._bias_spec(self.filters)]

    # ----- computation ------------------------------------------------------------------------
    def _linear(self, x):
        self._geom = geom = self._geometry(x.shape[1:-1])
        cols = nd.im2col_nd(x, geom)  # (N, od, oh, ow, kd, kh, kw, C)
        self._cols = cols.reshape(-1, math.prod(cols.shape[4:]))
        z = self._cols @ self.params["kernel"].reshape(-1, self.filters)
        return z.reshape(x.shape[0], *geom.out_size, self.filters)

    def _linear_backward(self, grad_z):
        g2 = grad_z.reshape(-1, self.filters)
        self._set_grad("kernel", self._cols.T @ g2)  # dL/dW = cols^T g
        if not self.needs_input_gradient:
            return None
        # dL/dx = col2im(g W^T), one kernel position at a time
        return nd.col2im_matmul_nd(g2, self.params["kernel"], self._geom)


def _reshape_hint(input_shape) -> str:
    """A fix for a Conv3D input of the wrong rank."""
    if isinstance(input_shape, tuple) and len(input_shape) == 3:
        return f"Add a Reshape layer to ({', '.join(map(str, input_shape))}, 1) before it."
    return "Add a Reshape layer to (depth, height, width, channels) before it."
