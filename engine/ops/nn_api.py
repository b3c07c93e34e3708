"""Keras's neural-network ops (`keras.ops.nn`): gathered here from the `nn_*` modules."""

from . import nn_activations, nn_conv, nn_losses, nn_norm, nn_pooling
from .nn_activations import *  # noqa: F403 - each module lists its ops in __all__
from .nn_conv import *  # noqa: F403
from .nn_losses import *  # noqa: F403
from .nn_norm import *  # noqa: F403
from .nn_pooling import *  # noqa: F403

__all__: list[str] = sorted({*nn_activations.__all__, *nn_conv.__all__, *nn_losses.__all__,
                             *nn_norm.__all__, *nn_pooling.__all__})
