"""`engine.models`, shaped like `keras.models`: Sequential, Model, load_model, clone_model and
model_from_json."""

import json

from .saving.checkpoint import load_model
from .errors import SpecError
from .layers.base import Layer
from .layers.core import InputLayer
from .model import Model
from .saving.spec_classes import resolving, unknown_classes_message, unknown_layer_classes
from .sequential import Sequential
from .symbolic import Input, SymbolicTensor

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json"]


def model_from_json(json_string, custom_objects=None) -> Model:
    """Rebuilds a model (fresh weights, not compiled) from `model.to_json()`.

    Layer classes are looked up only among the classes this process registered
    (`engine.saving.register_keras_serializable`), the active `custom_object_scope` and
    `custom_objects`: nothing in the JSON chooses which code runs.

    Args:
        json_string: A LayerCraft model spec as JSON text.
        custom_objects: Optional `{name: class}` for classes that are not registered, such as
            `{"Scale": Scale}`.

    Raises:
        SpecError: for text that is not a LayerCraft spec, or that names classes that do not
            resolve (naming each, and how to register it).
    """
    spec = _parse_spec(json_string)
    with resolving(custom_objects):
        check_spec_classes(spec, call="model_from_json(text, custom_objects=...)")
        return Model.from_spec(spec)


def check_spec_classes(spec, custom_objects=None,
                       call="Model.from_config(config, custom_objects=...)") -> None:
    """Refuses a spec naming layer classes that do not resolve (registered, scoped or in
    `custom_objects`), naming every one of them and how to make it resolve (`call` shows
    where to pass `custom_objects`)."""
    with resolving(custom_objects):
        unknown = unknown_layer_classes(spec)
    if unknown:
        raise SpecError(unknown_classes_message(unknown, call))


def _parse_spec(json_string) -> dict:
    if not isinstance(json_string, (str, bytes, bytearray)):
        raise SpecError(f"model_from_json needs a JSON string (from model.to_json()). "
                        f"Received: {type(json_string).__name__}")
    try:
        spec = json.loads(json_string)
    except ValueError as exc:
        raise SpecError(f"model_from_json: the text is not valid JSON ({exc}).") from None
    if isinstance(spec, dict) and "layers" not in spec and "class_name" in spec:
        raise SpecError(f"model_from_json: this is a Keras model config (class_name="
                        f"{spec.get('class_name')!r}), not a LayerCraft spec. Pass the text "
                        "of a LayerCraft model's to_json(), or rebuild the model in code.")
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise SpecError("model_from_json: expected a LayerCraft model spec, a JSON object with "
                        "a 'layers' list (the text of model.to_json()).")
    return spec


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs) -> Model:
    """A model with the same architecture and new layers (fresh weights, not copied).

    Args:
        model: A Sequential or functional `Model`.
        input_tensors: Optional symbolic tensor(s) from `Input(...)` to build the clone on.
        clone_function: `fn(layer) -> layer` making each new layer (Inputs excepted).
            Defaults to `type(layer).from_config(layer.get_config())`.
        call_function: `fn(layer, inputs) -> outputs` calling each new layer (functional
            models only). Defaults to `layer(inputs)`.
        recursive: Accepted for Keras compatibility; LayerCraft has no nested models.

    Returns:
        The clone, compiled the same way when `model` is compiled (as Keras 3 does).
    """
    if kwargs:
        raise SpecError(f"clone_model: unexpected keyword argument(s): {tuple(kwargs)}")
    if not isinstance(model, Model):
        raise SpecError(f"clone_model expects a Sequential or functional Model. Received: "
                        f"{model!r} (of type {type(model).__name__})")
    clone = _cached(clone_function or _fresh_layer)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise SpecError("`call_function` argument is not supported with Sequential models. "
                            "In a Sequential model, layers aren't called at model-construction "
                            "time (they're merely listed). Use `call_function` with Functional "
                            "models only.")
        copy = _clone_sequential(model, clone, input_tensors)
    else:
        copy = _clone_functional(model, clone, call_function, input_tensors)
    if model.compiled:
        copy.compile(**model.compile_config)
    return copy


def _fresh_layer(layer):
    return type(layer).from_config(layer.get_config())


def _cached(clone_function):
    """Clones each layer once, so a shared layer stays shared in the clone."""
    cache = {}

    def clone(layer):
        if id(layer) not in cache:
            new = clone_function(layer)
            if not isinstance(new, Layer):
                raise SpecError(f"clone_function must return a layer; for layer '{layer.name}' "
                                f"it returned {new!r}.")
            cache[id(layer)] = new
        return cache[id(layer)]

    return clone


def _clone_sequential(model, clone, input_tensors):
    layers = [clone(layer) for layer in model.layers]
    source = model._input_layer
    if input_tensors is not None:
        tensors = input_tensors if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(tensors) != 1 or not _is_input_tensor(tensors[0]):
            raise SpecError("Argument `input_tensors` must be a single tensor from Input(...) "
                            f"for a Sequential model. Received: input_tensors={input_tensors!r}")
        layers.insert(0, tensors[0].layer)
    elif source is not None:
        layers.insert(0, InputLayer(shape=source.shape, batch_size=source.batch_size,
                                    dtype=source.dtype, name=source.name))
    return Sequential(layers, name=model.name, device=model.device)


def _clone_functional(model, clone, call_function, input_tensors):
    originals = model.inputs
    if input_tensors is None:
        inputs = [Input(shape=t.sample_shape, batch_size=t.batch_size, dtype=t.dtype,
                        name=t.name) for t in originals]
    else:
        inputs = list(input_tensors) if isinstance(input_tensors, (list, tuple)) \
            else [input_tensors]
        if len(inputs) != len(originals) or not all(_is_input_tensor(t) for t in inputs):
            raise SpecError(f"`input_tensors` must be {len(originals)} tensor(s) from "
                            f"Input(...), one per input of model '{model.name}'. Received: "
                            f"input_tensors={input_tensors!r}")
    tensors = dict(zip(model.input_names, inputs))
    for name, _, parents in model._plan:
        if not parents:
            continue
        layer = clone(model._owners[name])
        args = [tensors[p] for p in parents]
        args = args if layer.takes_list(len(args)) else args[0]
        outputs = call_function(layer, args) if call_function else layer(args)
        refs = model.node_output_refs(name)
        tensors.update(zip(refs, outputs if len(refs) > 1 else [outputs]))
    outputs = [tensors[name] for name in model.output_names]
    return Model(inputs if len(inputs) > 1 else inputs[0],
                 outputs if len(outputs) > 1 else outputs[0], name=model.name,
                 device=model.device)


def _is_input_tensor(value) -> bool:
    return isinstance(value, SymbolicTensor) and isinstance(value.layer, InputLayer)
