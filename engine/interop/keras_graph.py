"""An engine graph written as Keras 3's Sequential or Functional config (`keras_spec` reads
them back).

Keras's functional config lists each layer with its `inbound_nodes`: one entry per call,
`{"args": [...], "kwargs": {...}}`, where a tensor is
`{"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history":
[layer, node_index, tensor_index]}}`. The engine's graph has one node per call instead: a
layer called twice is a second node that `shares` the first one's weights, and output `k` of
node `n` is the reference `"n:k"`. `input_layers` / `output_layers` list
`[layer, node_index, tensor_index]` triples.

`keras_layer_order` reproduces the order in which Keras's Functional lists its layers
(`keras/src/ops/function.py`, `map_graph`: by depth from the outputs, ties broken by
depth-first traversal order): the weights file names each layer by that position.
"""

from ..graph_refs import node_of, split_ref
from .keras_config import FLOAT32_POLICY, RNN_CLASSES

FUNCTIONAL_MODULE = "keras.src.models.functional"
TENSOR = "__keras_tensor__"


# ----- layer order (shared by export and the weights file) -----------------------------------
def keras_layer_order(graph, input_names) -> list[str]:
    """Owner layer names in the order of Keras's `Functional.layers` for this graph."""
    post_order, index = _depth_first(graph)
    node_depth, op_depth = {}, {}
    for name in reversed(post_order):
        owner = graph.nodes[name].shares or name
        depth = max(node_depth.setdefault(name, 0), op_depth.get(owner, 0))
        op_depth[owner] = node_depth[name] = depth
        for parent in _parents(graph, name):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for name in input_names:  # inputs no output depends on
        if name not in op_depth:
            op_depth[name], index[name] = 0, -1
    return sorted(op_depth, key=lambda op: (-op_depth[op], index[op]))


def reachable_nodes(graph) -> list[str]:
    """The nodes the outputs depend on, every node after its inputs."""
    return _depth_first(graph)[0]


def _parents(graph, name) -> list[str]:
    return [node_of(ref, graph.nodes) for ref in graph.nodes[name].inputs]


def _depth_first(graph):
    """Nodes in post-order from the outputs, and each layer's first pre-order index
    (`_build_map` in Keras's `ops/function.py`, without recursion)."""
    finished, post_order, index = set(), [], {}
    for ref in graph.outputs:
        start = node_of(ref, graph.nodes)
        if start in finished:
            continue
        index.setdefault(graph.nodes[start].shares or start, len(index))
        stack = [(start, iter(_parents(graph, start)))]
        while stack:
            name, pending = stack[-1]
            parent = next(pending, None)
            if parent is None:
                stack.pop()
                finished.add(name)
                post_order.append(name)
            elif parent not in finished:
                index.setdefault(graph.nodes[parent].shares or parent, len(index))
                stack.append((parent, iter(_parents(graph, parent))))
    return post_order, index


# ----- LayerCraft -> Keras ---------------------------------------------------------------------
def sequential_config(model, entries: list, batch_shape: list) -> dict:
    """A Keras Sequential config: `entries` are the Keras layer entries, Input first."""
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": model.name, "trainable": True, "dtype": FLOAT32_POLICY,
                       "layers": entries, "build_input_shape": batch_shape},
            "build_config": {"input_shape": batch_shape}}


def functional_config(model, keras_layers: dict, order: list) -> dict:
    """A Keras Functional config; `keras_layers` maps owner names to `KerasLayer`s."""
    graph = model.graph
    calls = _calls_by_owner(graph, reachable_nodes(graph))
    history = {name: (owner, i) for owner, names in calls.items() for i, name in enumerate(names)}
    entries = []
    for owner in order:
        layer = keras_layers[owner]
        nodes = [_inbound_node(model, graph.nodes[name], layer, history)
                 for name in calls[owner] if graph.nodes[name].inputs]
        entries.append({**layer.entry(), "name": owner, "inbound_nodes": nodes})
    return {"module": FUNCTIONAL_MODULE, "class_name": "Functional",
            "registered_name": "Functional",
            "config": {"name": model.name, "trainable": True, "layers": entries,
                       "input_layers": _triples([(n, 0, 0) for n in model.input_names]),
                       "output_layers": _triples([_triple(ref, graph, history)
                                                  for ref in graph.outputs])}}


def _calls_by_owner(graph, plan_order) -> dict:
    calls = {}
    for name in plan_order:
        calls.setdefault(graph.nodes[name].shares or name, []).append(name)
    return calls


def _triple(ref, graph, history) -> tuple:
    node, tensor_index = split_ref(ref, graph.nodes)
    owner, node_index = history[node]
    return (owner, node_index, tensor_index)


def _triples(triples) -> list:
    triples = [list(t) for t in triples]
    return triples[0] if len(triples) == 1 else triples


def _inbound_node(model, node, layer, history) -> dict:
    tensors = [_tensor(model, ref, history) for ref in node.inputs]
    class_name = node.class_name
    if class_name in RNN_CLASSES and len(tensors) > 1:
        return {"args": [tensors[0]], "kwargs": {"initial_state": tensors[1:],
                                                 **layer.call_kwargs}}
    if class_name == "MultiHeadAttention":
        return {"args": tensors, "kwargs": dict(layer.call_kwargs)}
    owner = model.get_layer(node.shares or node.name)
    args = [tensors] if owner.takes_list(len(tensors)) else tensors
    return {"args": args, "kwargs": dict(layer.call_kwargs)}


def _tensor(model, ref, history) -> dict:
    node, tensor_index = split_ref(ref, model.graph.nodes)
    owner, node_index = history[node]
    shape = model.node_shape(ref)
    return {"class_name": TENSOR, "config": {
        "shape": [None, *shape], "dtype": "float32",
        "keras_history": [owner, node_index, tensor_index]}}
