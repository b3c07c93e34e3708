"""`engine.ops`: Keras 3's `keras.ops` on NumPy and CuPy, each op differentiable.

    from engine import ops
    y = ops.matmul(x, w) + b
    loss = ops.mean(ops.square(y - t))

Every op returns a `Tensor`; inside a GradientTape, ops on tracked values are recorded and
`tape.gradient` differentiates them. Called on symbolic tensors (`engine.Input` and layer
outputs), an op adds an op node to the functional model instead (see
`engine.layers.op_node`): `z = ops.relu(Dense(4)(x)) * 2.0` works as in Keras.
"""

from . import core as _core, nn_api as _nn_api, numpy_api as _numpy_api
from .core import Tensor
from .symbolic_dispatch import dispatching as _dispatching
from .tape import GradientTape

_CORE_OPS = {"absolute": _core.absolute, "add": _core.add, "divide": _core.divide,
             "get_item": _core.get_item, "matmul": _core.matmul, "multiply": _core.multiply,
             "negative": _core.negative, "power": _core.power, "subtract": _core.subtract,
             "true_divide": _core.true_divide}


def _public_ops() -> dict:
    """Every exported op, wrapped so that symbolic arguments make an op node; the spec name
    of `get_item` is `getitem` (the operator's)."""
    found = dict(_CORE_OPS)
    found.update({name: getattr(_numpy_api, name) for name in _numpy_api.__all__})
    found.update({name: getattr(_nn_api, name) for name in _nn_api.__all__})
    return {name: _dispatching("getitem" if name == "get_item" else name, fn)
            for name, fn in found.items()}


_OPS = _public_ops()
globals().update(_OPS)

__all__ = ["GradientTape", "Tensor", *_OPS]
