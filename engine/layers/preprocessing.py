"""Preprocessing layers: Rescaling."""

import numpy as np

from .. import backend, registry
from ..params import FLOAT, Param
from .base import Layer

__all__ = ["Rescaling"]


@registry.register("layer")
class Rescaling(Layer):
    """Rescales inputs: `y = x * scale + offset` (e.g. pixels 0..255 to 0..1).

    Keras requires `scale`; here it defaults to `1 / 255` (the common pixel case) so the GUI
    palette can create the layer without arguments. Integer inputs (such as uint8 images)
    are cast to the engine's float type first, as Keras casts to its compute dtype.

    Args:
        scale: The factor. Defaults to `1 / 255`.
        offset: Added after scaling. Defaults to `0.0`.

    Input shape:
        Any.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    CATEGORY = "Core"
    DESCRIPTION = "Multiplies and shifts the inputs, e.g. pixels 0..255 to 0..1."
    PARAMS = (
        Param("scale", FLOAT, 1.0 / 255.0, help="Factor applied to the inputs."),
        Param("offset", FLOAT, 0.0, help="Value added after scaling."),
    )

    def __init__(self, scale=1.0 / 255.0, offset=0.0, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(scale=scale, offset=offset)

    def forward(self, x, training=False):
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(backend.FLOATX)
        # Python floats keep x's dtype (float32 stays float32).
        return x * self.scale + self.offset

    def backward(self, grad):
        # dy/dx = scale.
        return grad * self.scale
