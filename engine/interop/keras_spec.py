"""Keras 3 Sequential and Functional configs read into an engine model spec.

Each Keras call (`inbound_nodes` entry) becomes one engine node: call 0 of layer `dense` is
node `dense`, call `k` is node `dense_<k>` sharing `dense`'s weights; tensor `t` of a call is
the reference `"node:t"`. Call arguments that change nothing at prediction (`training`, empty
masks) are ignored; `use_causal_mask` becomes the attention layer's config key; `initial_state`
and MultiHeadAttention's `value`/`key` become extra inputs; any other argument is refused.
Every layer is translated before anything is built, and all failures are reported together.
"""

from ..errors import SpecError
from ..graph import SPEC_FORMAT, SPEC_VERSION
from ..graph_refs import output_ref
from .keras_config import from_keras, owner_of
from .keras_graph import FUNCTIONAL_MODULE, TENSOR


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
    if isinstance(value, dict) and value.get("class_name") == TENSOR:
        return [value]
    raise SpecError(f"{owner}: a call argument is not a tensor ({_short(value)}). LayerCraft "
                    "rebuilds calls on tensors only.")


def _history(tensor, owner) -> list:
    history = (tensor.get("config") or {}).get("keras_history")
    if not isinstance(history, list):
        raise SpecError(f"{owner}: a tensor argument has no keras_history.")
    return history
