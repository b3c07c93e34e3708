"""Global pooling: the mean or max over every spatial axis, one value per channel."""

import math

from .. import backend, registry
from ..params import BOOL, Param
from .base import Layer, check_rank
from .pooling import HINTS

__all__ = ["GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D"]


class _GlobalPooling(Layer):
    """Reduces every spatial axis; `keepdims=True` keeps them with size 1."""

    CATEGORY = "Pooling"
    RANK = 2
    PARAMS = (Param("keepdims", BOOL, False,
                    help="Keep the pooled axes with size 1 instead of dropping them."),)

    def __init__(self, keepdims=False, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(keepdims=keepdims)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, self.RANK + 1, HINTS[self.RANK])
        return ((1,) * self.RANK if self.keepdims else ()) + (input_shape[-1],)

    def _pooled_shape(self, x):
        return (x.shape[0],) + self.compute_output_shape(tuple(x.shape[1:]))


class _GlobalAveragePooling(_GlobalPooling):
    def forward(self, x, training=False):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1, x.shape[-1]).mean(axis=1).reshape(
            self._pooled_shape(x))

    def backward(self, grad):
        # y = mean over cells, so every cell gets grad / cells.
        xp = backend.get_array_module(grad)
        n, c = self._shape[0], self._shape[-1]
        cells = math.prod(self._shape[1:-1])
        share = grad.reshape(n, 1, c) / cells
        return xp.broadcast_to(share, (n, cells, c)).reshape(self._shape).copy()  # writable


class _GlobalMaxPooling(_GlobalPooling):
    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        flat = x.reshape(x.shape[0], -1, x.shape[-1])
        self._shape = x.shape
        self._winner = flat.argmax(axis=1)  # first maximum on ties
        pooled = xp.take_along_axis(flat, self._winner[:, None, :], axis=1)
        return pooled.reshape(self._pooled_shape(x))

    def backward(self, grad):
        # Only the winning cell of each channel receives the gradient.
        xp = backend.get_array_module(grad)
        n, c = self._shape[0], self._shape[-1]
        cells = math.prod(self._shape[1:-1])
        onehot = xp.arange(cells)[None, :, None] == self._winner[:, None, :]
        return (onehot * grad.reshape(n, 1, c)).reshape(self._shape)


@registry.register("layer")
class GlobalAveragePooling1D(_GlobalAveragePooling):
    """Mean over all steps of each feature; with a mask, over the unmasked steps only.

    Args:
        keepdims: Keep the steps axis with size 1. Defaults to `False`.

    Input shape:
        `(batch, steps, features)`; `steps` may be None (any length). A mask
        `(batch, steps)` on the input (Embedding `mask_zero`, Masking) leaves the masked
        steps out of the mean, as in Keras (a sample with every step masked gives NaN).
    Output shape:
        `(batch, features)`, or `(batch, 1, features)` with `keepdims=True`. The mask ends
        here.
    """

    RANK = 1
    DESCRIPTION = "Averages over all steps: one value per feature."
    supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def output_has_mask(self, input_has_mask: bool) -> bool:
        return False

    def forward(self, x, training=False, mask=None):
        self._weights = None
        if mask is None:
            return super().forward(x, training)
        # y = sum_t m_t x_t / sum_t m_t
        xp = backend.get_array_module(x)
        m = xp.asarray(mask).astype(x.dtype)[:, :, None]
        self._shape, self._weights = x.shape, m / m.sum(axis=1, keepdims=True)
        return (x * self._weights).sum(axis=1).reshape(self._pooled_shape(x))

    def backward(self, grad):
        if self._weights is None:
            return super().backward(grad)
        # dL/dx_t = m_t / sum m * dL/dy
        n, c = self._shape[0], self._shape[-1]
        return self._weights * grad.reshape(n, 1, c)


@registry.register("layer")
class GlobalAveragePooling2D(_GlobalAveragePooling):
    """Mean over height and width of each channel.

    Args:
        keepdims: Keep height and width with size 1. Defaults to `False`.

    Input shape:
        `(batch, height, width, channels)`.
    Output shape:
        `(batch, channels)`, or `(batch, 1, 1, channels)` with `keepdims=True`.
    """

    RANK = 2
    DESCRIPTION = "Averages over height and width: one value per channel."


@registry.register("layer")
class GlobalMaxPooling1D(_GlobalMaxPooling):
    """Max over all steps of each feature.

    Args:
        keepdims: Keep the steps axis with size 1. Defaults to `False`.

    Input shape:
        `(batch, steps, features)`.
    Output shape:
        `(batch, features)`, or `(batch, 1, features)` with `keepdims=True`.
    """

    RANK = 1
    DESCRIPTION = "Largest value over all steps: one value per feature."


@registry.register("layer")
class GlobalMaxPooling2D(_GlobalMaxPooling):
    """Max over height and width of each channel.

    Args:
        keepdims: Keep height and width with size 1. Defaults to `False`.

    Input shape:
        `(batch, height, width, channels)`.
    Output shape:
        `(batch, channels)`, or `(batch, 1, 1, channels)` with `keepdims=True`.
    """

    RANK = 2
    DESCRIPTION = "Largest value over height and width: one value per channel."
