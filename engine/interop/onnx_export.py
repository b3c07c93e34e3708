"""ONNX export: the model's inference graph, with its weights, in one `.onnx` file.

    from engine.interop import export
    notes = export(model, "model.onnx", "onnx")

The graph walks the model's layers in order; each layer class has a converter in a table
(`onnx_activations`, `onnx_layers`, `onnx_reshape`, `onnx_conv`, `onnx_recurrent`,
`onnx_attention`) that writes its ONNX nodes. Inputs keep the model's channels-last layout
and a dynamic batch axis. Before anything is written, every layer is checked: a layer with
no converter, or one that uses a mask, is named in a `SpecError` and no file appears. The
file is checked with `onnx.checker` and written atomically (temporary file, then rename).
"""

from .. import __version__
from ..atomic_write import write_bytes_atomically
from ..errors import CheckpointError, LayerCraftError, SpecError
from . import onnx_activations, onnx_attention, onnx_conv, onnx_layers, onnx_recurrent, onnx_reshape
from .onnx_graph import OPSET, Call, OnnxGraph

#: ONNX IR version 8 is the one that came with opset 17, so runtimes that read the opset
#: read the file.
IR_VERSION = 8
INSTALL_HINT = 'pip install "layercraft[onnx]"'


def time_distributed(g, call):
    """The wrapped layer on `(batch * T, ...)`, then unfolded to `(batch, T, ...)`."""
    layer = call.layer
    layer._bind()  # the inner layer reads the wrapper's current weights
    inner = layer.wrapped
    inner_in, inner_out = tuple(call.shape[1:]), tuple(call.out_shapes[0][1:])
    if None in inner_in or None in inner_out:
        raise SpecError(
            f"Layer '{layer.name}' (TimeDistributed): ONNX export needs the per-step shapes "
            f"known, but they are {inner_in} -> {inner_out}. Give the Input fixed sizes "
            "after the time axis.")
    converter = _converter_for(inner, f"inside '{layer.name}' (TimeDistributed)")
    y = converter(g, Call(inner, [g.reshape(call.x, [-1, *inner_in])], [inner_in],
                          [inner_out]))
    lead = g.slice(g.op("Shape", [call.x]), [0], [2], [0])  # (batch, T) of this call
    return g.op("Reshape", [y, g.op("Concat", [lead, g.ints(inner_out, "shape")], axis=0)])


CONVERTERS = {
    **onnx_activations.CONVERTERS,
    **onnx_layers.CONVERTERS,
    **onnx_reshape.CONVERTERS,
    **onnx_conv.CONVERTERS,
    **onnx_recurrent.CONVERTERS,
    **onnx_attention.CONVERTERS,
    "TimeDistributed": time_distributed,
}


def supported_layers() -> list[str]:
    """The layer class names ONNX export converts, sorted."""
    return sorted(CONVERTERS)


def export(model, path, compile_config=None) -> list[str]:
    """Writes `model` as an ONNX file at `path`; returns notes for the user.

    `compile_config` is accepted for the common interface and not stored: ONNX holds an
    inference graph only (the notes say so).

    Raises:
        LayerCraftError: `onnx` is missing (with the command that installs it).
        SpecError: a layer cannot be expressed in ONNX (named, with the fix); nothing written.
        CheckpointError: the file cannot be written.
    """
    proto, notes = to_onnx(model)
    try:
        data = proto.SerializeToString()
    except ValueError as exc:  # protobuf refuses messages over 2 GB
        raise CheckpointError(f"Model '{model.name}' is too large for one ONNX file ({exc}). "
                              "Export a smaller model.") from None
    write_bytes_atomically(path, data, error_class=CheckpointError, what="ONNX file")
    return notes


def _require_onnx():
    try:
        import onnx  # noqa: PLC0415 - optional package
    except ImportError:
        raise LayerCraftError(f"ONNX export needs the onnx package, which is not installed. "
                              f"Install it with: {INSTALL_HINT}") from None
    return onnx


def to_onnx(model):
    """`(onnx.ModelProto, notes)` for `model`, checked by `onnx.checker`."""
    onnx = _require_onnx()
    from onnx import helper  # noqa: PLC0415

    check_exportable(model)
    g = OnnxGraph()
    inputs = [_graph_input(g, model, name) for name in model.input_names]
    values = {name: tensor for name, (_, tensor) in zip(model.input_names, inputs)}
    for name, layer, parents in model._plan:
        if parents:
            _convert_node(g, model, name, layer, parents, values)
    outputs = [_graph_output(g, model, ref, values[ref]) for ref in model.output_names]
    graph = helper.make_graph(g.nodes, model.name, [info for info, _ in inputs], outputs,
                              initializer=g.initializers)
    proto = helper.make_model(graph, producer_name="LayerCraft", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", OPSET)],
                              doc_string=f"Model '{model.name}' exported by LayerCraft.")
    proto.ir_version = IR_VERSION
    helper.set_model_props(proto, {"layercraft.layout": "channels_last",
                                   "layercraft.model": model.name})
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        raise SpecError(f"The ONNX graph of model '{model.name}' did not pass onnx.checker "
                        f"({str(exc).splitlines()[0]}). Nothing was written. This is a "
                        "LayerCraft bug: please report it with the model.") from None
    return proto, _notes(model)


# ----- checks -----------------------------------------------------------------------------
def check_exportable(model) -> None:
    """Raises a `SpecError` naming every layer ONNX export cannot convert, or that uses a
    mask (ONNX has no masks), or when the model has no graph yet."""
    if getattr(model, "_graph", None) is None:
        raise SpecError(f"Model '{model.name}' has no Input yet, so its shapes are unknown. "
                        "Nothing was written. Start it with Input(shape), or call it on data "
                        "first.")
    missing = [f"'{name}' ({type(layer).class_name()})" for name, layer, parents in model._plan
               if parents and type(layer).class_name() not in CONVERTERS]
    if missing:
        raise SpecError(
            f"Model '{model.name}' cannot be exported to ONNX: no ONNX conversion for layer "
            f"{', '.join(missing)}. Nothing was written. Replace or remove "
            f"{'it' if len(missing) == 1 else 'them'}, or choose another format (the "
            "README's 'Taking a model elsewhere' lists the layers ONNX export takes).")
    for name, layer, parents in model._plan:
        masked = [p for p in parents if p in model._masked]
        if masked and layer.uses_mask():
            raise SpecError(
                f"Layer '{name}' ({type(layer).class_name()}) uses the mask that '{masked[0]}' "
                "passes on (Embedding with mask_zero=True, or Masking), and ONNX has no masks. "
                "Nothing was written. Set mask_zero=False (or remove the Masking layer) and "
                "retrain, or export to Keras, which keeps masks.")


def _converter_for(layer, where: str):
    converter = CONVERTERS.get(type(layer).class_name())
    if converter is None:
        raise SpecError(f"Layer {where} is a {type(layer).class_name()}, which has no ONNX "
                        "conversion. Nothing was written. Replace or remove it, or choose "
                        "another format.")
    return converter


# ----- graph ------------------------------------------------------------------------------
def _convert_node(g, model, name, layer, parents, values) -> None:
    call = Call(layer, [values[p] for p in parents], [model.node_shape(p) for p in parents],
                model.node_output_shapes(name))
    with g.scope(name):
        try:
            outputs = _converter_for(layer, f"'{name}'")(g, call)
        except LayerCraftError:
            raise
        except Exception as exc:  # a converter bug must not look like a finished export
            raise SpecError(f"Layer '{name}' ({type(layer).class_name()}) could not be "
                            f"converted to ONNX ({type(exc).__name__}: {exc}). Nothing was "
                            "written. This is a LayerCraft bug: please report it.") from exc
    outputs = outputs if isinstance(outputs, list) else [outputs]
    values.update(zip(model.node_output_refs(name), outputs))


def _dims(prefix: str, shape) -> list:
    """ONNX dims: a named dynamic batch axis, then the sizes (named when variable)."""
    return ["batch", *(f"{prefix}_dim{i + 1}" if d is None else int(d)
                       for i, d in enumerate(shape))]


def _graph_input(g, model, name):
    """(value info, float tensor the layers read) of one Input; integer Inputs (token ids)
    are int64 in the file and cast to float for the layers, as the engine does."""
    from onnx import TensorProto, helper  # noqa: PLC0415

    dtype = getattr(model._nodes[name], "dtype", "float32") or "float32"
    integer = dtype.startswith(("int", "uint"))
    elem = TensorProto.INT64 if integer else TensorProto.FLOAT
    info = helper.make_tensor_value_info(g.reserve(name), elem, _dims(name, model.node_shape(name)))
    if not integer:
        return info, name
    with g.scope(name):
        as_float = g.op("Cast", [name], to=TensorProto.FLOAT)
    g.integer_sources[as_float] = name
    return info, as_float


def _graph_output(g, model, ref, tensor):
    from onnx import TensorProto, helper  # noqa: PLC0415

    out_name, count = ref, 1
    while out_name in g._taken:
        count += 1
        out_name = f"{ref}_{count}"
    with g.scope(ref):
        g.op("Identity", [tensor], out_names=[g.reserve(out_name)])
    return helper.make_tensor_value_info(out_name, TensorProto.FLOAT,
                                         _dims(out_name, model.node_shape(ref)))


def _notes(model) -> list[str]:
    inputs = ", ".join(f"'{n}' {_shape_text(model.node_shape(n))}" for n in model.input_names)
    classes = {type(layer).class_name() for layer in model.layers}
    notes = [
        f"ONNX opset {OPSET} (IR version {IR_VERSION}), checked with onnx.checker.",
        (f"Inputs {inputs}: laid out as in LayerCraft (images channels-last), the batch "
         "axis dynamic."),
        ("Inference only: the optimizer state, the compile settings (loss, metrics) and the "
         "training history are not in the file."),
    ]
    if classes & set(onnx_layers.IDENTITY_AT_INFERENCE):
        notes.append("Dropout, noise and augmentation layers do nothing at inference and "
                     "are left out.")
    if "BatchNormalization" in classes:
        notes.append("BatchNormalization uses its moving mean and variance (inference form).")
    return notes


def _shape_text(shape) -> str:
    return "(" + ", ".join(["batch", *("None" if d is None else str(d) for d in shape)]) + ")"
