"""ONNX for convolutions and pooling: Conv1D/2D/3D, their transposed, depthwise and separable
variants, max and average pooling (1-D to 3-D) and global pooling.

The engine is channels-last and ONNX's Conv and Pool are channels-first, so each layer
transposes its input to `(batch, channels, *spatial)`, runs the ONNX operator and transposes
back (a graph optimizer may cancel the pairs between neighbouring layers). Kernels
move from Keras's `(*kernel, in, out)` to ONNX's `(out, in, *kernel)`. Padding is Keras's:
"same" puts the odd padded cell after, which ONNX spells as explicit pads (or `SAME_UPPER`
when a spatial size is variable), "causal" pads only before.
"""

import numpy as np

from .. import backend
from ..layers import conv_utils as cu
from . import onnx_activations as act


def _spatial_rank(call) -> int:
    return call.rank - 2


def _channels_first(g, x, k):
    return g.transpose(x, (0, k + 1, *range(1, k + 1)))


def _channels_last(g, x, k):
    return g.transpose(x, (0, *range(2, k + 2), 1))


def _onnx_kernel(kernel, k):
    """Keras `(*kernel, a, b)` -> ONNX `(b, a, *kernel)` (Conv: a=in, b=out; ConvTranspose's
    Keras `(*kernel, out, in)` gives ONNX's `(in, out, *kernel)` alike)."""
    return np.transpose(backend.to_numpy(kernel), (k + 1, k, *range(k)))


def _padding_attrs(call, kernel, strides, dilation, padding) -> dict:
    """Keras `padding` as ONNX attributes for a Conv or a Pool over the first input."""
    spatial = call.shape[:-1]
    if padding == "valid":
        return {"pads": [0] * (2 * len(spatial))}
    if padding == "same" and any(n is None for n in spatial):
        return {"auto_pad": "SAME_UPPER"}  # TensorFlow's rule, on the run-time size
    amounts = [cu.padding_amounts(n, k, s, padding, d)
               for n, k, s, d in zip(spatial, kernel, strides, dilation)]
    return {"pads": [a for a, _ in amounts] + [b for _, b in amounts]}


def _window(layer, k) -> tuple:
    """(kernel_size, strides, dilation_rate) as k-tuples."""
    dilation = tuple(getattr(layer, "dilation_rate", (1,) * k))
    return tuple(layer.kernel_size), tuple(layer.strides), dilation


def _finish(g, call, y, k):
    """Back to channels-last, then the layer's activation."""
    return act.apply(g, call.layer.activation, _channels_last(g, y, k))


def _conv_inputs(g, call, weight, bias_key="bias"):
    inputs = [_channels_first(g, call.x, _spatial_rank(call)), g.floats(weight, "kernel")]
    if call.layer.use_bias:
        inputs.append(g.weight(call.layer.params[bias_key], "bias"))
    return inputs


# ----- convolutions -----------------------------------------------------------------------
def conv(g, call):
    layer, k = call.layer, _spatial_rank(call)
    kernel, strides, dilation = _window(layer, k)
    y = g.op("Conv", _conv_inputs(g, call, _onnx_kernel(layer.params["kernel"], k)),
             kernel_shape=list(kernel), strides=list(strides), dilations=list(dilation),
             **_padding_attrs(call, kernel, strides, dilation, layer.padding))
    return _finish(g, call, y, k)


def _depthwise_weight(kernel, k):
    """Keras `(*kernel, C, M)` -> ONNX `(C * M, 1, *kernel)`: output c*M + m reads channel c."""
    kernel = backend.to_numpy(kernel)
    channels, mult = kernel.shape[-2:]
    moved = np.transpose(kernel, (k, k + 1, *range(k)))
    return moved.reshape(channels * mult, 1, *kernel.shape[:k])


def _depthwise(g, call, inputs):
    layer, k = call.layer, _spatial_rank(call)
    kernel, strides, dilation = _window(layer, k)
    return g.op("Conv", inputs, kernel_shape=list(kernel), strides=list(strides),
                dilations=list(dilation), group=int(call.shape[-1]),
                **_padding_attrs(call, kernel, strides, dilation, layer.padding))


def depthwise_conv(g, call):
    k = _spatial_rank(call)
    weight = _depthwise_weight(call.layer.params["depthwise_kernel"], k)
    return _finish(g, call, _depthwise(g, call, _conv_inputs(g, call, weight)), k)


def separable_conv(g, call):
    # depthwise (no bias), then a 1x1 convolution to `filters` channels with the bias
    layer, k = call.layer, _spatial_rank(call)
    depthwise = _depthwise_weight(layer.params["depthwise_kernel"], k)
    x = _channels_first(g, call.x, k)
    u = _depthwise(g, call, [x, g.floats(depthwise, "depthwise_kernel")])
    pointwise = backend.to_numpy(layer.params["pointwise_kernel"])
    weight = np.transpose(pointwise.reshape((1,) * k + pointwise.shape[-2:]),
                          (k + 1, k, *range(k)))
    inputs = [u, g.floats(weight, "pointwise_kernel")]
    if layer.use_bias:
        inputs.append(g.weight(layer.params["bias"], "bias"))
    y = g.op("Conv", inputs, kernel_shape=[1] * k)
    return _finish(g, call, y, k)


def conv_transpose(g, call):
    """Keras's transposed convolution: TensorFlow's conv input gradient.

    The full ONNX output `(in - 1) * s + extent` is cropped by `max(extent - s, 0)` for
    "same" (the smaller half first), and extended by `max(s - extent, 0)` zeros when the
    kernel is shorter than the stride, giving Keras's `in * s` or
    `in * s + max(extent - s, 0)`.
    """
    layer, k = call.layer, _spatial_rank(call)
    kernel, strides, dilation = _window(layer, k)
    extents = [cu.dilated_size(n, d) for n, d in zip(kernel, dilation)]
    crops = [max(e - s, 0) if layer.padding == "same" else 0 for e, s in zip(extents, strides)]
    y = g.op("ConvTranspose", _conv_inputs(g, call, _onnx_kernel(layer.params["kernel"], k)),
             kernel_shape=list(kernel), strides=list(strides), dilations=list(dilation),
             pads=[c // 2 for c in crops] + [c - c // 2 for c in crops],
             output_padding=[max(s - e, 0) for e, s in zip(extents, strides)])
    return _finish(g, call, y, k)


# ----- pooling ----------------------------------------------------------------------------
def _pool(op_type, **extra):
    def convert(g, call):
        layer, k = call.layer, _spatial_rank(call)
        pool, strides = tuple(layer.pool), tuple(layer.stride_steps)
        y = g.op(op_type, [_channels_first(g, call.x, k)], kernel_shape=list(pool),
                 strides=list(strides), **extra,
                 **_padding_attrs(call, pool, strides, (1,) * k, layer.padding))
        return _channels_last(g, y, k)
    return convert


def _global_pool(op_type):
    def convert(g, call):
        axes = list(range(1, call.rank - 1))
        return g.reduce(op_type, call.x, axes, keepdims=call.layer.keepdims)
    return convert


_CONVS = {name: conv for name in ("Conv1D", "Conv2D", "Conv3D")}
_VARIANTS = {
    "DepthwiseConv1D": depthwise_conv, "DepthwiseConv2D": depthwise_conv,
    "SeparableConv1D": separable_conv, "SeparableConv2D": separable_conv,
    "Conv1DTranspose": conv_transpose, "Conv2DTranspose": conv_transpose,
}
_POOLS = {
    **{f"MaxPooling{d}D": _pool("MaxPool") for d in (1, 2, 3)},
    # padded cells are not counted in an average, as in Keras
    **{f"AveragePooling{d}D": _pool("AveragePool", count_include_pad=0) for d in (1, 2, 3)},
    **{f"GlobalMaxPooling{d}D": _global_pool("ReduceMax") for d in (1, 2, 3)},
    **{f"GlobalAveragePooling{d}D": _global_pool("ReduceMean") for d in (1, 2, 3)},
}
CONVERTERS = {**_CONVS, **_VARIANTS, **_POOLS}
