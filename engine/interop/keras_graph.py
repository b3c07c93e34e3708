"""Model configs between an engine graph and Keras 3's Sequential and Functional configs.

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

from ..errors import SpecError
from ..graph import SPEC_FORMAT, SPEC_VERSION
from ..graph_refs import node_of, output_ref, split_ref
from .keras_config import FLOAT32_POLICY, RNN_CLASSES, from_keras, owner_of

FUNCTIONAL_MODULE = "keras.src.models.functional"
_TENSOR = "__keras_tensor__"


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
    return {"class_name": _TENSOR, "config": {
        "shape": [None, *shape], "dtype": "float32",
        "keras_history": [owner, node_index, tensor_index]}}


# ----- Keras -> LayerCraft ---------------------------------------------------------------------
def spec_from_keras(model_entry: dict, notes: list) -> tuple[dict, list]:
    """`(engine spec, [(layer name, Keras class name)] in the weights file's order)`.

    Raises:
        SpecError: listing every layer that cannot be rebuilt (no partial model).
    """
    class_name = model_entry.get("class_name")
    config = model_entry.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise SpecError(f"The model config (class {class_name!r}) has no list of layers.")
    if class_name == "Sequential" and model_entry.get("module") == "keras":
        return _sequential_spec(config, notes)
    if class_name in ("Functional", "Model") and model_entry.get("module") in (
            "keras", FUNCTIONAL_MODULE, "keras.models"):
        return _functional_spec(config, notes)
    raise SpecError(f"The model is of class {class_name!r} (module "
                    f"{model_entry.get('module')!r}): a subclassed or custom model, whose "
                    "code is not in the file. LayerCraft opens Keras Sequential and "
                    "Functional models only.")


def _translated(entries, notes) -> list:
    """`(class, name, config, entry)` of each entry; one SpecError naming all failures."""
    results, problems = [], []
    for entry in entries:
        if not isinstance(entry, dict):
            problems.append(f"a layer entry is not an object: {entry!r}")
            continue
        try:
            results.append((*from_keras(entry, notes), entry))
        except SpecError as exc:
            problems.append(str(exc))
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise SpecError(f"{len(problems)} layer(s) cannot be rebuilt in LayerCraft, so the "
                        f"model is not opened:\n{lines}")
    return results


def _spec(name, layers, outputs) -> dict:
    return {"format": SPEC_FORMAT, "version": SPEC_VERSION, "name": str(name or "model"),
            "layers": layers, "outputs": outputs}


def _sequential_spec(config, notes):
    layers = _translated(config["layers"], notes)
    if not layers or layers[0][0] != "Input":
        shape = config.get("build_input_shape")
        if not isinstance(shape, list):
            raise SpecError("The Sequential model was saved before it was built, so the file "
                            "has no input shape. Build it in Keras (call it on data or give "
                            "it an Input) and save it again.")
        layers.insert(0, ("Input", "input_layer", {"batch_shape": shape}, None))
    entries, previous = [], []
    for class_name, name, layer_config, _ in layers:
        entries.append({"name": name, "class_name": class_name, "config": layer_config,
                        "inputs": previous})
        previous = [name]
    order = [(name, entry["class_name"]) for (_, name, _, entry) in layers[1:]]
    return _spec(config.get("name"), entries, previous), order


def _functional_spec(config, notes):
    layers = _translated(config["layers"], notes)
    names = _node_names(layers)
    inputs = [_ref_of(t, names) for t in _triple_list(config.get("input_layers"))]
    entries = [_node_entry(layer, k, node, names) for layer in layers
               for k, node in enumerate(_inbound(layer))]
    entries = [e for name in inputs for e in entries if e["name"] == name] + \
        [e for e in entries if e["name"] not in inputs]  # the model's inputs first, in order
    outputs = [_ref_of(t, names) for t in _triple_list(config.get("output_layers"))]
    order = [(name, entry["class_name"]) for (_, name, _, entry) in layers]
    return _spec(config.get("name"), entries, outputs), order


def _inbound(layer) -> list:
    class_name, name, _, entry = layer
    nodes = entry.get("inbound_nodes")
    if class_name == "Input":
        return [None]
    if not isinstance(nodes, list) or not nodes:
        raise SpecError(f"{owner_of(name, class_name)} is never called in the model (no "
                        "inbound nodes). Remove it in Keras and save again.")
    return nodes


def _node_names(layers) -> dict:
    """(layer name, node index) -> engine node name (a second call is `<layer>_<k>`)."""
    taken = {name for _, name, _, _ in layers}
    names = {}
    for layer in layers:
        name = layer[1]
        for k in range(len(_inbound(layer))):
            candidate = name if k == 0 else f"{name}_{k}"
            while k and candidate in taken:
                candidate += "_"
            taken.add(candidate)
            names[(name, k)] = candidate
    return names


def _triple_list(value) -> list:
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        return [value]
    if not isinstance(value, list):
        raise SpecError(f"Expected a list of [layer, node, tensor] triples. Received: {value!r}")
    return value


def _ref_of(triple, names) -> str:
    if not (isinstance(triple, list) and len(triple) == 3 and isinstance(triple[0], str)
            and all(isinstance(i, int) and i >= 0 for i in triple[1:])):
        raise SpecError(f"Expected a [layer, node index, tensor index] triple. Received: "
                        f"{triple!r}")
    layer, node_index, tensor_index = triple
    if (layer, node_index) not in names:
        raise SpecError(f"The model refers to call {node_index} of layer '{layer}', which the "
                        "file does not define.")
    return output_ref(names[(layer, node_index)], tensor_index)


def _node_entry(layer, k, node, names) -> dict:
    class_name, name, config, _ = layer
    entry = {"name": names[(name, k)], "class_name": class_name, "config": dict(config),
             "inputs": []}
    if k:
        entry["shares"] = name
    if node is not None:
        entry["inputs"], extra = _node_inputs(owner_of(name, class_name), class_name, node,
                                              names)
        entry["config"].update(extra)
    return entry


def _node_inputs(owner, class_name, node, names) -> tuple[list, dict]:
    """The input references of one call, and config keys its kwargs set."""
    if not isinstance(node, dict) or not isinstance(node.get("args"), list):
        raise SpecError(f"{owner}: a call in the file is not in Keras 3's form (an object "
                        "with `args`); the file may come from Keras 2. Open it in Keras 3 "
                        "and save it again.")
    kwargs = node.get("kwargs") or {}
    tensors = _flatten(node["args"], owner)
    extra = {}
    for key, value in kwargs.items():
        if key in ("value", "key", "initial_state") and value is not None:
            tensors += _flatten(value, owner)
        elif key == "use_causal_mask" and class_name in ("Attention", "AdditiveAttention",
                                                         "MultiHeadAttention"):
            extra["use_causal_mask"] = bool(value)
        elif not _neutral_kwarg(key, value):
            raise SpecError(f"{owner} is called with `{key}={_short(value)}`, which LayerCraft "
                            "cannot reproduce. Expected: no such argument.")
    return [_ref_of(_history(t, owner), names) for t in tensors], extra


def _neutral_kwarg(key, value) -> bool:
    """Whether a call argument changes nothing at prediction: no mask, no attention scores,
    and `training`, which Keras overrides with the model call's own (False in predict)."""
    if key in ("mask", "attention_mask", "query_mask", "value_mask", "key_mask"):
        return value is None or (isinstance(value, list) and all(v is None for v in value))
    return key == "training" or (key == "return_attention_scores" and not value)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def _flatten(value, owner) -> list:
    if isinstance(value, list):
        return [t for item in value for t in _flatten(item, owner)]
    if isinstance(value, dict) and value.get("class_name") == _TENSOR:
        return [value]
    raise SpecError(f"{owner}: a call argument is not a tensor ({_short(value)}). LayerCraft "
                    "rebuilds calls on tensors only.")


def _history(tensor, owner) -> list:
    history = (tensor.get("config") or {}).get("keras_history")
    if not isinstance(history, list):
        raise SpecError(f"{owner}: a tensor argument has no keras_history.")
    return history
