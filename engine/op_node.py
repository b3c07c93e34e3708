"""Op nodes: functional-API arithmetic (`y + x`, `x[:, 1:3]`, `ops.relu(y)`) kept as data.

An op called on symbolic tensors becomes one node of the model graph. In a spec:

    {"name": "add", "class_name": "Op", "inputs": ["dense", "dense_1"],
     "config": {"version": 1, "op": "add",
                "arguments": {"x1": {"input": 0}, "x2": {"input": 1}}}}

`op` is the public name of an `engine.ops` function, resolved only against the allow-list
in `engine.ops.op_table` (never imported or looked up by a name from a file); `getitem` is
the `x[key]` operator. `arguments` are the call's arguments by name: the node's inputs where
`{"input": k}` stands, constants as JSON (`engine.op_arguments` lists the encoding).
`version` is this schema's version (1); a newer one is refused with a message.

The node is a call-based Layer: its `call` runs the op with `engine.ops`, so inside `fit()`
it runs under the layer's private tape and its backward is the ops' VJPs. Output shapes come
from running the op once on small arrays of ones (the batch axis must stay axis 0).
"""

import inspect

import numpy as np

from . import registry
from .errors import ShapeError, SpecError
from .layers.base import Layer
from .naming import unique_name
from .op_arguments import check_arguments, decode, encode_call
from .ops.core import array_module, value_of
from .ops.op_table import op_function, op_names

#: The op-node schema version this engine writes and reads.
OP_NODE_VERSION = 1
_TRIALS = ((2, 5), (3, 7))  # (batch size, size of a None dimension) of the two shape trials


@registry.register("layer")
class Op(Layer):
    """An `engine.ops` function applied to the node's inputs, with constant arguments.

    Args:
        op: The op's name in `engine.ops` (`"add"`, `"mean"`, `"getitem"`...).
        arguments: The op's arguments by name, as JSON data (see `engine.op_arguments`);
            defaults to the op's inputs in order (`x1`, `x2` for `add`).
        version: The schema version of this config (1).
    """

    CLASS_NAME = "Op"
    CATEGORY = "Ops"
    DESCRIPTION = "An engine.ops function (add, mean, x[:, 1:3]...) applied to its inputs."
    MIN_INPUTS, MAX_INPUTS = 1, None
    IN_PALETTE = False  # the palette lists one block per op (engine.op_catalog) instead

    def __init__(self, op="add", arguments=None, version=OP_NODE_VERSION, name=None,
                 **kwargs):
        if not isinstance(op, str):
            raise SpecError(f"Op node: 'op' must be an op name (a string). Received: {op!r}")
        super().__init__(name=name or unique_name(op), **kwargs)
        where = f"Op node '{self.name}'"
        if version != OP_NODE_VERSION:
            raise SpecError(f"{where} has schema version {version!r}; this LayerCraft reads "
                            f"version {OP_NODE_VERSION}. Update LayerCraft to open it.")
        self._fn = op_function(op)
        if self._fn is None:
            raise SpecError(f"{where}: unknown op {op!r}. An op node may only name one of the "
                            f"engine.ops functions: {', '.join(op_names())}.")
        if arguments is None:
            from .op_catalog import default_arguments  # noqa: PLC0415 - catalog imports us

            arguments = default_arguments(op)
        self.op, self.arguments = op, arguments
        self._signature = inspect.signature(self._fn)
        # How many inputs this node reads is in its arguments, so it is per instance.
        self.MIN_INPUTS, variadic = check_arguments(op, self._fn, arguments, where)
        self.MAX_INPUTS = None if variadic else self.MIN_INPUTS

    def get_config(self) -> dict:
        return {"name": self.name, "version": OP_NODE_VERSION, "op": self.op,
                "arguments": self.arguments}

    def takes_list(self, count: int) -> bool:
        return True  # `call` always gets the list of the node's inputs

    def call(self, inputs):
        xp = array_module(*[value_of(x) for x in inputs])
        bound = {name: decode(value, inputs, xp) for name, value in self.arguments.items()}
        args, kwargs = _call_arguments(self._signature, bound)
        out = self._fn(*args, **kwargs)
        return list(out) if isinstance(out, (list, tuple)) else out

    def compute_output_shape(self, input_shape):
        """Runs the op on ones at two batch sizes; dims that change with a None input dim
        are None."""
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        trials = [self._trial(shapes, batch, size) for batch, size in _TRIALS]
        first, second = trials
        if isinstance(first, list):
            return [_merge(a, b) for a, b in zip(first, second)]
        return _merge(first, second)

    def _trial(self, shapes, batch, size):
        arrays = [np.ones((batch, *[size if d is None else d for d in s[1:]]), np.float32)
                  for s in shapes]
        try:
            with np.errstate(all="ignore"):
                out = self.call(arrays)
        except Exception as exc:
            raise ShapeError(f"Op node '{self.name}' (ops.{self.op}) cannot take inputs of "
                             f"shape {', '.join(str(tuple(s)) for s in shapes)}: "
                             f"{type(exc).__name__}: {exc}") from None
        outs = out if isinstance(out, list) else [out]
        for o in outs:
            shape = tuple(int(d) for d in np.shape(value_of(o)))
            if not shape or shape[0] != batch:
                raise ShapeError(
                    f"Op node '{self.name}' (ops.{self.op}) would not keep the batch axis "
                    f"first: on a batch of {batch} it gives shape {shape}. In a model every "
                    "tensor starts with the batch axis; reduce or move only the other axes "
                    "(e.g. axis=-1, or axes that keep 0 first).")
        results = [(None, *shape_of(o)[1:]) for o in outs]
        return results if isinstance(out, list) else results[0]


def shape_of(value) -> tuple:
    return tuple(int(d) for d in np.shape(value_of(value)))


def _merge(a, b):
    return tuple(x if x == y else None for x, y in zip(a, b))


def _call_arguments(signature, bound) -> tuple[tuple, dict]:
    """(args, kwargs) for the op from arguments by name (`*operands` spread out)."""
    ordered = {name: bound[name] for name in signature.parameters if name in bound}
    call = inspect.BoundArguments(signature, ordered)
    return call.args, call.kwargs


def op_node_call(op: str, fn, args, kwargs):
    """`ops.<op>(*args, **kwargs)` with symbolic tensors among the arguments: a new op node
    called on them (its symbolic output, or a list for an op with several outputs)."""
    from .symbolic import SymbolicTensor, call_symbolic  # noqa: PLC0415 - symbolic imports us

    arguments, tensors = encode_call(op, fn, args, kwargs,
                                     lambda v: isinstance(v, SymbolicTensor))
    return call_symbolic(Op(op=op, arguments=arguments), tensors)
