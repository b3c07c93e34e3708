"""How `engine.ops` sees symbolic tensors: an op called on one becomes an op node.

`engine.ops.relu(x)` on arrays or Tensors computes (and records under a tape). On a
`SymbolicTensor` from `engine.Input` (anywhere in the arguments, lists included, as in
`ops.concatenate([a, b])`) it adds an op node to the functional graph instead, as Keras's
ops do on a `KerasTensor`. Only the public `engine.ops` namespace is wrapped: the engine's
own modules import the op modules directly and pay nothing.
"""

import functools

from ..symbolic import SymbolicTensor
from .op_table import NOT_NODES


def has_symbolic(value) -> bool:
    """Whether `value` is, or holds (in lists, tuples or dict values), a SymbolicTensor."""
    if isinstance(value, SymbolicTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(has_symbolic(v) for v in value)
    if isinstance(value, dict):
        return any(has_symbolic(v) for v in value.values())
    return False


def dispatching(name: str, fn):
    """`fn`, but an op node named `name` when any argument is symbolic."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if has_symbolic(args) or has_symbolic(kwargs):
            return symbolic_call(name, fn, args, kwargs)
        return fn(*args, **kwargs)

    op.__wrapped_op__ = name  # noqa: B010 - tells tests (and readers) which op it dispatches
    return op


def symbolic_call(name, fn, args, kwargs):
    """The op on symbolic arguments: answered (shape, ndim), refused, or an op node."""
    if name in ("shape", "ndim"):
        tensor = args[0] if args else next(iter(kwargs.values()))
        return tensor.shape if name == "shape" else tensor.ndim
    if name in NOT_NODES:
        from ..errors import SpecError  # noqa: PLC0415

        raise SpecError(f"ops.{name} cannot take a symbolic tensor (from Input or a layer "
                        f"call): {NOT_NODES[name]}. Use it inside a layer's call(), where "
                        "it sees real values.")
    from ..op_node import op_node_call  # noqa: PLC0415 - op_node imports engine.ops

    return op_node_call(name, fn, args, kwargs)
