"""Symbolic tensors for the functional API: `x = Input((8,)); y = Dense(4)(x); Model(x, y)`."""

from .errors import SpecError
from .layers.core import InputLayer


class SymbolicTensor:
    """A placeholder for a layer's output: its shape (no batch axis) and how it was made."""

    def __init__(self, shape, layer, inputs, node_name):
        self.shape = tuple(shape)
        self.layer = layer
        self.inputs = list(inputs)
        self.node_name = node_name

    def __repr__(self):
        dims = ", ".join(["None", *map(str, self.shape)])
        return f"<SymbolicTensor shape=({dims}) from '{self.node_name}'>"


def Input(shape=None, batch_size=None, dtype=None, name=None, **kwargs):  # noqa: N802 - Keras
    """Declares a model input of `shape` (without the batch axis), as `keras.Input`."""
    if shape is None:
        raise SpecError("Input needs a `shape`, e.g. Input((28, 28)).")
    layer = InputLayer(shape=shape, name=name, **kwargs)
    return SymbolicTensor(layer.shape, layer, [], layer.name)


def call_symbolic(layer, inputs):
    """Records `layer(inputs)` in the functional graph and returns its symbolic output."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    for item in items:
        if not isinstance(item, SymbolicTensor):
            raise SpecError(f"Layer '{layer.name}' was called on a mix of symbolic tensors "
                            f"and arrays ({type(item).__name__}).")
    shapes = [t.shape for t in items]
    out_shape = layer.compute_output_shape(shapes if layer.MAX_INPUTS != 1 else shapes[0])
    calls = getattr(layer, "_symbolic_calls", 0)
    layer._symbolic_calls = calls + 1
    node_name = layer.name if calls == 0 else f"{layer.name}_call_{calls}"
    return SymbolicTensor(out_shape, layer, items, node_name)
