"""A layer call inside a GradientTape: one recorded node whose VJP is the layer's backward.

The built-in layers keep their fused, hand-written forward/backward pairs. Called eagerly
while a tape records, a layer runs its forward once and records one node; the node keeps
what THIS call left in the layer (its saved state), so a layer called twice under one tape
(shared weights; a GAN's `d(fake)` and `d(real)`) differentiates each call with its own
state, and the weight gradients of both calls add up on the layer's Variables.
"""

from .. import backend
from ..ops.core import Node, Tensor, is_recording, node_of, value_of


class _Parts(list):
    """The cotangents of a multi-output call, one slot per output (None = unused); they
    add slot by slot when several consumers pass cotangents back."""

    def __add__(self, other):
        return _Parts(a if b is None else b if a is None else a + b for a, b in zip(self, other))

    __radd__ = __add__


def _layer_tree(layer) -> list:
    """The layer and every layer it holds (wrappers, RNN cells): their state is per call.

    A layer found to hold none is remembered (the common case, searched once); assigning a
    layer to it drops that (`Layer.__setattr__`). Holders are searched every call, since
    their inner layers may change what they hold."""
    if vars(layer).get("_layer_tree_cache"):
        return [layer]
    found = _find_layer_tree(layer)
    if len(found) == 1:
        vars(layer)["_layer_tree_cache"] = True
    return found


def _find_layer_tree(layer) -> list:
    from .base import Layer  # noqa: PLC0415 - base imports this module lazily

    found, stack = [], [layer]
    while stack:
        current = stack.pop()
        if any(current is f for f in found):
            continue
        found.append(current)
        for value in vars(current).values():
            if isinstance(value, Layer):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(v for v in value if isinstance(v, Layer))
    return found


def call_recorded(layer, inputs, training, mask):
    """`layer(inputs)` on Tensors/arrays: returns Tensors, recorded when anything is tracked."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    values = [value_of(t) for t in items]
    x = values if isinstance(inputs, (list, tuple)) else values[0]
    layer.needs_input_gradient = True
    layer.inference_only = False
    out = layer.forward_masked(x, training=training, mask=mask)
    outputs = out if isinstance(out, list) else [out]
    recording = is_recording()
    weights = [layer.variable(k) for k in layer.trainable_weight_names] if recording else []
    parents = tuple(node_of(t) for t in items) + tuple(v._engine_leaf() for v in weights)
    if not recording or all(p is None for p in parents):
        wrapped = [Tensor(o) for o in outputs]
        return wrapped if isinstance(out, list) else wrapped[0]
    layer._recorded_input = inputs  # what a layer's `losses` differentiate through
    state = [(sub, dict(vars(sub))) for sub in _layer_tree(layer)]
    state[0][1]["_tape_call"] = True  # its backward runs for the tape, not for fit()
    keys = [v._key for v in weights]
    # As in fit(): a call on untracked inputs (a model's first layer) skips its input gradient
    needs_input = any(p is not None for p in parents[:len(items)])

    def vjp(g):
        grads_in, weight_grads = _backward_with(layer, state, keys, g, needs_input)
        if grads_in is None:
            grads_in = [None] * len(items)
        elif not isinstance(inputs, (list, tuple)) or not layer.takes_list(len(items)):
            grads_in = [grads_in]
        return (*grads_in, *weight_grads)

    node = Node(parents, vjp)
    if not isinstance(out, list):
        return Tensor(out, node)
    return [Tensor(o, Node((node,), _selector(i, len(outputs)))) for i, o in enumerate(outputs)]


def _selector(index, count):
    def vjp(g):
        parts = _Parts([None] * count)
        parts[index] = g
        return (parts,)
    return vjp


def _backward_with(layer, state, keys, g, needs_input=True):
    """Runs `layer.backward(g)` with the state one call saved, into fresh gradient arrays;
    the layers' current state (a later call's) is put back afterwards. Without
    `needs_input` the layer may skip its input gradient (and return None)."""
    current = [(sub, dict(vars(sub))) for sub, _ in state]
    try:
        for sub, saved in state:
            vars(sub).update(saved)
            xp = backend.xp(sub.device)
            sub.grads = {k: xp.zeros_like(v) for k, v in sub.grads.items()}
            sub.needs_input_gradient = needs_input or sub is not layer
        if hasattr(layer, "_bind"):  # wrappers point their inner layers at their arrays
            layer._bind()
        grad = list(g) if isinstance(g, _Parts) else g
        grads_in = layer.backward(grad)
        weight_grads = [layer.grads.get(k) for k in keys]
    finally:
        for sub, saved in current:
            vars(sub).clear()
            vars(sub).update(saved)
    return grads_in, weight_grads


def regularization_terms(layer) -> list:
    """Each weight regularizer's penalty on `layer`, as a Tensor whose VJP is the
    regularizer's analytic gradient (recorded under a tape)."""
    from ..ops.core import record  # noqa: PLC0415

    terms = []
    for key, reg in layer.regularizers.items():
        if key not in layer.params or key.startswith("__"):
            continue
        var = layer.variable(key)
        array = layer.params[key]
        xp = backend.get_array_module(array)
        value = xp.asarray(reg(array), dtype=array.dtype)
        terms.append(record(value, (var,), lambda g, reg=reg, array=array:
                            (g * reg.gradient(array),)))
    return terms
