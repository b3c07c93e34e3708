"""Sequential: a model that is a chain of layers (`Sequential([...])`, `.add()`, `.pop()`)."""

from .errors import SpecError
from .graph import ModelGraph, Node
from .layers.base import Layer
from .layers.core import InputLayer
from .model import Model
from .naming import unique_name
from .symbolic import SymbolicTensor


class Sequential(Model):
    """A linear stack of layers.

    The first entry may be `Input(shape)` (or an `InputLayer`); without one the model builds
    on the first data it sees, as Keras does.
    """

    def __init__(self, layers=None, name=None, device="cpu", trainable=True):
        super().__init__(name=name, device=device)
        self._input_layer = None
        self._stack: list[Layer] = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    @classmethod
    def _default_name(cls):
        return "sequential"

    def add(self, layer, rebuild: bool = True) -> None:
        """Appends a layer (or sets the input from `Input(...)` / an `InputLayer`)."""
        if isinstance(layer, SymbolicTensor):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise SpecError("An Input can only be the first entry of a Sequential model.")
            self._input_layer = layer
        elif isinstance(layer, Layer):
            if any(existing.name == layer.name for existing in self._stack):
                raise SpecError(f"Sequential '{self.name}' already has a layer named "
                                f"{layer.name!r}. Layer names must be unique.")
            if layer.MIN_INPUTS > 1:
                raise SpecError(f"Layer '{layer.name}' ({type(layer).__name__}) merges several "
                                "inputs and cannot be used in a Sequential model. Use the "
                                "functional Model instead.")
            self._stack.append(layer)
        else:
            raise SpecError(f"Sequential.add() takes a layer. Received: {layer!r}")
        if rebuild:
            self._rebuild()

    def pop(self) -> Layer:
        if not self._stack:
            raise SpecError(f"Sequential '{self.name}' has no layers to pop.")
        layer = self._stack.pop()
        self._rebuild()
        return layer

    @property
    def layers(self) -> list:
        """The stacked layers (the Input is not listed, as in Keras)."""
        return list(self._stack)

    @property
    def built(self) -> bool:
        return self._graph is not None

    def build(self, input_shape) -> None:
        """Builds for `input_shape` (with or without a leading batch axis of None)."""
        shape = tuple(input_shape)
        if shape and shape[0] is None:
            shape = shape[1:]
        self._input_layer = InputLayer(shape=shape, name=self._input_name())
        self._rebuild()

    def _input_name(self):
        return unique_name("input_layer")

    def _rebuild(self):
        if self._input_layer is None:
            self._graph = None
            return
        nodes = [Node(self._input_layer.name, "Input", {"shape": list(self._input_layer.shape)})]
        previous = self._input_layer.name
        layers = {previous: self._input_layer}
        for layer in self._stack:
            config = {k: v for k, v in layer.get_config().items() if k != "name"}
            nodes.append(Node(layer.name, layer.class_name(), config, [previous]))
            layers[layer.name] = layer
            previous = layer.name
        graph = ModelGraph(nodes, [previous], name=self.name)
        self._set_graph(graph, layers)

    def _require_built(self, x=None):
        if self._graph is None:
            if x is None:
                raise SpecError(f"Sequential '{self.name}' has no Input yet. Start it with "
                                "Input(shape) or call build(input_shape).")
            first = x[0] if isinstance(x, (list, tuple)) else x
            self.build(tuple(first.shape[1:]))

    def standardize_inputs(self, x):
        self._require_built(x)
        return super().standardize_inputs(x)

    def predict(self, x, *args, **kwargs):
        self._require_built(x)
        return super().predict(x, *args, **kwargs)

    def summary(self, *args, **kwargs):
        self._require_built()
        return super().summary(*args, **kwargs)

    def to_spec(self):
        self._require_built()
        return super().to_spec()

    def _all_built_layers(self):
        return self._stack
