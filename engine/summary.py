"""`model.summary()`: Keras 3's table (layer (type), output shape, param #, connected to)."""

from .graph_refs import split_ref
from .layers.base import format_shape

_HEAVY = {"top": "┏━┳┓", "head": "┃┃┃", "rule": "┡━╇┩"}
_LIGHT = {"row": "│││", "sep": "├─┼┤", "bottom": "└─┴┘"}

#: How a model without an input shape gets built (the unbuilt summary and Sequential's errors).
HOW_TO_BUILD = ("call it on data (fit, predict, model(x)), call "
                "model.build((None, *sample_shape)), or start it with Input(shape).")


def human_size(num_bytes: float) -> str:
    """Bytes with two decimals and a 1024 divisor: `397.54 KB`, as Keras prints."""
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1024 or unit == "GB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024.0
    return f"{num_bytes:.2f} GB"


def is_sequential_like(model) -> bool:
    """True when every node takes exactly its predecessor (a chain), as Keras checks."""
    previous = None
    for name, _, parents in model._plan:
        if previous is not None and parents != [previous]:
            return False
        previous = name
    return True


def summary_rows(model) -> list[dict]:
    """One row per node: name, type, output shape, param count, inputs (for the GUI too)."""
    from .subclassed import is_subclassed  # noqa: PLC0415 - subclassed imports layers

    if is_subclassed(model):
        return _subclassed_rows(model)
    rows = []
    hide_inputs = type(model).__name__ == "Sequential"
    for name, layer, parents in model._plan:
        if hide_inputs and not parents:
            continue
        owner = model._owners[name]
        params, trainable = (0, 0) if layer is not owner else _param_counts(owner)
        type_name = "InputLayer" if not parents else type(layer).__name__
        shapes = model.node_output_shapes(name)
        rows.append({"name": name, "type": type_name,
                     "shape": shapes[0] if len(shapes) == 1 else shapes,
                     "params": params, "trainable_params": trainable, "inputs": list(parents)})
    return rows


def _param_counts(layer) -> tuple[int, int]:
    """(all, trainable) weights of a layer, its tracked sublayers' included."""
    total = sum(int(owner.params[k].size) for owner, k in layer._weight_entries())
    trainable = sum(int(owner.params[k].size) for owner, k in layer._weight_entries(True))
    return total, trainable


def _subclassed_rows(model) -> list[dict]:
    """A subclassed model lists the layers it holds; their output shapes are not known
    without tracing `call`, so they show as "?" (as Keras shows them)."""
    rows = []
    for layer in model.layers:
        if hasattr(layer, "_weight_entries"):
            params, trainable = _param_counts(layer)
        else:  # a model held by the model
            params = sum(int(w.size) for w in layer.weights)
            trainable = sum(int(w.size) for w in layer.trainable_weights)
        rows.append({"name": layer.name, "type": type(layer).__name__, "shape": "?",
                     "params": params, "trainable_params": trainable, "inputs": []})
    return rows


def output_shape_text(shape) -> str:
    """`(None, 64)`, or Keras's `[(None, 64), (None, 64)]` for a layer with several outputs."""
    if isinstance(shape, str):
        return shape
    return f"[{format_shape(shape)}]" if isinstance(shape, list) else format_shape(shape)


def connected_text(model, parents) -> str:
    """Keras's "Connected to" cell: `embedding[0][0], encoder[0][1], encoder[0][2]`."""
    cells = []
    for ref in parents:
        node, index = split_ref(ref, model.graph.nodes)
        cells.append(f"{node}[0][{index}]")
    return ", ".join(cells) or "-"


def _line(chars, widths):
    left, fill, mid, right = chars
    return left + mid.join(fill * (w + 2) for w in widths) + right


def _cells(values, widths, border, align):
    parts = []
    for value, width, how in zip(values, widths, align):
        text = str(value)
        parts.append(" " + (text.rjust(width) if how == "r" else text.ljust(width)) + " ")
    return border[0] + border[1].join(parts) + border[2]


def summary_text(model, line_length=None, positions=None) -> str:
    from .subclassed import is_subclassed  # noqa: PLC0415

    chain = is_subclassed(model) or is_sequential_like(model)
    table_rows = []
    for row in summary_rows(model):
        cells = [f"{row['name']} ({row['type']})", output_shape_text(row["shape"]),
                 f"{row['params']:,}"]
        if not chain:
            cells.append(connected_text(model, row["inputs"]))
        table_rows.append(cells)
    return _render(model, table_rows, chain, line_length, positions)


def unbuilt_summary_text(model, line_length=None, positions=None) -> str:
    """Keras's table for a model without an input shape yet: shapes `?`, params `0 (unbuilt)`,
    then a line saying how to build it."""
    table_rows = [[f"{layer.name} ({type(layer).__name__})", "?",
                   f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"]
                  for layer in model.layers]
    text = _render(model, table_rows, True, line_length, positions)
    return f"{text}\n Model '{model.name}' is not built yet: {HOW_TO_BUILD}"


def print_unbuilt_summary(model, line_length=None, positions=None, print_fn=None, **kwargs):
    text = unbuilt_summary_text(model, line_length=line_length, positions=positions)
    (print_fn or print)(text)
    return text


def _render(model, table_rows, chain, line_length, positions) -> str:
    headers = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    line_length = line_length or (88 if chain else 108)
    positions = positions or ([0.45, 0.80, 1.0] if chain else [0.3, 0.6, 0.70, 1.0])
    cuts = [int(line_length * p) if p <= 1 else int(p) for p in positions]
    widths = [max(8, b - a - 3) for a, b in zip([0] + cuts[:-1], cuts)]
    widths = [max([w, len(h)] + [len(r[i]) for r in table_rows])
              for i, (w, h) in enumerate(zip(widths, headers))]
    align = ["l", "l", "r", "l"]
    lines = [f'Model: "{model.name}"', _line(_HEAVY["top"], widths),
             _cells(headers, widths, _HEAVY["head"], align), _line(_HEAVY["rule"], widths)]
    for i, cells in enumerate(table_rows):
        if i:
            lines.append(_line(_LIGHT["sep"], widths))
        lines.append(_cells(cells, widths, _LIGHT["row"], align))
    lines.append(_line(_LIGHT["bottom"], widths))
    lines.extend(_footer(model))
    return "\n".join(lines)


def _footer(model) -> list[str]:
    owners = model._weight_layers()  # custom layers' and held models' sublayers too
    total = sum(int(w.size) for layer in owners for w in layer.params.values())
    trainable = sum(int(layer.params[k].size) for layer in owners
                    for k in layer.trainable_weight_names)
    lines = []
    optimizer_params = model.optimizer_param_count() if hasattr(
        model, "optimizer_param_count") else 0
    grand_total = total + optimizer_params
    lines.append(f" Total params: {grand_total:,} ({human_size(grand_total * 4)})")
    lines.append(f" Trainable params: {trainable:,} ({human_size(trainable * 4)})")
    lines.append(f" Non-trainable params: {total - trainable:,} "
                 f"({human_size((total - trainable) * 4)})")
    if optimizer_params:
        lines.append(f" Optimizer params: {optimizer_params:,} "
                     f"({human_size(optimizer_params * 4)})")
    return lines
