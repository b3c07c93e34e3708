"""A model of built-in layers called under a GradientTape: one recorded node.

Recorded layer by layer (`model_calls.recorded_forward`), each call pays a few dozen
microseconds of bookkeeping; a Keras-style loop over a small MLP then runs well behind fit().
A model whose layers are all built-in needs none of that: it runs `model.forward` as fit()
does and records one node whose VJP is `model.backward` with the state of that call.

- Per call: every layer's state is kept (as `layers.recording` keeps one layer's), so a
  model called twice in one tape (a GAN's discriminator on fake and on real batches)
  differentiates each call with its own activations.
- The weight gradients of a call are views of one fresh flat buffer laid out like the
  model's parameters: `optimizer.apply_gradients` then runs fit()'s one-pass step on it.
- Weights of layers the cotangent did not reach get None (Keras's unconnected gradients);
  weight regularizers are left to `model.losses`, as on the layer-by-layer path.
"""

from .layers.custom import is_call_based
from .layers.recording import _layer_tree, _Parts, _selector
from .ops.core import Node, Tensor, is_recording, node_of, value_of


def eligible(model) -> bool:
    """Whether every layer of `model` is a built-in with its own backward (no call-based
    layer, nested model or op node, no layer that records its own tape terms)."""
    cached = vars(model).get("_one_node_plan")
    if cached is not None and cached[0] is model._plan:
        return cached[1]
    ok = all(not is_call_based(type(layer)) and not getattr(layer, "TAPE_PER_CALL", False)
             for _, layer, parents in model._plan if parents)
    vars(model)["_one_node_plan"] = (model._plan, ok)
    return ok


def recorded_call(model, items, checked, training) -> list:
    """The outputs of `model` on `checked` (its standardized inputs; `items` what the caller
    passed), as Tensors joined to the tape by one node when anything is tracked."""
    input_nodes = tuple(node_of(item) for item in items)
    needs_input = any(n is not None for n in input_nodes)
    outputs = model.forward(checked, training=training, input_gradients=needs_input)
    variables = model.trainable_variables if is_recording() else []
    parents = input_nodes + tuple(v._engine_leaf() for v in variables)
    if all(p is None for p in parents):
        return [Tensor(o) for o in outputs]
    state = [(sub, dict(vars(sub))) for _, layer, parents_ in model._plan if parents_
             for sub in _layer_tree(layer)]
    entries = list(model._trainable_entries)

    def vjp(g):
        grads = list(g) if isinstance(g, _Parts) else [g]
        input_grads, weight_grads = _backward_with(model, state, entries, grads, needs_input)
        return (*[input_grads.get(name) for name in model.input_names], *weight_grads)

    node = Node(parents, vjp)
    if len(outputs) == 1:
        return [Tensor(outputs[0], node)]
    return [Tensor(o, Node((node,), _selector(i, len(outputs)))) for i, o in enumerate(outputs)]


def _backward_with(model, state, entries, grads, needs_input):
    """`model.backward(grads)` with one call's saved state, its weight gradients written to
    views of a fresh flat buffer; the layers' current state comes back afterwards."""
    current = [(sub, dict(vars(sub))) for sub, _ in state]
    xp_like = model._flat_params
    flat = _zeros_like(xp_like)
    try:
        for sub, saved in state:
            vars(sub).update(saved)
        views = []
        for (layer, key), (a, b) in zip(entries, model._segments):
            view = flat[a:b].reshape(layer.params[key].shape)
            layer.grads = {**layer.grads, key: view}
            views.append(view)
        input_grads = model.backward(grads, input_gradients=needs_input, regularizers=False)
        reached = {id(model._owners[name]) for name in model._last_reached}
    finally:
        for sub, saved in current:
            vars(sub).clear()
            vars(sub).update(saved)
    weight_grads = [view if id(layer) in reached else None
                    for (layer, _), view in zip(entries, views)]
    return input_grads, weight_grads


def _zeros_like(array):
    from . import backend  # noqa: PLC0415 - keep this module's imports light

    return backend.get_array_module(array).zeros_like(array)


def call(model, x, training) -> list:
    """`model(x)` under a tape: one node when `eligible`, else layer by layer."""
    from .model_calls import _spread, recorded_forward  # noqa: PLC0415 - model_calls imports

    if not eligible(model) or getattr(model, "_trainable_entries", None) is None:
        return recorded_forward(model, x, training)
    items = _spread(x, model.input_names)
    checked = [model._checked_input(name, value_of(item))
               for name, item in zip(model.input_names, items)]
    return recorded_call(model, items, checked, training)
