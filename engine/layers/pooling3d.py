"""3-D pooling over volumes (channels-last): window max/average and global max/average.

The window machinery of `pooling` works over any number of spatial axes (a strided window
view, one vectorised step per window cell, the tiled max fast path of `pooling_tiled` when
windows tile the input, as in the 2x2x2 default); these classes give it three axes and
Keras's 3-D arguments. The global layers reuse `global_pooling`'s mean and first-max.
"""

from .. import registry
from ..errors import ShapeError
from .base import check_rank, format_shape
from .data_format import channels_last, data_format_param
from .global_pooling import _GlobalAveragePooling, _GlobalMaxPooling, _GlobalPooling
from .pooling import _AveragePooling, _geometry, _MaxPooling, _pool_params

__all__ = ["AveragePooling3D", "AvgPool3D", "GlobalAveragePooling3D", "GlobalAvgPool3D",
           "GlobalMaxPool3D", "GlobalMaxPooling3D", "MaxPool3D", "MaxPooling3D"]

HINT = ("It expects (depth, height, width, channels) per sample; add a Reshape layer, e.g. "
        "to (16, 16, 16, 1), before it.")


class _Pooling3D:
    """Window pooling over 3 spatial axes, with Keras's `data_format` argument."""

    RANK = 3
    PARAMS = (*_pool_params(3, (2, 2, 2)), data_format_param())

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, trainable=True, **kwargs):
        super().__init__(pool_size, strides, padding, name=name, trainable=trainable, **kwargs)
        self._configure(data_format=channels_last(self, data_format, self.RANK))

    def _geometry_for(self, input_shape):
        check_rank(self, input_shape, self.RANK + 1, HINT)
        spatial = tuple(input_shape[:-1])
        if self.padding == "valid" and any(n < p for n, p in zip(spatial, self.pool)):
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) with padding='valid' needs every "
                f"spatial size >= pool_size {self.pool}, but received shape "
                f"{format_shape(input_shape)}. Use padding='same' or a smaller pool_size."
            )
        return _geometry(spatial, self.pool, self.stride_steps, self.padding)


@registry.register("layer")
class MaxPooling3D(_Pooling3D, _MaxPooling):
    """Max over 3-D windows of each channel.

    Args:
        pool_size: Window `(depth, height, width)`; an int means a cube. Defaults to
            `(2, 2, 2)`.
        strides: Step between windows; `None` means `pool_size`. Defaults to `None`.
        padding: `"valid"` or `"same"` (padding never wins a max). Defaults to `"valid"`.
        data_format: `"channels_last"` only (`None` means the same).

    Input shape:
        `(batch, depth, height, width, channels)`.
    Output shape:
        `(batch, pooled_depth, pooled_height, pooled_width, channels)`.
    """

    DESCRIPTION = "Keeps the largest value of each 3-D window: halves every axis by default."


@registry.register("layer")
class AveragePooling3D(_Pooling3D, _AveragePooling):
    """Mean over 3-D windows of each channel.

    Keras requires `pool_size`; here it defaults to `(2, 2, 2)` so the GUI palette can
    create the layer without arguments.

    Args:
        pool_size: Window `(depth, height, width)`. Defaults to `(2, 2, 2)`.
        strides: Step between windows; `None` means `pool_size`. Defaults to `None`.
        padding: `"valid"` or `"same"` (averages only the real, non-pad cells).
            Defaults to `"valid"`.
        data_format: `"channels_last"` only (`None` means the same).

    Input shape:
        `(batch, depth, height, width, channels)`.
    Output shape:
        `(batch, pooled_depth, pooled_height, pooled_width, channels)`.
    """

    DESCRIPTION = "Averages each 3-D window: halves every axis by default."


class _GlobalPooling3D:
    """Global pooling over depth, height and width, with Keras's `data_format` argument."""

    RANK = 3
    PARAMS = (data_format_param(), *_GlobalPooling.PARAMS)

    def __init__(self, data_format=None, keepdims=False, name=None, trainable=True, **kwargs):
        super().__init__(keepdims=keepdims, name=name, trainable=trainable, **kwargs)
        self._configure(data_format=channels_last(self, data_format, self.RANK))

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.RANK + 1, HINT)
        return ((1,) * self.RANK if self.keepdims else ()) + (input_shape[-1],)


@registry.register("layer")
class GlobalAveragePooling3D(_GlobalPooling3D, _GlobalAveragePooling):
    """Mean over depth, height and width of each channel.

    Args:
        data_format: `"channels_last"` only (`None` means the same).
        keepdims: Keep the pooled axes with size 1. Defaults to `False`.

    Input shape:
        `(batch, depth, height, width, channels)`.
    Output shape:
        `(batch, channels)`, or `(batch, 1, 1, 1, channels)` with `keepdims=True`.
    """

    DESCRIPTION = "Averages over depth, height and width: one value per channel."


@registry.register("layer")
class GlobalMaxPooling3D(_GlobalPooling3D, _GlobalMaxPooling):
    """Max over depth, height and width of each channel (the first maximum gets the gradient).

    Args:
        data_format: `"channels_last"` only (`None` means the same).
        keepdims: Keep the pooled axes with size 1. Defaults to `False`.

    Input shape:
        `(batch, depth, height, width, channels)`.
    Output shape:
        `(batch, channels)`, or `(batch, 1, 1, 1, channels)` with `keepdims=True`.
    """

    DESCRIPTION = "Largest value over depth, height and width: one value per channel."


# Keras's short names for the same classes (configs and specs use the class names).
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalAvgPool3D, GlobalMaxPool3D = GlobalAveragePooling3D, GlobalMaxPooling3D
