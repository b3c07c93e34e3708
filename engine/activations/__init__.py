"""Activations: Keras's functions by name, and the forward/backward pairs layers use.

    from engine import activations
    activations.relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0)   # array([0, 0, 0, 5, 5])
    activations.softmax(logits, axis=-1)
    layers.Dense(10, activation="softmax")                           # the same, by name
    activations.get("relu")          # the Activation a layer runs (forward and backward)
    activations.serialize(activations.relu)                          # "relu"
"""

from ..errors import SpecError, describe_choices
from .functions import (FUNCTIONS, elu, exponential, gelu, hard_sigmoid, leaky_relu, linear,
                        log_softmax, mish, relu, relu6, selu, sigmoid, silu, softmax, softplus,
                        softsign, swish, tanh)
from .table import LEAKY_SLOPE, NAMES, SELU_ALPHA, SELU_SCALE, Activation
from .table import get as _named_activation

__all__ = ["LEAKY_SLOPE", "NAMES", "SELU_ALPHA", "SELU_SCALE", "Activation", "deserialize",
           "elu", "exponential", "gelu", "get", "hard_sigmoid", "leaky_relu", "linear",
           "log_softmax", "mish", "relu", "relu6", "selu", "serialize", "sigmoid", "silu",
           "softmax", "softplus", "softsign", "swish", "tanh"]

# The public function objects by identity, so `activation=activations.relu` resolves.
_NAME_OF_FUNCTION = {id(fn): name for name, fn in FUNCTIONS.items()}


def get(identifier) -> Activation:
    """The `Activation` (forward and derivative) for a name (`None` means linear), one of
    this module's functions (`activations.relu`) or an `Activation`.

    Raises:
        SpecError: listing the valid names when the identifier is unknown.
    """
    if callable(identifier) and not isinstance(identifier, Activation):
        name = _NAME_OF_FUNCTION.get(id(identifier))
        if name is None:
            raise SpecError(
                f"Could not interpret activation function identifier: {identifier!r}. "
                "LayerCraft stores activations by name, so only its own functions work here. "
                f"Expected one of: {describe_choices(NAMES)}.")
        identifier = name
    if not isinstance(identifier, (str, Activation, type(None))):
        raise SpecError(f"Could not interpret activation function identifier: {identifier!r}. "
                        f"Expected one of: {describe_choices(NAMES)}.")
    return _named_activation(identifier)


def serialize(activation) -> str:
    """The name of an activation (a name, one of this module's functions or an
    `Activation`), as Keras serializes its built-in activations."""
    return get(activation).name


def deserialize(config):
    """This module's function for a name (as Keras returns a function)."""
    return FUNCTIONS[get(config).name]
