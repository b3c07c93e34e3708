"""What makes a model functional: tracing `Model(inputs, outputs)` into a graph, and the
Keras surface over it (`model.inputs`, `model.outputs`, `get_layer`, `to_json`)."""

import json

from .errors import SpecError
from .graph import ModelGraph, Node
from .graph_refs import output_ref
from .symbolic import SymbolicTensor


class SurfaceMixin:
    """`model.inputs` / `outputs` / `input` / `output`, `get_layer`, `get_config` /
    `from_config` and `to_json`, on Model."""

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or at `index` in `model.layers` (as Keras's `get_layer`)."""
        if index is not None and name is not None:
            raise SpecError(f"Provide only a layer name or a layer index. Received: "
                            f"index={index}, name={name}.")
        layers = self.layers
        if index is not None:
            if len(layers) <= index:
                raise SpecError(f"Was asked to retrieve layer at index {index} but model "
                                f"'{self.name}' only has {len(layers)} layers.")
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            raise SpecError(f"No such layer: {name}. Existing layers are: "
                            f"{[layer.name for layer in layers]}.")
        raise SpecError("Provide either a layer name or layer index at `get_layer`, e.g. "
                        "model.get_layer('dense') or model.get_layer(index=0).")

    # ----- symbolic surface (`model.inputs`, `model.outputs`) --------------------------------
    @property
    def inputs(self) -> list:
        """The model's input tensors (symbolic, batch axis `None`), as a list."""
        return list(self._symbolic_tensors("inputs")[0])

    @property
    def outputs(self) -> list:
        """The model's output tensors (symbolic), as a list."""
        return list(self._symbolic_tensors("outputs")[1])

    @property
    def input(self):
        """The input tensor, or the list of them for a model with several inputs."""
        inputs = self.inputs
        return inputs[0] if len(inputs) == 1 else inputs

    @property
    def output(self):
        """The output tensor, or the list of them for a model with several outputs."""
        outputs = self.outputs
        return outputs[0] if len(outputs) == 1 else outputs

    def _symbolic_tensors(self, what):
        if self._symbolic is None:
            raise AttributeError(f"{type(self).__name__} model '{self.name}' has no defined "
                                 f"{what} yet. {self._how_to_build()}")
        return self._symbolic

    def _how_to_build(self) -> str:
        return "Give it inputs and outputs: Model(inputs=Input(shape), outputs=...)."

    def get_config(self) -> dict:
        """The model's spec (`to_spec()`); `Model.from_config` rebuilds it with fresh weights."""
        return self.to_spec()

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """A model (fresh weights, not compiled) from `get_config()`; classes come only from
        the engine's registry (see `engine.models.model_from_json` for `custom_objects`)."""
        from .models import check_spec_classes  # noqa: PLC0415 - models imports this module
        from .saving.spec_classes import resolving  # noqa: PLC0415 - saving imports models

        with resolving(custom_objects):  # classes in custom_objects resolve while building
            check_spec_classes(config)
            return cls.from_spec(config)

    def to_json(self, **kwargs) -> str:
        """The spec (`to_spec()`) as a JSON string; `kwargs` go to `json.dumps` (e.g. indent).

        `engine.models.model_from_json` rebuilds the model (with fresh weights).
        """
        return json.dumps(self.to_spec(), **kwargs)


def trace_functional(inputs, outputs, name):
    """Walks back from `outputs` to `inputs`.

    Node names are per graph: a layer's first call is named after the layer, later calls
    `<layer>_call_<k>` and share its weights (so a layer reused from another model keeps its
    name here).

    Returns:
        (graph, layers by node name, (input tensors, output tensors)).
    """
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    for t in (*ins, *outs):
        if not isinstance(t, SymbolicTensor):
            raise SpecError(f"Model(inputs, outputs) needs symbolic tensors from Input(...) and "
                            f"layer calls. Received: {type(t).__name__}")
    names, nodes, layers, calls = {}, {}, {}, {}

    def ref(tensor):  # which output of which node: "lstm", "lstm:1"
        return output_ref(names[_call_key(tensor)], tensor.index)

    def visit(tensor):
        if _call_key(tensor) in names:
            return
        for parent in tensor.inputs:
            visit(parent)
        layer = tensor.layer
        count = calls.get(id(layer), 0)
        calls[id(layer)] = count + 1
        node_name = layer.name if count == 0 else f"{layer.name}_call_{count}"
        if count and not getattr(layer, "SHAREABLE", True):
            raise SpecError(f"'{layer.name}' is called {count + 1} times in model '{name}'; a "
                            f"{layer.class_name()} node cannot share its weights between two "
                            "calls in one model yet. Call a second copy, or call its layers "
                            "twice instead.")
        if node_name in nodes:
            raise SpecError(f"The name '{layer.name}' is used 2 times in model '{name}'. All "
                            "layer names should be unique: pass a different `name=` to one.")
        names[_call_key(tensor)] = node_name
        nodes[node_name] = Node(node_name, layer.class_name(),
                                {k: v for k, v in layer.get_config().items() if k != "name"},
                                [ref(p) for p in tensor.inputs],
                                None if count == 0 else layer.name)
        layers[node_name] = layer

    for t in outs:
        visit(t)
    for t in ins:
        if _call_key(t) not in names:
            raise SpecError(f"Input '{t.node_name}' is not used to compute any output of model "
                            f"'{name}'. Remove it from `inputs` or use it.")
    input_order = [names[_call_key(t)] for t in ins]
    ordered = [nodes[n] for n in input_order] + [n for k, n in nodes.items()
                                                 if k not in input_order]
    graph = ModelGraph(ordered, [ref(t) for t in outs], name=name)
    return graph, layers, (ins, outs)


def _call_key(tensor):
    """One key per layer call, shared by all its output tensors (LSTM output and states)."""
    return id(tensor.origin) if tensor.origin is not None else id(tensor)


# The node classes a functional graph holds besides layers: registered here, where the graph
# is made, so a spec naming them always reads (`Op`: arithmetic and ops; `Model`: a nested
# model). At the end: both modules import this package's Layer machinery.
from . import nested, op_node  # noqa: F401
