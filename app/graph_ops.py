"""Pure helpers over the engine's model graph for the builder (no Qt).

Default configs, unique names, the one-line "key settings" text of a block, and the checks an
edge must pass before the canvas offers it.
"""

import inspect
import re

from engine import registry
from engine.errors import SpecError
from engine.graph import ModelGraph, Node
from engine.graph_refs import node_of, split_ref
from engine.naming import snake_case

#: Parameters worth showing on a block, in order, per parameter name.
_KEY_PARAMS = ("units", "filters", "kernel_size", "pool_size", "strides", "rate", "stddev",
               "target_shape", "shape", "n", "size", "dims", "axis", "input_dim", "output_dim",
               "padding", "activation")


def layer_class(class_name: str):
    return registry.get_class("layer", class_name)


def default_config(class_name: str) -> dict:
    """The full config of a fresh layer (every declared parameter filled), minus its name.

    This is exactly what `model.to_spec()` writes for the same layer built in code, so a
    model stacked on the canvas and one written in Python have equal specs. A user's class
    whose `__init__` takes no `name` is made without one.

    Raises:
        SpecError: for a user's class whose constructor needs arguments: the canvas cannot
            choose them, so no block is made and the message says how to give defaults.
    """
    cls = layer_class(class_name)
    try:
        layer = cls(name="__probe__") if _takes_name(cls) else cls()
    except TypeError as exc:
        required = _required_arguments(cls)
        if not required:
            raise
        listed = ", ".join(required)
        raise SpecError(
            f"A {class_name} block cannot be added: {cls.__name__}.__init__ needs "
            f"{listed}, and the canvas has no value to give ({exc}). Give each a default "
            f"in __init__ (e.g. def __init__(self, {required[0]}=4, **kwargs)), "
            "re-register the class, and drop the block again.") from None
    config = layer.get_config()
    config.pop("name", None)
    return config


def _takes_name(cls) -> bool:
    params = inspect.signature(cls.__init__).parameters.values()
    return any(p.name == "name" or p.kind == p.VAR_KEYWORD for p in params)


def _required_arguments(cls) -> list[str]:
    """The parameters of `cls.__init__` that have no default (self and *args/**kwargs aside)."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in params if p.default is p.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def base_name(class_name: str) -> str:
    """The name a new block starts from: the snake-case class name (`Conv2D` -> `conv2d`).
    A registered "package>Name" gives its class's Python name, as `Scale()` is named in
    code: `MyLayers>Scale` -> `scale` (a block name never holds the `>`)."""
    if class_name == "Input":
        return "input"
    if ">" not in class_name:
        return snake_case(class_name)
    cls = registry.lookup("layer", class_name)
    return snake_case(cls.__name__ if cls is not None else class_name.rpartition(">")[2])


#: A palette id `Op:<op>` stands for an `Op` node computing `engine.ops.<op>`.
OP_PREFIX = "Op:"


def block_spec(block: str) -> tuple[str, dict, str]:
    """(class name, full config, base name) of a new block for a palette id: a layer class
    name (`Dense`), or `Op:<op>` for an op block (`Op:add` -> an `Op` node named `add`)."""
    if block.startswith(OP_PREFIX):
        op = block.removeprefix(OP_PREFIX)
        config = layer_class("Op")(op=op, name="__probe__").get_config()
        config.pop("name", None)
        return "Op", config, op
    return block, default_config(block), base_name(block)


def block_type(node: Node) -> str:
    """What a block's title says it is: its class, or `ops.<op>` for an op node."""
    if node.class_name == "Op":
        return f"ops.{node.config.get('op', '?')}"
    return node.class_name


def op_settings(config: dict) -> str:
    """An op block's constant arguments in one line: `x2 2`, `axis -1, keepdims`..."""
    from engine.op_catalog import key_text  # noqa: PLC0415

    parts = []
    for name, value in (config.get("arguments") or {}).items():
        if isinstance(value, dict) and ("input" in value or "inputs" in value):
            continue
        if name == "key" and config.get("op") == "getitem":
            parts.append(f"[{key_text(value)}]")
        elif value is True:
            parts.append(name)
        elif value is not False and value is not None:
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            parts.append(f"{name} {'(' + shown + ')' if isinstance(value, list) else shown}")
    return ", ".join(str(p) for p in parts[:4])


def unique_name(existing, base: str) -> str:
    """`base`, else `base_1`, `base_2`... (Keras style), not in `existing`."""
    base = re.sub(r"_\d+$", "", base) or "layer"
    if base not in existing:
        return base
    i = 1
    while f"{base}_{i}" in existing:
        i += 1
    return f"{base}_{i}"


#: Blocks whose defining settings read better as one phrase than as a list of values.
_PHRASES = {
    "MultiHeadAttention": lambda c: f"{c.get('num_heads')} heads × {c.get('key_dim')}",
    "Bidirectional": lambda c: f"{c.get('layer_class', 'RNN')} {c.get('units', '')}".strip(),
}


def key_settings(node: Node) -> str:
    """Short text of the settings that define a block, e.g. `128, relu` or `16, 3×3, same`."""
    if node.class_name == "Op":
        return op_settings(node.config)
    if node.class_name == "Model":
        spec = node.config.get("spec") or {}
        return f"{spec.get('name', 'model')}: {len(spec.get('layers') or [])} layers"
    phrase = _PHRASES.get(node.class_name)
    if phrase is not None:
        return phrase(node.config)
    parts = []
    for key in _KEY_PARAMS:
        if key not in node.config:
            continue
        value = node.config[key]
        if value is None or (key == "padding" and value == "valid"):
            continue
        if isinstance(value, (list, tuple)):
            sep = "×" if key in ("kernel_size", "pool_size", "strides", "size") else ", "
            value = sep.join(str(v) for v in value)
            value = f"({value})" if key in ("shape", "target_shape", "dims") else value
        elif isinstance(value, float):
            value = f"{value:g}"
        parts.append(f"axis {value}" if key == "axis" else str(value))
    return ", ".join(parts[:4])


def would_create_cycle(graph: ModelGraph, source: str, target: str) -> bool:
    """True when an edge source -> target closes a loop (target already feeds source)."""
    stack, seen = [source], set()
    while stack:
        name = stack.pop()
        if name == target:
            return True
        if name in seen or name not in graph.nodes:
            continue
        seen.add(name)
        stack.extend(graph.parent_nodes(name))
    return False


def can_connect(graph: ModelGraph, source: str, target: str) -> str:
    """'' when source -> target is a valid new edge, else a sentence saying why not."""
    if source == target:
        return "A layer cannot feed itself."
    if source not in graph.nodes or target not in graph.nodes:
        return "Both ends must be layers of the model."
    node = graph.nodes[target]
    if layer_class(node.class_name).MAX_INPUTS == 0:
        return f"'{target}' is an Input and takes no connections."
    if source in node.inputs:
        return f"'{source}' already feeds '{target}'."
    if would_create_cycle(graph, source, target):
        return f"Connecting '{source}' to '{target}' would create a cycle."
    return ""


def accepts_many(graph: ModelGraph, name: str) -> bool:
    node = graph.nodes[name]
    if node.class_name == "Op":  # how many inputs an op block reads is in its arguments
        return _op_max_inputs(node) != 1
    cls = layer_class(node.class_name)
    return cls.MAX_INPUTS is None or cls.MAX_INPUTS > 1


def _op_max_inputs(node: Node):
    from engine.errors import LayerCraftError  # noqa: PLC0415

    try:
        return layer_class("Op").from_config({**node.config, "name": node.name}).MAX_INPUTS
    except LayerCraftError:
        return None  # a damaged op block: let it take edges, the analysis badges it


def sinks(graph: ModelGraph) -> list[str]:
    """Non-Input nodes that feed nothing, in graph order: the natural model outputs."""
    fed = {node_of(p, graph.nodes) for node in graph.nodes.values() for p in node.inputs}
    return [n for n, node in graph.nodes.items()
            if n not in fed and node.class_name != "Input"]


def edge_label(graph: ModelGraph, ref: str) -> str:
    """What an edge shows beside its source: '' for output 0, else `out 1`, `out 2`..."""
    index = split_ref(ref, graph.nodes)[1]
    return f"out {index}" if index else ""


def renamed_ref(graph: ModelGraph, ref: str, old: str, new: str) -> str:
    """`ref` after node `old` became `new` ("old:1" -> "new:1")."""
    node, index = split_ref(ref, graph.nodes)
    if node != old:
        return ref
    return new if index == 0 else f"{new}:{index}"


def chain_below(graph: ModelGraph, name: str) -> list[str]:
    """Every node reachable downstream of `name` (its descendants), in graph order."""
    found, stack = set(), [name]
    while stack:
        current = stack.pop()
        for consumer in graph.consumers(current):
            if consumer not in found:
                found.add(consumer)
                stack.append(consumer)
    return [n for n in graph.nodes if n in found]
