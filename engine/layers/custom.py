"""Keras-style layers written by users: `build(input_shape)` + `call(inputs)` + `add_weight`.

A built-in layer implements `forward`/`backward` by hand. A layer class that defines `call`
instead is "call-based": eagerly its `call` runs on Tensors (define-by-run, every op
recorded while a tape records); inside `fit()` the model calls its `forward`, which runs
`call` under a private tape, and its `backward`, which walks that tape back. So a custom
layer works in Sequential, functional and subclassed models, and in a GradientTape, with
nothing more than Keras asks of it.

Keras's conventions kept: `build` and `compute_output_shape` see shapes with the batch axis;
`call` gets `training`/`mask` only when its signature names them; sublayers and weights
assigned as attributes are tracked; output shapes come from a trace of `call` when the
class has no `compute_output_shape`.
"""

import inspect

import numpy as np

from .. import backend
from ..errors import ShapeError, TrainingError
from ..ops.core import Tensor, backprop, value_of
from ..ops.tape import GradientTape

_TRIAL_SIZES = (3, 5)  # sizes a None dimension takes in a shape trace


def is_call_based(cls) -> bool:
    """Whether `cls` is written Keras's way (defines `call`) rather than forward/backward."""
    return callable(getattr(cls, "call", None))


def call_arguments(cls) -> tuple[bool, bool]:
    """(takes `training`, takes `mask`), from `call`'s signature (cached per class)."""
    if "_call_arguments" not in cls.__dict__:
        parameters = inspect.signature(cls.call).parameters
        extra = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        cls._call_arguments = ("training" in parameters or extra, "mask" in parameters)
    return cls._call_arguments


def invoke_call(layer, inputs, training=False, mask=None, **kwargs):
    """`layer.call(inputs, ...)` with the keywords its signature takes; the losses it adds
    replace those of its previous call (Keras's `layer.losses` is the last call's)."""
    takes_training, takes_mask = call_arguments(type(layer))
    if takes_training and "training" not in kwargs:
        kwargs["training"] = bool(training)
    if takes_mask and mask is not None:
        kwargs["mask"] = mask
    for sub in sublayers(layer, recursive=True):
        sub._call_losses = []
    layer._call_losses = []
    return layer.call(inputs, **kwargs)


def as_call_input(value):
    """Eager inputs as Keras hands them to `call`: float data as float32, Tensors kept."""
    if isinstance(value, (list, tuple)):
        return type(value)(as_call_input(v) for v in value)
    if isinstance(value, Tensor) or hasattr(value, "_engine_value"):
        return value
    if isinstance(value, (np.ndarray, list, float, int)) and not isinstance(value, bool):
        array = np.asarray(value)
        return array.astype(backend.FLOATX) if array.dtype.kind in "fc" else array
    if backend.is_gpu_array(value) and value.dtype.kind == "f":
        return value.astype(backend.FLOATX)
    return value


# ----- tracking sublayers --------------------------------------------------------------------
def sublayers(layer, recursive=False) -> list:
    """Layers held as attributes (directly, in lists/tuples or dict values), in order."""
    found = _direct_sublayers(layer)
    if recursive:
        found = list(found)
        for sub in list(found):
            for deeper in sublayers(sub, recursive=True):
                if not any(deeper is f for f in found):
                    found.append(deeper)
    return found


def _direct_sublayers(layer) -> list:
    """`_find_sublayers`, cached: fit() and tapes ask several times per step, and the search
    walks every attribute. `Layer.__setattr__` drops the cache when a public attribute is
    set; a container attribute that grows or shrinks in place invalidates it here."""
    if getattr(layer, "_tracked_sublayers", None) is not None:
        return _find_sublayers(layer)  # a subclassed model's node: its model decides
    cached = vars(layer).get("_sublayer_cache")
    if cached is not None and all(len(c) == n for c, n in cached[0]):
        return cached[1]
    found = _find_sublayers(layer)
    containers = [(v, len(v)) for k, v in vars(layer).items()
                  if not k.startswith("_") and isinstance(v, (list, tuple, dict))]
    vars(layer)["_sublayer_cache"] = (containers, found)
    return found


def _find_sublayers(layer) -> list:
    from ..model import Model  # noqa: PLC0415 - model imports layers
    from .base import Layer  # noqa: PLC0415 - base imports this module

    found = []

    def add(value):
        if isinstance(value, Layer):
            if value is not layer and not any(value is f for f in found):
                found.append(value)
        elif isinstance(value, Model):  # a model held by a layer: its weights are tracked
            for owner in value._weight_layers():
                add(owner)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(item)
        elif isinstance(value, dict):
            for item in value.values():
                add(item)

    hook = getattr(layer, "_tracked_sublayers", None)  # a subclassed model's call node
    if hook is not None:
        for value in hook():
            add(value)
    for key, value in vars(layer).items():
        if not key.startswith("_"):
            add(value)
    return found


def weight_layers(layer) -> list:
    """The layer and every layer whose weights it owns (its tracked sublayers, recursively)."""
    if not is_call_based(type(layer)):
        return [layer]
    return [layer, *sublayers(layer, recursive=True)]


# ----- shapes by tracing --------------------------------------------------------------------
def traced_output_shape(layer, input_shape):
    """Output shape(s) without the batch axis, found by running `call` on zeros.

    A None dimension is tried at two sizes; an output dimension that follows it is None.
    """
    results = []
    for size in _TRIAL_SIZES:
        results.append(_trace_once(layer, input_shape, size))
    first, second = results
    if isinstance(first, list):
        return [_merge_trials(a, b) for a, b in zip(first, second)]
    return _merge_trials(first, second)


def _trace_once(layer, input_shape, size):
    def zeros(shape):
        return np.zeros((2, *[size if d is None else d for d in shape]), backend.FLOATX)

    sample = [zeros(s) for s in input_shape] if isinstance(input_shape, list) else \
        zeros(input_shape)
    losses = [list(getattr(s, "_call_losses", [])) for s in weight_layers(layer)]
    try:
        out = invoke_call(layer, sample, training=False)
    except Exception as exc:
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}): its call() failed on an input of "
            f"shape {(None, *input_shape) if isinstance(input_shape, tuple) else input_shape} "
            f"({type(exc).__name__}: {exc}). Fix call(), or define compute_output_shape()."
        ) from exc
    finally:
        for sub, kept in zip(weight_layers(layer), losses):
            sub._call_losses = kept
    if isinstance(out, (list, tuple)):
        return [tuple(int(d) for d in value_of(o).shape[1:]) for o in out]
    return tuple(int(d) for d in value_of(out).shape[1:])


def _merge_trials(a, b):
    return tuple(x if x == y else None for x, y in zip(a, b))


# ----- inside fit(): call under a private tape, walk it back in backward ------------------------
def forward_with_tape(layer, x, training, mask):
    """`call` on raw arrays for the model's forward pass; keeps the tape for `backward`."""
    if layer.inference_only:
        out = invoke_call(layer, x, training=training, mask=mask)
        return _raw_outputs(out)
    leaves = [Tensor(v) for v in (x if isinstance(x, list) else [x])]
    watched = layer.needs_input_gradient  # False for a model's first layers in fit()
    with GradientTape() as tape:
        for leaf in leaves if watched else ():
            tape.watch(leaf)
        out = invoke_call(layer, leaves if isinstance(x, list) else leaves[0],
                          training=training, mask=mask)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    layer._tape_record = (leaves if watched else None,
                          [o if isinstance(o, Tensor) else Tensor(value_of(o)) for o in outs],
                          isinstance(x, list))
    return _raw_outputs(out)


def loss_terms(layer) -> list:
    """What `call` passed to `add_loss` during the last call, the layer's and its
    sublayers' (and, for a subclassed model's node, the model's own)."""
    terms = []
    for sub in weight_layers(layer):
        terms.extend(vars(sub).get("_call_losses", ()))
    extra = getattr(layer, "_own_loss_terms", None)
    if extra is not None:
        terms.extend(extra())
    return terms


def _raw_outputs(out):
    if isinstance(out, (list, tuple)):
        return [value_of(o) for o in out]
    return value_of(out)


def backward_with_tape(layer, grad):
    """Fills the gradients of every weight `call` used and returns dL/d(inputs)."""
    leaves, outputs, took_list = layer._tape_record
    grads = grad if isinstance(grad, list) else [grad]
    seeds = {}
    for out, g in zip(outputs, grads):
        if g is not None and out.node is not None:
            seeds[out.node] = g if out.node not in seeds else seeds[out.node] + g
    for term in loss_terms(layer):  # add_loss terms join the loss fit() minimizes
        node = getattr(term, "node", None)
        if node is not None:
            one = backend.get_array_module(term.value).ones_like(term.value)
            seeds[node] = one if node not in seeds else seeds[node] + one
    if leaves is None and layer.needs_input_gradient:
        raise TrainingError(f"Layer '{layer.name}': its input gradient was asked for after a "
                            "forward pass that promised none (Model.forward(input_gradients="
                            "False)). Run forward and backward with the same setting.")
    entries = [(sub, key) for sub in weight_layers(layer) for key in sub.trainable_weight_names]
    variables = [sub.variable(key) for sub, key in entries]
    keep = [leaf.node for leaf in leaves or ()] + [v._tape_node() for v in variables]
    kept = backprop(seeds, keep=keep)
    for (sub, key), var in zip(entries, variables):
        g = kept.get(id(var._tape_node()))
        if g is None:
            sub.grads[key].fill(0)
        else:
            sub.grads[key][...] = g
    if leaves is None:
        return None
    input_grads = []
    for leaf in leaves:
        g = kept.get(id(leaf.node))
        input_grads.append(g if g is not None else
                           backend.get_array_module(leaf.value).zeros_like(leaf.value))
    return input_grads if took_list else input_grads[0]
