"""Symbolic tensors for the functional API: `x = Input((8,)); y = Dense(4)(x); Model(x, y)`.

Every symbolic call of a layer is recorded on the layer as a `CallNode` (Keras's
`layer._inbound_nodes`), so `layer.input` / `layer.output` give the tensors of its first call,
as in Keras. Built models (Sequential, or rebuilt from a spec) record their layers' calls too.

Operators on symbolic tensors (`y + x`, `2.0 * y`, `-y`, `y ** 2`, `a @ b`, `x[:, 1:3]`,
`y < 0`) make op nodes, as `engine.ops` functions do on them (see `engine.op_node`).
"""

from dataclasses import dataclass

from .errors import SpecError

#: What every layer computes in (the engine's floatx).
FLOATX = "float32"


class SymbolicTensor:
    """A placeholder for a layer's output: its shape and dtype, and how it was made.

    `shape` includes the batch axis (`None` unless an `Input` fixed `batch_size`), as a
    `KerasTensor`'s does; `sample_shape` is the engine's shape without the batch axis.
    """

    def __init__(self, shape, layer, inputs, node_name, dtype=FLOATX, batch_size=None,
                 index=0):
        self.sample_shape = tuple(shape)
        self.layer = layer
        self.inputs = list(inputs)
        self.node_name = node_name
        self.dtype = dtype
        self.batch_size = batch_size
        self.index = index  # which output of its call (LSTM return_state: 0, 1, 2)
        self.origin = None  # the CallNode that made it, shared by all outputs of one call

    @property
    def shape(self) -> tuple:
        return (self.batch_size, *self.sample_shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def name(self) -> str:
        return self.node_name if self.index == 0 else f"{self.node_name}:{self.index}"

    def __repr__(self):
        dims = ", ".join(map(str, self.shape))
        return f"<SymbolicTensor shape=({dims}), dtype={self.dtype}, name={self.node_name}>"

    # ----- operators: each one an op node (Keras's KerasTensor operators) ---------------------
    # `ndarray + SymbolicTensor` must reach __radd__, not broadcast over an object array.
    __array_ufunc__ = None
    __hash__ = object.__hash__  # tensors are told apart by identity (no __eq__ override)

    def __add__(self, other):
        return _op("add", self, other)

    def __radd__(self, other):
        return _op("add", other, self)

    def __sub__(self, other):
        return _op("subtract", self, other)

    def __rsub__(self, other):
        return _op("subtract", other, self)

    def __mul__(self, other):
        return _op("multiply", self, other)

    def __rmul__(self, other):
        return _op("multiply", other, self)

    def __truediv__(self, other):
        return _op("divide", self, other)

    def __rtruediv__(self, other):
        return _op("divide", other, self)

    def __matmul__(self, other):
        return _op("matmul", self, other)

    def __rmatmul__(self, other):
        return _op("matmul", other, self)

    def __pow__(self, other):
        return _op("power", self, other)

    def __rpow__(self, other):
        return _op("power", other, self)

    def __neg__(self):
        return _op("negative", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _op("absolute", self)

    def __getitem__(self, key):
        return _op("getitem", self, key)

    def __lt__(self, other):
        return _op("less", self, other)

    def __le__(self, other):
        return _op("less_equal", self, other)

    def __gt__(self, other):
        return _op("greater", self, other)

    def __ge__(self, other):
        return _op("greater_equal", self, other)

    def __iter__(self):
        raise TypeError(f"A symbolic tensor ({self.node_name}) cannot be iterated: it has no "
                        "values yet. Index it (x[:, 0]) or use ops.split / ops.unstack.")


def _op(name, *args):
    """An operator's op node (engine.op_node imports layers, which import this module)."""
    from .op_node import op_node_call  # noqa: PLC0415
    from .ops.op_table import op_function  # noqa: PLC0415

    return op_node_call(name, op_function(name), args, {})


@dataclass
class CallNode:
    """One symbolic call of a layer: the tensors it took and the tensors it gave."""

    input_tensors: list
    output_tensors: list


def record_call(layer, inputs: list, output) -> None:
    """Remembers a symbolic call on `layer` (the first one answers `layer.output`);
    `output` is its tensor, or the list of them for a layer with several outputs."""
    if "_inbound_nodes" not in vars(layer):
        layer._inbound_nodes = []
    outputs = list(output) if isinstance(output, list) else [output]
    node = CallNode(list(inputs), outputs)
    for tensor in outputs:
        tensor.origin = node
    layer._inbound_nodes.append(node)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,  # noqa: N802
          batch_shape=None, name=None, tensor=None, optional=False):
    """Declares a model input, as `keras.Input`: returns its symbolic tensor.

    Args:
        shape: Shape of one sample, without the batch axis, e.g. `(28, 28)`.
        batch_size: Optional fixed batch size (shown in `tensor.shape`; the engine runs any
            batch size).
        dtype: Data type of the input, e.g. `"float32"` or `"int32"`. Defaults to
            `"float32"`. Inputs are fed to the layers as float32 whatever it says.
        batch_shape: Shape including the batch axis, instead of `shape` and `batch_size`.
        name: The input's name, unique in a model.
        sparse, ragged, tensor, optional: Accepted as Keras spells them, and refused
            with a message when set, since LayerCraft has no such inputs.
    """
    from .layers.core import InputLayer  # noqa: PLC0415 - core imports this module

    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       ragged=ragged, batch_shape=batch_shape, input_tensor=tensor,
                       optional=optional, name=name)
    return input_tensor_of(layer)


def input_tensor_of(input_layer) -> SymbolicTensor:
    """The symbolic tensor an `InputLayer` stands for (made once, on first request)."""
    nodes = vars(input_layer).get("_inbound_nodes")
    if nodes:
        return nodes[0].output_tensors[0]
    tensor = SymbolicTensor(input_layer.shape, input_layer, [], input_layer.name,
                            dtype=input_layer.dtype, batch_size=input_layer.batch_size)
    record_call(input_layer, [], tensor)
    return tensor


def call_symbolic(layer, inputs):
    """Records `layer(inputs)` in the functional graph and returns its symbolic output."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    for item in items:
        if not isinstance(item, SymbolicTensor):
            raise SpecError(f"Layer '{layer.name}' was called on a mix of symbolic tensors "
                            f"and arrays ({type(item).__name__}).")
    shapes = [t.sample_shape for t in items]
    out_shape = layer.output_shape_for(shapes if layer.takes_list(len(shapes)) else shapes[0])
    calls = getattr(layer, "_symbolic_calls", 0)
    layer._symbolic_calls = calls + 1
    node_name = layer.name if calls == 0 else f"{layer.name}_call_{calls}"
    output = _output_tensors(out_shape, layer, items, node_name)
    record_call(layer, items, output)
    return output


def _output_tensors(out_shape, layer, inputs, node_name):
    """The symbolic output of one call: a tensor, or a list for a list of shapes."""
    batch_size = _common_batch_size(inputs)
    if not isinstance(out_shape, list):
        return SymbolicTensor(out_shape, layer, inputs, node_name, batch_size=batch_size)
    return [SymbolicTensor(shape, layer, inputs, node_name, batch_size=batch_size, index=i)
            for i, shape in enumerate(out_shape)]


def _common_batch_size(tensors):
    sizes = {t.batch_size for t in tensors}
    return sizes.pop() if len(sizes) == 1 else None


def trace_graph_calls(model) -> tuple[list, list]:
    """Symbolic tensors for a built model's graph, recorded on its layers as calls.

    Used for models not made from symbolic calls (a Sequential, a model read from a spec),
    so that `model.inputs`, `model.outputs` and `layer.output` exist for them as in Keras.
    Input nodes reuse their InputLayer's tensor, so tensors from earlier builds still lead
    back to the same inputs.

    Returns:
        (input tensors, output tensors), in the model's input and output order.
    """
    tensors = {}
    for name, layer, parents in model._plan:
        owner = model._owners[name]
        if not parents:
            tensors[name] = input_tensor_of(owner)
            continue
        inputs = [tensors[p] for p in parents]
        refs = model.node_output_refs(name)
        shapes = [model.node_shape(r) for r in refs]
        output = _output_tensors(shapes if len(refs) > 1 else shapes[0], owner, inputs, name)
        record_call(owner, inputs, output)
        tensors.update(zip(refs, output if isinstance(output, list) else [output]))
    return ([tensors[n] for n in model.input_names], [tensors[n] for n in model.output_names])


def node_attribute(layer, attr: str, what: str):
    """`layer.input` / `layer.output`: the tensors of the first call, as Keras returns them."""
    nodes = vars(layer).get("_inbound_nodes")
    if not nodes:
        raise AttributeError(
            f"The layer {layer.name} has never been called and thus has no defined {what}. "
            f"Call it on a symbolic tensor (y = layer(Input(shape))) or put it in a model "
            "that has an Input (or is built).")
    values = getattr(nodes[0], attr)
    return values[0] if len(values) == 1 else values
