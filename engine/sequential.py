"""Sequential: a model that is a chain of layers (`Sequential([...])`, `.add()`, `.pop()`).

As in Keras, a Sequential without an Input is not built: it has no weights until it builds
from the shape of the first data it sees (`fit`, `evaluate`, `predict`, a call) or from
`build(batch_shape)`. `compile()` works before that. `Input(shape)` first, or Keras's
`input_shape=` on the first layer, builds it at once.
"""

from itertools import pairwise

import numpy as np

from .errors import SpecError
from .graph import ModelGraph, Node
from .layers.base import Layer, format_shape
from .layers.core import InputLayer
from .layers.input_args import split_batch_shape
from .model import Model
from .naming import unique_name
from .summary import HOW_TO_BUILD, print_unbuilt_summary
from .symbolic import SymbolicTensor


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: Layers to stack; the first may be `Input(shape)` (or an `InputLayer`).
        name: The model's name; defaults to `sequential`, `sequential_1`...
        device: `"cpu"`, `"gpu"` or `"auto"`.
    """

    _builds_later = True  # compile() may come before the graph exists

    def __init__(self, layers=None, name=None, device="cpu", trainable=True):
        super().__init__(name=name, device=device)
        self._input_layer = None
        self._input_from_arg = None  # the layer whose `input_shape=` made the Input
        self._stack: list[Layer] = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    @classmethod
    def _default_name(cls):
        return "sequential"

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> "Sequential":
        """A Sequential (fresh weights) from `get_config()` of a model that is a chain."""
        from .models import check_spec_classes  # noqa: PLC0415 - models imports this module
        from .saving.spec_classes import resolving  # noqa: PLC0415 - saving imports models

        with resolving(custom_objects):  # classes in custom_objects resolve while building
            check_spec_classes(config, call="Sequential.from_config(config, custom_objects=...)")
            return cls._from_chain(config)

    @classmethod
    def _from_chain(cls, config: dict) -> "Sequential":
        graph = ModelGraph.from_spec(config)
        order = graph.topological_order()
        nodes = [graph.nodes[name] for name in order]
        chain = (len(graph.input_names) == 1 and nodes[0].class_name == "Input"
                 and graph.outputs == [order[-1]]
                 and all(n.inputs == [p.name] and not n.shares for p, n in pairwise(nodes)))
        if not chain:
            raise SpecError(f"Model '{graph.name}' is not a chain of layers (one Input, each "
                            "layer feeding the next), so it cannot be a Sequential. Use "
                            "Model.from_config(config) instead.")
        return cls([graph.make_layer(node) for node in nodes], name=graph.name)

    # ----- the stack -----------------------------------------------------------------------
    def add(self, layer, rebuild: bool = True) -> None:
        """Appends a layer (or sets the input from `Input(...)` / an `InputLayer`)."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            self._set_input_layer(layer)
        elif isinstance(layer, Layer):
            self._append(layer)
        else:
            raise SpecError(self._not_a_layer_message(layer))
        if rebuild:
            try:
                self._rebuild()
            except Exception:
                self._undo_add(layer)
                raise

    def _set_input_layer(self, layer):
        if self._input_layer is not None:
            raise SpecError(f"Sequential model '{self.name}' has already been configured to use "
                            f"input shape {format_shape(tuple(self._input_layer.shape))}. You "
                            "cannot add a different Input layer to it.")
        if self._stack:
            raise SpecError(f"An Input can only be the first entry of Sequential model "
                            f"'{self.name}', which already has {len(self._stack)} layers. Start "
                            "a new Sequential with the Input, or call build(batch_shape).")
        self._input_layer = layer

    def _append(self, layer):
        if any(existing.name == layer.name for existing in self._stack):
            raise SpecError(f"All layers added to a Sequential model should have unique names. "
                            f"Name '{layer.name}' is already the name of a layer in model "
                            f"'{self.name}'. Update the `name` argument to pass a unique name.")
        if layer.MIN_INPUTS > 1:
            raise SpecError(f"Layer '{layer.name}' ({type(layer).__name__}) merges several "
                            "inputs and cannot be used in a Sequential model. Use the "
                            "functional Model instead.")
        # Keras's legacy habit: `input_shape=` on the first layer declares the model's Input;
        # on any later layer it is ignored, as Keras ignores it.
        if not self._stack and self._input_layer is None and layer._input_shape_arg:
            self._input_layer = InputLayer(shape=layer._input_shape_arg,
                                           batch_size=layer._batch_size_arg,
                                           name=unique_name("input_layer"))
            self._input_from_arg = layer
        self._stack.append(layer)

    def _undo_add(self, layer):
        if self._stack and self._stack[-1] is layer:
            self._stack.pop()
        if layer is self._input_layer or layer is self._input_from_arg:
            self._input_layer = self._input_from_arg = None
        self._rebuild()

    def _not_a_layer_message(self, value) -> str:
        if isinstance(value, Model):
            return (f"Model '{value.name}' cannot be nested in Sequential model '{self.name}': "
                    "LayerCraft does not nest models yet. Add its layers instead "
                    "(for layer in other.layers: model.add(layer)).")
        return (f"Only layers can be added to Sequential model '{self.name}'. Received: "
                f"{value!r} (of type {type(value).__name__})")

    def pop(self, rebuild: bool = True) -> Layer:
        """Removes the last layer and returns it (the Input stays)."""
        if not self._stack:
            raise SpecError(f"Sequential model '{self.name}' has no layers to pop.")
        layer = self._stack.pop()
        if rebuild:
            self._rebuild()
        return layer

    @property
    def layers(self) -> list:
        """The stacked layers (the Input is not listed, as in Keras)."""
        return list(self._stack)

    # ----- building ------------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return self._graph is not None

    def build(self, input_shape=None) -> None:
        """Builds the model for `input_shape`, the batch shape as in Keras: `(None, 784)`.

        Raises:
            SpecError: without layers, for a shape without a batch axis, or for a shape other
                than the one the model already has.
        """
        if not self._stack:
            raise SpecError(f"Sequential model {self.name} cannot be built because it has no "
                            "layers. Call `model.add(layer)`.")
        if input_shape is None:
            if self._input_layer is None:
                raise SpecError(f"Sequential model '{self.name}' needs the input shape to build, "
                                "with the batch axis first: model.build((None, 784)).")
            self._rebuild()
            return
        shape, batch_size = split_batch_shape(f"Sequential model '{self.name}'", "input_shape",
                                              input_shape)
        if self._input_layer is not None:
            self._check_same_input(shape, input_shape)
            if self._graph is None:
                self._rebuild()
            return
        self._input_layer = InputLayer(shape=shape, batch_size=batch_size,
                                       name=unique_name("input_layer"))
        try:
            self._rebuild()
        except Exception:
            self._input_layer = None  # still unbuilt, rather than half built
            self._rebuild()
            raise

    def _check_same_input(self, shape, input_shape):
        if tuple(self._input_layer.shape) != tuple(shape):
            raise SpecError(f"Sequential model '{self.name}' has already been configured to use "
                            f"input shape {format_shape(tuple(self._input_layer.shape))}. You "
                            f"cannot build it with input_shape {tuple(input_shape)}.")

    def _build_for_data(self, x) -> None:
        """Builds from the shape of `x` (arrays or a dataset) the first time data comes."""
        if self._graph is not None:
            return
        if self._input_layer is not None:
            self._rebuild()
            return
        if not self._stack:
            raise SpecError(f"Sequential model '{self.name}' has no layers. Add some with "
                            "model.add(layer) before calling it on data.")
        self.build((None, *_sample_shape_of(x, self.name)))

    def _rebuild(self):
        if self._input_layer is None:
            self._graph, self._symbolic = None, None
            return
        nodes = [Node(self._input_layer.name, "Input", {"shape": list(self._input_layer.shape)})]
        previous = self._input_layer.name
        layers = {previous: self._input_layer}
        for layer in self._stack:
            config = {k: v for k, v in layer.get_config().items() if k != "name"}
            nodes.append(Node(layer.name, layer.class_name(), config, [previous]))
            layers[layer.name] = layer
            previous = layer.name
        self._set_graph(ModelGraph(nodes, [previous], name=self.name), layers)
        if self.compiled:
            self._attach_compiled()  # the loss and metrics follow the new output

    def _how_to_build(self) -> str:
        return f"It is not built yet: {HOW_TO_BUILD}"

    def summary(self, *args, **kwargs):
        if self._graph is None:
            return print_unbuilt_summary(self, *args, **kwargs)
        return super().summary(*args, **kwargs)

    def to_spec(self):
        if self._graph is None:
            raise SpecError(f"Sequential model '{self.name}' has no Input to save yet. "
                            f"{self._how_to_build()}")
        return super().to_spec()


def _sample_shape_of(x, name) -> tuple:
    """Shape of one sample (no batch axis) of the first input in `x`."""
    first = x
    if hasattr(first, "arrays") and hasattr(first, "cardinality"):  # an engine Dataset
        first = first.arrays[0]
    elif hasattr(first, "cardinality") and hasattr(first, "__iter__"):  # another dataset
        item = next(iter(first))
        first = item[0] if isinstance(item, (tuple, list)) else item
    if isinstance(first, dict):
        first = next(iter(first.values()), None)
    elif isinstance(first, (list, tuple)) and first and hasattr(first[0], "shape"):
        first = first[0]
    shape = tuple(getattr(first, "shape", None) or np.shape(first))
    if len(shape) < 2:
        raise SpecError(f"Sequential model '{name}' builds from the first data it receives, "
                        "which must have a batch axis first, e.g. shape (samples, 784). "
                        f"Received: data of shape {shape}.")
    return tuple(int(d) for d in shape[1:])
