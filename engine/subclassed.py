"""Subclassed models: `class M(engine.Model)` with layers made in `__init__` and a `call`.

Eagerly, `model(x)` runs `call` (define-by-run: recorded while a GradientTape records).
For fit/evaluate/predict the model builds, on its first data or `build(input_shape)`, a
small graph: its Inputs feeding one node whose layer (`SubclassedCall`) runs `call` under a
private tape. Every other part of Model (the flat parameter buffer, the optimizer step,
predict's batching, checkpoints' weights) then works unchanged; `model.layers` lists the
layers `__init__` assigned, as Keras does.
"""

import numpy as np

from .errors import SpecError
from .graph import ModelGraph, Node
from .graph_refs import output_refs
from .layers import custom
from .layers.base import Layer
from .layers.core import InputLayer
from .naming import unique_name


class SubclassedCall(Layer):
    """The graph node of a subclassed model: its `call`, with the model's layers tracked."""

    MAX_INPUTS = None

    def __init__(self, model):
        super().__init__(name=model.name)
        self._model = model

    def call(self, inputs, training=None, mask=None):
        return invoke_model_call(self._model, inputs, training=training, mask=mask)

    def _tracked_sublayers(self) -> list:
        return tracked_layers(self._model)

    def _own_loss_terms(self) -> list:
        return list(vars(self._model).get("_call_losses", ()))

    def takes_list(self, count: int) -> bool:
        return count > 1

    def class_name(self) -> str:  # the spec names the user's class, not this adapter
        return type(self._model).__name__

    def get_config(self) -> dict:
        return {"name": self._model.name}


def is_subclassed(model) -> bool:
    """Whether `model`'s class defines its own `call` (functional/Sequential ones do not)."""
    from .model import Model  # noqa: PLC0415 - model imports this module

    return type(model).call is not Model.call


def tracked_layers(model) -> list:
    """Layers and models assigned as attributes of `model` (lists and dicts too), in order."""
    from .model import Model  # noqa: PLC0415

    found = []

    def add(value):
        if isinstance(value, (Layer, Model)) and value is not model:
            if not any(value is f for f in found):
                found.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(item)
        elif isinstance(value, dict):
            for item in value.values():
                add(item)

    for key, value in vars(model).items():
        if not key.startswith("_") and key not in ("optimizer", "history"):
            add(value)
    return found


def invoke_model_call(model, inputs, training=False, mask=None):
    """`model.call(inputs, ...)` with the keywords its signature takes."""
    takes_training, takes_mask = custom.call_arguments(type(model))
    model._call_losses = []  # Keras: `losses` holds what the last call added
    for layer in model._weight_layers():
        layer._call_losses = []
    kwargs = {}
    if takes_training:
        kwargs["training"] = bool(training)
    if takes_mask and mask is not None:
        kwargs["mask"] = mask
    return model.call(inputs, **kwargs)


def eager_call(model, x, training=False, mask=None):
    """`model(x)`: `call` on Tensors (float data as float32), define-by-run."""
    return invoke_model_call(model, custom.as_call_input(x), training=training, mask=mask)


# ----- building the graph fit/predict run ---------------------------------------------------------
def build(model, input_shape) -> None:
    """Builds from Keras's `input_shape` (batch axis first), or a list of them."""
    shapes = input_shape if isinstance(input_shape, list) else [input_shape]
    batchless = []
    for shape in shapes:
        shape = tuple(shape)
        if len(shape) < 2:
            raise SpecError(f"Model '{model.name}': build() takes the input shape with the "
                            f"batch axis first, e.g. model.build((None, 784)). Received: "
                            f"{shape}.")
        batchless.append(tuple(None if d is None else int(d) for d in shape[1:]))
    _make_graph(model, batchless)


def build_for_data(model, x) -> None:
    """Builds from the first data `model` receives (arrays, a list of them, or a dataset)."""
    if model._graph is not None or not is_subclassed(model):
        return
    arrays = _first_arrays(x)
    _make_graph(model, [tuple(int(d) for d in np.shape(a)[1:]) for a in arrays])


def _first_arrays(x) -> list:
    if hasattr(x, "arrays") and hasattr(x, "cardinality"):  # an engine Dataset
        x = x.arrays[0]
    elif hasattr(x, "cardinality") and hasattr(x, "__iter__"):
        item = next(iter(x))
        x = item[0] if isinstance(item, (tuple, list)) else item
    if isinstance(x, dict):
        raise SpecError("A subclassed model takes its inputs as an array or a list of "
                        "arrays; dict inputs are not supported. Pass a list in call()'s order.")
    items = list(x) if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape") else [x]
    for item in items:
        if np.ndim(item) < 1:
            raise SpecError("A subclassed model builds from data with a batch axis first, "
                            f"e.g. shape (samples, 784). Received shape {np.shape(item)}.")
    return items


def _make_graph(model, shapes) -> None:
    inputs = [InputLayer(shape=s, name=unique_name("input_layer")) for s in shapes]
    node_layer = SubclassedCall(model)
    in_shape = shapes if len(shapes) > 1 else shapes[0]
    out_shape = node_layer.output_shape_for(in_shape)
    count = len(out_shape) if isinstance(out_shape, list) else 1
    nodes = [Node(i.name, "Input", {"shape": list(i.shape)}) for i in inputs]
    nodes.append(Node(node_layer.name, node_layer.class_name(), {}, [i.name for i in inputs]))
    layers = {i.name: i for i in inputs}
    layers[node_layer.name] = node_layer
    graph = ModelGraph(nodes, output_refs(node_layer.name, count), name=model.name)
    model._set_graph(graph, layers)
    if model.compiled and getattr(model, "_compile_args", None):
        model._attach_compiled()
