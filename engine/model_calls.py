"""A model called eagerly inside a GradientTape (or on Tensors): layer by layer, recorded.

Each layer call is one recorded node (a built-in layer's VJP is its own backward with the
state of that call), so `tape.gradient` reaches the model's Variables and, through the
inputs, whatever produced them (a GAN's generator output fed to the discriminator). A model
of built-in layers only takes a faster road: one node for the whole call (`model_tape.py`).
"""

from .ops.core import Tensor, value_of


def recorded_forward(model, x, training) -> list:
    """The model's outputs as Tensors, in `output_names` order."""
    names = model.input_names
    items = _spread(x, names)
    values = {}
    for name, item in zip(names, items):
        checked = model._checked_input(name, value_of(item))
        values[name] = Tensor(checked, item.node) if isinstance(item, Tensor) else \
            (item if hasattr(item, "_engine_leaf") else Tensor(checked))
    masks = {}
    for name, layer, parents in model._plan:
        layer.inference_only = False
        if not parents:
            continue
        x_in, mask = model._layer_input(layer, parents, values, masks)
        outputs = layer(x_in, training=training, mask=mask)
        if name in model._output_counts:
            values.update(zip(model.node_output_refs(name), outputs))
        else:
            values[name] = outputs
        if name in model._masked:
            raw = [value_of(v) for v in x_in] if isinstance(x_in, list) else value_of(x_in)
            masks[name] = layer.compute_mask(raw, mask)
    return [values[name] for name in model.output_names]


def _spread(x, names) -> list:
    if isinstance(x, dict):
        return [x[name] for name in names]
    if isinstance(x, (list, tuple)) and len(names) > 1:
        return list(x)
    return [x]
