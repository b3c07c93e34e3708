"""Masking: marks the timesteps whose features all equal `mask_value` as padding."""

from .. import registry
from ..backend import get_array_module
from ..params import FLOAT, Param
from .base import Layer

__all__ = ["Masking"]


@registry.register("layer")
class Masking(Layer):
    """Masks every timestep whose features all equal `mask_value`, as `keras.layers.Masking`.

    The output is the input with masked timesteps set to 0, and it carries a mask
    `(batch, timesteps)`, True where a step keeps data, that mask-aware layers after it use:
    RNNs skip those steps (keeping their state), global pooling leaves them out.

    Args:
        mask_value: The padding value. Defaults to `0.0`.

    Input shape:
        `(timesteps, features)` (any rank: the last axis is the features).
    Output shape:
        Same as the input.
    """

    CATEGORY = "Core"
    DESCRIPTION = "Skips padded timesteps (all features equal to mask_value) in later layers."
    PARAMS = (Param("mask_value", FLOAT, 0.0,
                    help="Timesteps whose features all equal this value are padding."),)
    supports_masking = True

    def __init__(self, mask_value=0.0, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(mask_value=mask_value)

    def compute_mask(self, inputs, previous_mask=None):
        """True where any feature differs from `mask_value` (a step with data)."""
        return (inputs != self.mask_value).any(axis=-1)

    def output_has_mask(self, input_has_mask: bool) -> bool:
        return True

    def forward(self, x, training=False):
        # y = x where the step keeps data, else 0
        xp = get_array_module(x)
        self._keep = (x != self.mask_value).any(axis=-1, keepdims=True)
        return xp.where(self._keep, x, xp.zeros((), dtype=x.dtype))

    def backward(self, grad):
        # dy/dx = 1 on kept steps, 0 on masked ones
        return grad * self._keep
