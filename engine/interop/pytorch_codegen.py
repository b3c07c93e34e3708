"""The PyTorch `nn.Module` source of an engine model: `__init__` declares each layer, `forward`
calls them in graph order.

Tensors keep the engine's channels-last layout except where a layer wants channels-first
(convolutions, pooling, batch normalization): a run of such layers stays channels-first,
and one `permute` goes each way where the layout changes, with a comment saying why. A
Sequential model reads as a chain (`x = ...`); other graphs name each value after its node.
"""

import itertools
import keyword
import re
from dataclasses import dataclass, field

from ..saving.checkpoint import weight_layout
from ..errors import SpecError
from ..graph_refs import node_of
from . import pytorch_conv, pytorch_recurrent  # noqa: F401 - they register their translators
from .pytorch_layers import ANY, CF, CL, TRANSLATORS, Call, LayerContext

#: names a layer attribute must not take: nn.Module's own attributes and methods
_MODULE_NAMES = {"training", "forward", "train", "eval", "parameters", "buffers", "children",
                 "modules", "state_dict", "load_state_dict", "to", "cuda", "cpu", "type",
                 "float", "double", "half", "bfloat16", "apply", "zero_grad", "compile",
                 "register_buffer", "register_parameter", "register_module", "add_module",
                 "named_parameters", "named_buffers", "named_children", "named_modules",
                 "requires_grad_", "get_submodule", "get_parameter", "get_buffer",
                 "extra_repr", "share_memory", "dump_patches", "call_super_init"}
_RESERVED = {"self", "torch", "nn", "F", "super"}


def identifier(name: str) -> str:
    """`name` as a Python identifier (`dense-1` -> `dense_1`, `1x` -> `_1x`)."""
    text = re.sub(r"\W", "_", name) or "_"
    if text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) or text in _RESERVED else text


def class_name_for(model_name: str) -> str:
    words = [w for w in re.split(r"[^0-9A-Za-z]+", model_name) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if name in ("Sequential", "Functional", "Module"):  # Keras's default model names
        return name + "Model"
    return name if name and name[0].isalpha() else "Model" + name


@dataclass
class ModuleCode:
    """What `pytorch_templates` assembles into model.py."""

    class_name: str
    init_lines: list
    forward_args: list
    forward_lines: list
    returns: list
    eval_only: list = field(default_factory=list)
    weights: list = field(default_factory=list)  # (LayerCraft name, torch names, kind)
    input_shapes: list = field(default_factory=list)
    output_shapes: list = field(default_factory=list)


def supported_layers() -> list[str]:
    return sorted(TRANSLATORS)


class _Generator:
    """Walks the graph once: translations, module names, forward statements with layouts."""

    def __init__(self, model):
        self.model, self.graph = model, model.graph
        self.layers = {layer.name: layer for layer in model.layers}
        self.order = _needed_order(model)
        self.chain = _is_chain(model, self.order)
        self.values: dict = {}  # ref -> {layout: variable}
        self.taken: set = set()  # variable names in forward
        self.attr_names: set = set()
        self.attrs: dict = {}  # owner layer name -> attribute
        self.translations: dict = {}  # owner layer name -> TorchLayer
        self.forward: list = []

    def run(self) -> ModuleCode:
        for name in self.order:
            node = self.graph.nodes[name]
            if node.class_name != "Input":
                self._translate(node)
        args = [self._input(name) for name in self.model.input_names]
        for name in self.order:
            if self.graph.nodes[name].class_name != "Input":
                self._emit(self.graph.nodes[name])
        returns = [self._value(ref, CL, "the model's output") for ref in self.model.output_names]
        return ModuleCode(
            class_name=class_name_for(self.model.name), init_lines=self._init_lines(),
            forward_args=args, forward_lines=self.forward, returns=returns,
            eval_only=[f"self.{self.attrs[n]}" for n, t in self.translations.items()
                       if t.eval_only],
            weights=self._weights(), input_shapes=list(self.model.input_shapes),
            output_shapes=list(self.model.output_shapes))

    # ----- translation ---------------------------------------------------------------------
    def _translate(self, node) -> None:
        owner = node.shares or node.name
        if owner in self.translations:
            return
        translator = TRANSLATORS.get(node.class_name)
        if translator is None:
            raise SpecError(
                f"Layer '{node.name}' ({node.class_name}) has no PyTorch translation, so the "
                f"model cannot be exported to PyTorch. Supported layers: "
                f"{', '.join(supported_layers())}. Received: {node.class_name}. Fix: replace "
                "it with supported layers, or export to ONNX or Keras instead.")
        context = LayerContext(self.layers[owner],
                               [self.model.node_shape(ref) for ref in node.inputs],
                               self.model.node_output_shapes(node.name))
        self.translations[owner] = translator(context)
        self.attrs[owner] = self._unique(_attribute(owner), self.attr_names)

    def _init_lines(self) -> list:
        lines = []
        for owner, translation in self.translations.items():
            if translation.module is None:
                continue
            module = f"self.{self.attrs[owner]}"
            comment = f"  # {translation.comment}" if translation.comment else ""
            lines.append(f"{module} = {translation.module}{comment}")
            lines += [setup.format(m=module) for setup in translation.setup]
        return lines

    def _weights(self) -> list:
        entries = []
        for index, (layer, key, _) in enumerate(weight_layout(self.model)):
            translation = self.translations[layer]
            targets, kind = translation.weights[key]
            entries.append((f"{index:04d}:{layer}/{key}",
                            [f"{self.attrs[layer]}.{t}" for t in targets], kind))
        return entries

    # ----- forward ---------------------------------------------------------------------------
    def _input(self, name: str) -> str:
        variable = "x" if self.chain else self._unique(identifier(name))
        self.values[name] = {CL: variable}
        return variable

    def _emit(self, node) -> None:
        owner = node.shares or node.name
        translation = self.translations[owner]
        layout = self._layout_for(node, translation.wants)
        inputs = [self._value(ref, layout, node.class_name)
                  for ref in node.inputs]
        refs = self.model.node_output_refs(node.name)
        outputs = [self._output_name(ref, node.name) for ref in refs]
        call = Call(inputs, outputs, f"self.{self.attrs[owner]}", layout)
        code = translation.call(call)
        self.forward += [f"{outputs[0]} = {code}"] if isinstance(code, str) else code
        for ref, variable in zip(refs, outputs):
            rank = len(self.model.node_shape(ref)) + 1
            self.values[ref] = {layout if rank > 2 else CL: variable}

    def _layout_for(self, node, wants: str) -> str:
        if wants != ANY:
            return wants
        shared = set.intersection(*(self._layouts(ref) for ref in node.inputs))
        first = next(iter(self.values[node.inputs[0]]))
        return first if first in shared else (CF if CF in shared else CL)

    def _layouts(self, ref) -> set:
        if len(self.model.node_shape(ref)) < 2:
            return {CL, CF}  # (batch, features): both layouts are the same tensor
        return set(self.values[ref])

    def _value(self, ref: str, layout: str, reader: str) -> str:
        """The variable holding `ref` in `layout`, permuting (once) if needed."""
        have = self.values[ref]
        if layout in have or len(self.model.node_shape(ref)) < 2:
            return have.get(layout) or next(iter(have.values()))
        source = next(iter(have.values()))
        rank = len(self.model.node_shape(ref)) + 1
        variable = source if self.chain else self._unique(
            f"{source}_{'cf' if layout == CF else 'cl'}")
        self.forward.append(f"{variable} = {source}.{_permute(rank, layout)}  "
                            f"# {_layout_comment(rank, layout, reader)}")
        if self.chain:
            have.clear()
        have[layout] = variable
        return variable

    def _output_name(self, ref: str, node: str) -> str:
        if self.chain:
            return "x"
        base = identifier(node)
        return self._unique(base if ref == node else f"{base}_state{ref.rsplit(':', 1)[1]}")

    def _unique(self, name: str, taken: set | None = None) -> str:
        taken = self.taken if taken is None else taken
        while name in taken:
            name += "_"
        taken.add(name)
        return name


def _attribute(layer_name: str) -> str:
    name = identifier(layer_name)
    return f"{name}_layer" if name in _MODULE_NAMES or name.startswith("_") else name


_SPATIAL = {3: "L", 4: "H, W", 5: "D, H, W"}


def _permute(rank: int, layout: str) -> str:
    if layout == CF:  # (N, ..., C) -> (N, C, ...), contiguous as PyTorch's kernels prefer
        axes = ", ".join(str(i) for i in range(1, rank - 1))
        return f"permute(0, {rank - 1}, {axes}).contiguous()"
    return f"permute(0, {', '.join(str(i) for i in range(2, rank))}, 1)"


def _layout_comment(rank: int, layout: str, reader: str) -> str:
    spatial = _SPATIAL.get(rank, "...")
    if layout == CF:
        return f"(N, {spatial}, C) -> (N, C, {spatial}): {reader} is channels-first in PyTorch"
    return f"back to channels-last (N, {spatial}, C): {reader} reads features in Keras order"


def _needed_order(model) -> list[str]:
    """Node names in topological order, only those the outputs depend on."""
    graph, needed = model.graph, set()
    stack = [node_of(o, graph.nodes) for o in graph.outputs]
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(graph.parent_nodes(name))
    return [name for name in graph.topological_order() if name in needed]


def _is_chain(model, order: list) -> bool:
    """One input, one output, and every layer reads only the layer before it."""
    nodes = model.graph.nodes
    return (len(model.input_names) == 1 and len(model.output_names) == 1
            and model.output_names[0] == order[-1]
            and all(nodes[b].inputs == [a] and len(model.node_output_refs(a)) == 1
                    for a, b in itertools.pairwise(order)))


def generate(model) -> ModuleCode:
    """The generated module's parts for a built engine model.

    Raises:
        SpecError: naming the first layer (or layer setting) PyTorch cannot reproduce.
    """
    return _Generator(model).run()
