"""Keras's `data_format` argument, for the spatial layers that take it: channels-last only.

The engine keeps every sample channels-last, `(..., channels)`. A layer that takes
`data_format` stores `"channels_last"` (Keras's `None` means the same) and refuses
`"channels_first"` with the Permute that moves the channels last.
"""

from ..errors import SpecError
from ..params import STR, Param

CHANNELS_LAST = "channels_last"


def data_format_param() -> Param:
    """The `data_format` Param: one choice, shown so Keras configs read the same."""
    return Param("data_format", STR, CHANNELS_LAST, choices=(CHANNELS_LAST,),
                 help="Channels as the last axis, (..., channels): the engine's only layout.")


def channels_last(layer, data_format, rank: int) -> str:
    """`"channels_last"` for `None` or `"channels_last"`; a SpecError with the fix otherwise.

    Args:
        layer: The layer being configured (its name goes into the message).
        data_format: The value received.
        rank: Spatial axes of the layer's input (1 for sequences, 3 for volumes).
    """
    if data_format is None or data_format == CHANNELS_LAST:
        return CHANNELS_LAST
    permute = (*range(2, rank + 2), 1)
    raise SpecError(
        f"Layer '{layer.name}' ({type(layer).__name__}) supports only "
        f"data_format='channels_last' (channels as the last axis). Received: "
        f"data_format={data_format!r}. Fix: leave data_format unset and put a "
        f"Permute({permute}) before the layer to move the channels last."
    )
