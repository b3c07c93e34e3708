"""One error hierarchy for the whole engine.

Every message is written for a person: it names the layer, file or argument, says what was
expected and what was received, and where a fix is known it says the fix.
"""


class LayerCraftError(Exception):
    """Base of every error the engine raises on purpose."""


class SpecError(LayerCraftError, ValueError):
    """A model spec, a config or a constructor argument is not valid."""


class ShapeError(LayerCraftError, ValueError):
    """A tensor shape does not fit where it is used."""


class DataError(LayerCraftError, ValueError):
    """Input data (arrays or files) cannot be used as given."""


class CheckpointError(LayerCraftError):
    """A saved model or checkpoint file cannot be written or read safely."""


class TrainingError(LayerCraftError, RuntimeError):
    """Training cannot start or continue (not compiled, labels do not fit the loss...)."""


class DeviceError(LayerCraftError, RuntimeError):
    """The requested compute device is not available."""


def describe_choices(choices) -> str:
    """Formats a list of valid values for an error message."""
    return ", ".join(repr(c) for c in choices)
