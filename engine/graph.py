"""The model graph as data: named nodes, topological order, shape inference, validation.

A node is one layer application: a class name, a config and the names of its inputs. The
graph never raises on the first problem: `validate()` returns every problem, each naming
its node, so the canvas can badge them all at once.
"""

import inspect
import math
from dataclasses import dataclass, field

from . import registry
from .errors import LayerCraftError, ShapeError, SpecError
from .graph_refs import node_of, output_refs, split_ref
from .layers.base import format_shape

SPEC_FORMAT = "layercraft.model"
SPEC_VERSION = 1
#: Weights one model may hold (float32): 500 million is 2 GB. Larger specs are refused before
#: anything is allocated, so a typo (or a hostile file) cannot exhaust the memory.
MAX_PARAMS = 500_000_000


@dataclass
class Node:
    """One layer application in the graph."""

    name: str
    class_name: str
    config: dict = field(default_factory=dict)
    inputs: list = field(default_factory=list)
    shares: str | None = None  # name of the node whose layer (and weights) this node reuses

    def to_spec(self) -> dict:
        entry = {"name": self.name, "class_name": self.class_name, "config": dict(self.config),
                 "inputs": list(self.inputs)}
        if self.shares:
            entry["shares"] = self.shares
        return entry


@dataclass
class Problem:
    """Something in the graph that cannot work (`error`) or probably is not meant (`warning`)."""

    node: str | None
    message: str
    severity: str = "error"

    def __str__(self):
        return self.message


class ModelGraph:
    """Nodes by name (insertion order kept), plus the names of the output nodes."""

    def __init__(self, nodes=(), outputs=(), name="model"):
        self.name = name
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            self.nodes[node.name] = node
        self.outputs = list(outputs)

    # ----- spec ---------------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: dict) -> "ModelGraph":
        """Reads a model spec (plain JSON data); refuses malformed structure with a SpecError."""
        _check_spec_header(spec)
        nodes = [_node_from_entry(i, entry) for i, entry in enumerate(spec["layers"])]
        seen = set()
        for node in nodes:
            if node.name in seen:
                raise SpecError(f"Two layers are named {node.name!r}. Layer names must be unique.")
            seen.add(node.name)
        outputs = spec.get("outputs", [])
        if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
            raise SpecError(f"Spec field 'outputs' must be a list of layer names. Received: "
                            f"{outputs!r}")
        return cls(nodes, outputs, name=str(spec.get("name", "model")))

    def to_spec(self) -> dict:
        return {"format": SPEC_FORMAT, "version": SPEC_VERSION, "name": self.name,
                "layers": [node.to_spec() for node in self.nodes.values()],
                "outputs": list(self.outputs)}

    # ----- structure ----------------------------------------------------------------------------
    @property
    def input_names(self) -> list[str]:
        return [n.name for n in self.nodes.values() if n.class_name == "Input"]

    def consumers(self, name: str) -> list[str]:
        """Nodes reading any output of `name`."""
        return [n.name for n in self.nodes.values()
                if any(node_of(p, self.nodes) == name for p in n.inputs)]

    def consumer_edges(self, name: str) -> list[tuple[str, str]]:
        """(input reference, consumer) for every edge leaving `name`, any output."""
        return [(p, n.name) for n in self.nodes.values() for p in n.inputs
                if node_of(p, self.nodes) == name]

    def parent_nodes(self, name: str) -> list[str]:
        """The existing nodes `name` reads from (each input reference's node)."""
        parents = (node_of(p, self.nodes) for p in self.nodes[name].inputs)
        return [p for p in parents if p in self.nodes]

    def topological_order(self) -> list[str]:
        """Node names with every node after its inputs; raises SpecError naming a cycle.

        Iterative depth-first search: a chain of thousands of layers must not hit Python's
        recursion limit.
        """
        order, state = [], {}
        for root in self.nodes:
            if state.get(root) == "done":
                continue
            path, stack = [], [(root, iter(self.parent_nodes(root)))]
            state[root] = "active"
            path.append(root)
            while stack:
                name, parents = stack[-1]
                parent = next(parents, None)
                if parent is None:
                    stack.pop()
                    path.pop()
                    state[name] = "done"
                    order.append(name)
                elif state.get(parent) == "active":
                    cycle = path[path.index(parent):] + [parent]
                    raise SpecError("The graph has a cycle: " + " -> ".join(cycle) +
                                    ". Remove one of these connections.")
                elif state.get(parent) != "done":
                    state[parent] = "active"
                    path.append(parent)
                    stack.append((parent, iter(self.parent_nodes(parent))))
        return order

    def layer_class(self, node: Node):
        return registry.get_class("layer", node.class_name)

    def make_layer(self, node: Node):
        """A fresh layer for `node` from its config (name forced to the node's)."""
        config = dict(node.config)
        cls = self.layer_class(node)
        if _takes_name(cls):
            config["name"] = node.name
        try:
            layer = cls.from_config(config)
        except LayerCraftError:
            raise
        except TypeError as exc:
            raise SpecError(f"Layer '{node.name}' ({node.class_name}): bad config: {exc}") from None
        layer.name = node.name  # a user's layer whose __init__ takes no `name` (Keras guides)
        return layer

    # ----- analysis -----------------------------------------------------------------------------
    def analyze(self, live=None) -> "GraphAnalysis":
        """Shapes, parameter counts and problems of every node, with no data and no weights.

        `live` maps node names to layer objects that already exist (a functional model's,
        a user's own layer classes): those are analysed as they are, not remade from the
        config (a class that is not registered could not be)."""
        return GraphAnalysis(self, live)

    def validate(self) -> list[Problem]:
        return self.analyze().problems


class GraphAnalysis:
    """The result of walking a graph once: shapes, param counts, problems, layers."""

    def __init__(self, graph: ModelGraph, live=None):
        self.graph = graph
        self._live = live or {}
        self.shapes: dict[str, object] = {}  # by input reference: "lstm", "lstm:1"...
        self.output_counts: dict[str, int] = {}  # nodes with several outputs only
        self.masked: dict[str, bool] = {}  # whether a node's output carries a mask
        self.params: dict[str, tuple[int, int]] = {}
        self.layers: dict = {}
        self.problems: list[Problem] = []
        self.order: list[str] = []
        self._run()

    def output_shapes(self, name: str) -> list:
        """Every output shape of node `name` (one entry for single-output layers)."""
        return [self.shapes.get(r) for r in output_refs(name, self.output_counts.get(name, 1))]

    def problems_of(self, name: str) -> list[Problem]:
        return [p for p in self.problems if p.node == name]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def _add(self, node, message, severity="error"):
        self.problems.append(Problem(node, message, severity))

    def _run(self):
        graph = self.graph
        if not graph.nodes:
            self._add(None, "The model is empty. Add an Input layer and at least one layer.")
            return
        self._check_references()
        try:
            self.order = graph.topological_order()
        except SpecError as exc:
            self._add(_first_cycle_node(str(exc), graph), str(exc))
            return
        for name in self.order:
            self._infer(graph.nodes[name])
        self._check_reachability()
        self._check_outputs()
        total = sum(self.total_params())
        if total > MAX_PARAMS and not any("weights (" in p.message for p in self.problems):
            self._add(None, f"The model would have {total:,} weights ({total * 4 / 2**30:,.1f} "
                            f"GiB); the limit is {MAX_PARAMS:,}. Make the layers smaller.")

    def _check_references(self):
        graph = self.graph
        for node in graph.nodes.values():
            for parent in node.inputs:
                if node_of(parent, graph.nodes) not in graph.nodes:
                    self._add(node.name, f"Layer '{node.name}' takes its input from "
                                         f"'{parent}', which does not exist. Reconnect it.")
            if node.shares and node.shares not in graph.nodes:
                self._add(node.name, f"Layer '{node.name}' shares the weights of "
                                     f"'{node.shares}', which does not exist.")
            elif node.shares:
                owner = graph.nodes[node.shares]
                if owner.shares or owner.class_name != node.class_name:
                    self._add(node.name, f"Layer '{node.name}' ({node.class_name}) can share "
                                         f"weights only with a layer of the same type that "
                                         f"owns them; '{owner.name}' is {owner.class_name}"
                                         f"{' and shares another' if owner.shares else ''}.")
        if not graph.input_names:
            self._add(None, "The model has no Input layer. Add one and set the shape of a sample.")

    def _make_layer(self, node):
        owner = self.graph.nodes.get(node.shares) if node.shares else node
        live = self._live.get(owner.name if owner else node.name)
        if live is not None:
            self.layers[node.name] = live
            return live
        try:
            layer = self.graph.make_layer(owner if owner else node)
        except LayerCraftError as exc:
            self._add(node.name, str(exc))
            return None
        self.layers[node.name] = layer
        return layer

    def _infer(self, node: Node):
        layer = self._make_layer(node)
        if layer is None:
            return
        if not self._input_count_ok(node, layer):
            return
        parents = node.inputs
        if not self._outputs_exist(node) or any(self.shapes.get(p) is None for p in parents):
            return  # an upstream problem is already reported
        in_shapes = [self.shapes[p] for p in parents]
        in_shape = None if not in_shapes else (
            in_shapes if layer.takes_list(len(in_shapes)) else in_shapes[0])
        try:
            shape = layer.output_shape_for(in_shape)
            params = (0, 0) if in_shape is None else layer.count_params_for(in_shape)
        except (ShapeError, SpecError) as exc:
            self._add(node.name, str(exc))
            return
        except TypeError:
            if not has_none(in_shape):
                raise
            self._add(node.name, _variable_dimension_message(node, in_shape))
            return
        shapes = shape if isinstance(shape, list) else [shape]
        if any(d is not None and d <= 0 for s in shapes for d in s):
            self._add(node.name, f"Layer '{node.name}' would output shape "
                                 f"{format_shape(shape)}, which is empty. Make the input larger "
                                 "or the kernel/pool smaller.")
            return
        for ref, one in zip(output_refs(node.name, len(shapes)), shapes):
            self.shapes[ref] = tuple(one)
        if len(shapes) > 1:
            self.output_counts[node.name] = len(shapes)
        self.params[node.name] = (0, 0) if node.shares else params
        if sum(params) > MAX_PARAMS:
            self._add(node.name, f"Layer '{node.name}' would have {sum(params):,} weights "
                                 f"({sum(params) * 4 / 2**30:,.1f} GiB); the limit is "
                                 f"{MAX_PARAMS:,}. Use fewer units, filters or inputs.")
        self._warn_dense_on_images(node, in_shape)
        self._infer_mask(node, layer)

    def _outputs_exist(self, node) -> bool:
        """Whether every `inputs` entry reads an output its node has (`lstm:3` of an LSTM
        with two states does not); reports the ones that do not."""
        ok = True
        for ref in node.inputs:
            parent, index = split_ref(ref, self.graph.nodes)
            count = self.output_counts.get(parent, 1)
            if parent in self.shapes and index >= count:
                ok = False
                self._add(node.name, f"Layer '{node.name}' reads output {index} of "
                                     f"'{parent}', which has {count} output(s) (0 to "
                                     f"{count - 1}). Connect an existing output of '{parent}'.")
        return ok

    def _infer_mask(self, node, layer):
        """Follows masks (Embedding mask_zero, Masking) as Keras does; warns where one ends
        in a layer that neither uses nor passes it on."""
        incoming = [p for p in node.inputs if self.masked.get(p)]
        if incoming and not (layer.supports_masking or layer.uses_mask()):
            self._add(node.name, f"Layer '{node.name}' ({node.class_name}) receives the mask "
                                 f"of '{incoming[0]}' but does not support masking, so the "
                                 "layers after it will not see the mask (padded steps count "
                                 "as data). Move it after the layer that uses the mask (an "
                                 "RNN or global pooling), or drop the mask.", "warning")
        self.masked[node.name] = bool(layer.output_has_mask(bool(incoming)))

    def _input_count_ok(self, node, layer) -> bool:
        count = len(node.inputs)
        low, high = layer.MIN_INPUTS, layer.MAX_INPUTS
        if low <= count and (high is None or count <= high):
            return True
        kind = type(layer).__name__
        if high == 0:
            self._add(node.name, f"'{node.name}' is an Input and cannot receive connections.")
        elif count == 0:
            self._add(node.name, f"Layer '{node.name}' ({kind}) has no input. Connect a layer "
                                 "to it.")
        elif high is not None and count > high:
            self._add(node.name, f"Layer '{node.name}' ({kind}) takes {high} input, but "
                                 f"{count} are connected ({', '.join(node.inputs)}). Merge them "
                                 "first with an Add or Concatenate layer.")
        else:
            self._add(node.name, f"Layer '{node.name}' ({kind}) needs at least {low} inputs, "
                                 f"but {count} is connected. Connect another branch.")
        return False

    def _warn_dense_on_images(self, node, in_shape):
        if node.class_name == "Dense" and isinstance(in_shape, tuple) and len(in_shape) >= 3:
            self._add(node.name, f"Dense '{node.name}' receives {format_shape(in_shape)} and "
                                 "applies only to the last axis. Insert a Flatten layer before "
                                 f"'{node.name}' for a classifier.", "warning")

    def _check_reachability(self):
        graph = self.graph
        needed = set()
        stack = [node_of(o, graph.nodes) for o in graph.outputs
                 if node_of(o, graph.nodes) in graph.nodes]
        while stack:
            name = stack.pop()
            if name not in needed:
                needed.add(name)
                stack.extend(graph.parent_nodes(name))
        if not graph.outputs:
            return
        for name in graph.nodes:
            if name not in needed:
                self._add(name, f"Layer '{name}' is not connected to any model output. Connect "
                                "it or delete it.")

    def _check_outputs(self):
        graph = self.graph
        if not graph.outputs:
            self._add(None, "The model has no output. Mark the last layer as an output.")
        for ref in graph.outputs:
            name, index = split_ref(ref, graph.nodes)
            if name not in graph.nodes:
                self._add(None, f"Output '{ref}' is not a layer of the model.")
            elif name in self.shapes and index >= self.output_counts.get(name, 1):
                self._add(name, f"Output '{ref}' reads output {index} of '{name}', which has "
                                f"{self.output_counts.get(name, 1)} output(s). Pick an "
                                "existing output.")

    def total_params(self) -> tuple[int, int]:
        trainable = sum(t for t, _ in self.params.values())
        frozen = sum(n for _, n in self.params.values())
        return trainable, frozen


def _takes_name(cls) -> bool:
    """Whether `cls(name=...)` works: every built-in layer; a user's class when its
    `__init__` names `name` or takes `**kwargs`."""
    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "name" or p.kind is p.VAR_KEYWORD for p in parameters)


def has_none(shape) -> bool:
    """Whether a batch-less shape (or a list of them) has a None (variable) dimension."""
    if isinstance(shape, list):
        return any(has_none(s) for s in shape)
    return shape is not None and any(d is None for d in shape)


def _variable_dimension_message(node, in_shape) -> str:
    return (f"Layer '{node.name}' ({node.class_name}) cannot take an input with a None "
            f"(variable) dimension: expected fixed sizes, received {format_shape(in_shape)}. "
            "Give the Input fixed sizes (pad the sequences to one length), or put a layer that "
            "removes the variable axis (an RNN or global pooling) before it.")


def _first_cycle_node(message: str, graph: ModelGraph):
    for name in graph.nodes:
        if f" {name} ->" in message or f": {name} ->" in message:
            return name
    return None


def _check_spec_header(spec):
    if not isinstance(spec, dict):
        raise SpecError(f"A model spec must be a JSON object. Received: {type(spec).__name__}")
    if spec.get("format", SPEC_FORMAT) != SPEC_FORMAT:
        raise SpecError(f"This is not a LayerCraft model spec (format {spec.get('format')!r}; "
                        f"expected {SPEC_FORMAT!r}).")
    version = spec.get("version", SPEC_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SpecError(f"This model spec has an invalid version {version!r}; expected a "
                        f"positive integer. The file is damaged.")
    if version > SPEC_VERSION:
        raise SpecError(f"This model spec has version {version!r}, newer than this LayerCraft "
                        f"understands ({SPEC_VERSION}). Update LayerCraft to open it.")
    if not isinstance(spec.get("layers"), list):
        raise SpecError("A model spec needs a 'layers' list.")


def _node_from_entry(index, entry) -> Node:
    if not isinstance(entry, dict):
        raise SpecError(f"Layer entry {index} must be an object. Received: {entry!r}")
    name, class_name = entry.get("name"), entry.get("class_name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"Layer entry {index} needs a non-empty 'name'.")
    if not isinstance(class_name, str):
        raise SpecError(f"Layer '{name}' needs a 'class_name'.")
    config = entry.get("config", {})
    inputs = entry.get("inputs", [])
    if not isinstance(config, dict):
        raise SpecError(f"Layer '{name}': 'config' must be an object.")
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise SpecError(f"Layer '{name}': 'inputs' must be a list of layer names.")
    shares = entry.get("shares")
    if shares is not None and not isinstance(shares, str):
        raise SpecError(f"Layer '{name}': 'shares' must be a layer name.")
    return Node(name, class_name, dict(config), list(inputs), shares)


def param_bytes(count: int, itemsize: int = 4) -> int:
    return count * itemsize


def prod(shape) -> int:
    return math.prod(shape)
