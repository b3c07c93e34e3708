"""`engine.ops`: Keras 3's `keras.ops` on NumPy and CuPy, each op differentiable.

    from engine import ops
    y = ops.matmul(x, w) + b
    loss = ops.mean(ops.square(y - t))

Every op returns a `Tensor`; inside a GradientTape, ops on tracked values are recorded and
`tape.gradient` differentiates them.
"""

from .core import Tensor, absolute, add, divide, get_item, matmul, multiply, negative, power
from .core import subtract, true_divide
from .tape import GradientTape
from .numpy_api import *  # noqa: F403 - the numpy-style set, listed in numpy_api.__all__
from .nn_api import *  # noqa: F403 - the nn set, listed in nn_api.__all__
from . import numpy_api as _numpy_api, nn_api as _nn_api

__all__ = ["GradientTape", "Tensor", "absolute", "add", "divide", "get_item", "matmul",
           "multiply", "negative", "power", "subtract", "true_divide",
           *_numpy_api.__all__, *_nn_api.__all__]
