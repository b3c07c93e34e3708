"""Saving and loading subclassed models (`class MyModel(engine.Model)` with a `call`).

A subclassed model's architecture is Python code, so a file cannot hold it: the spec holds
the class's registered name, `model.get_config()` (by default the constructor's arguments,
as Keras records them) and the shapes of the inputs it was built for. Loading finds the class
only among the classes this process registered or the caller passed (`custom_objects`),
rebuilds it with `cls.from_config(config)`, builds it for the saved shapes and lets the
checkpoint code copy the weights in by layout:

    {"format": "layercraft.model", "version": 1, "name": "my_model",
     "layers": [{"name": "input_layer", "class_name": "Input", "config": {"shape": [4]}, ...},
                {"name": "my_model", "class_name": "MyModels>MyModel", "config": {}, ...}],
     "outputs": ["my_model"],
     "subclassed": {"class_name": "MyModels>MyModel", "config": {"units": 5, ...}}}

"layers" is the model's one-node graph (Inputs feeding the model), so readers that only draw
a spec's structure (TensorBoard, summaries) still can; it is empty for a model never built.

Sources: keras/src/ops/operation.py (`__new__`'s auto config, `get_config`),
keras/src/models/model.py (`from_config`), keras/src/saving/saving_lib.py.
"""

import inspect
import json

import numpy as np

from .. import registry
from ..errors import LayerCraftError, SpecError
from ..graph import SPEC_FORMAT, SPEC_VERSION

KEY = "subclassed"
_PLAIN = (str, int, float, bool, type(None))
# A saved input dimension above this is refused: the file chooses it, and the user's layers
# allocate weights from it before any saved weight is compared.
_MAX_INPUT_SIZE = 2**31


# ----- constructor arguments (Keras's auto config) -----------------------------------------------
def constructor_arguments(cls, args, kwargs) -> tuple[dict | None, str]:
    """(the arguments `cls(*args, **kwargs)` was called with as a config, "") when they are
    plain JSON values, else (None, why not): what Keras's `Operation.__new__` records."""
    try:
        signature = inspect.signature(cls.__init__)
        arguments = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return None, "its constructor was called with arguments it does not take"
    params = list(signature.parameters.values())[1:]
    if any(p.kind == p.POSITIONAL_ONLY for p in params):
        return None, "its constructor takes positional-only arguments"
    arguments.apply_defaults()
    config = dict(arguments.arguments)
    config.pop(next(iter(signature.parameters)))  # self
    for param in params:
        if param.kind == param.VAR_KEYWORD:
            config.update(config.pop(param.name, {}))
        elif param.kind == param.VAR_POSITIONAL and config.pop(param.name, ()):
            return None, "it was given variadic positional arguments (*args)"
    config.pop("name", None)  # get_config adds the model's name
    if not all(map(_is_plain, config.values())):
        return None, "its constructor was given values that are not plain JSON data"
    return config, ""


def _is_plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(map(_is_plain, value))
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return isinstance(value, _PLAIN) and not (isinstance(value, float) and not np.isfinite(value))


def default_config(model) -> dict:
    """Keras's default `get_config()` of a subclassed model: its name and the arguments its
    constructor was called with (the name left out when `__init__` cannot take it back)."""
    init = type(model).__init__
    from ..model import Model  # noqa: PLC0415 - model imports this module

    if init is Model.__init__:
        return {"name": model.name}
    arguments = vars(model).get("_auto_config")
    if arguments is None:
        why = vars(model).get("_auto_config_problem") or "its constructor was not recorded"
        raise NotImplementedError(
            f"Model {type(model).__name__} cannot give its config by default: {why}. Override "
            "get_config() to return the arguments __init__ needs (and from_config() if they "
            "are not plain values), for example:\n\n"
            f"    def get_config(self):\n        return {{\"units\": self.units, "
            "\"name\": self.name}")
    params = inspect.signature(init).parameters.values()
    takes_name = any(p.name == "name" or p.kind == p.VAR_KEYWORD for p in params)
    return {**({"name": model.name} if takes_name else {}), **arguments}


def rebuilt_from_config(cls, config: dict):
    """Keras's default `from_config` of a subclassed model: `cls(**config)`."""
    try:
        return cls(**config)
    except TypeError as exc:
        raise TypeError(
            f"Unable to revive model {cls.__name__} from config. When overriding get_config(), "
            "make sure that the returned config contains all items used as arguments in the "
            f"constructor to {cls.__name__}, which is the default behavior. You can override "
            "this default behavior by defining a from_config(cls, config) class method to "
            f"specify how to create an instance of {cls.__name__} from its config.\n\n"
            f"Received config={config}\n\nError encountered during deserialization: {exc}"
        ) from None


# ----- the shapes a model was built for ------------------------------------------------------------
def note_call_shapes(model, x) -> None:
    """Remembers the input shapes of a subclassed model's first eager call, as Keras's build
    config does, so a model built by `model(x)` saves (and reloads) built."""
    if model._graph is not None or "_call_input_shapes" in vars(model):
        return
    from ..ops.core import value_of  # noqa: PLC0415 - ops import layers, which import saving

    items = list(x) if isinstance(x, (list, tuple)) else [x]
    shapes = [tuple(np.shape(value_of(item))) for item in items]
    if shapes and all(len(s) >= 1 for s in shapes):
        model._call_input_shapes = [tuple(int(d) for d in s[1:]) for s in shapes]


def built_input_shapes(model) -> list | None:
    """The input shapes (no batch axis) `model` was built for, or None if never built."""
    if model._graph is not None:
        return [tuple(model._graph.nodes[n].config["shape"]) for n in model.input_names]
    return vars(model).get("_call_input_shapes")


def is_built(model) -> bool:
    return built_input_shapes(model) is not None


# ----- saving ---------------------------------------------------------------------------------------
def saved_class_name(cls) -> str:
    """The name a spec stores: the registered "package>Name", else the class name."""
    return cls.__dict__.get("CLASS_NAME") or cls.__name__


def subclassed_spec(model) -> dict:
    """The spec of a subclassed model (see the module docstring).

    Raises:
        SpecError: for a class saved under a name that loads as another class, a config that
            is not JSON data, or a model with weights but no known input shape.
        NotImplementedError: from the default `get_config()` (non-plain constructor values).
    """
    cls = type(model)
    name = saved_class_name(cls)
    found = registry.lookup("model", name)
    if found is not None and found is not cls:
        raise SpecError(
            f"Model '{model.name}' is a {cls.__module__}.{cls.__qualname__}, but its class name "
            f"{name!r} is the registered name of {found.__module__}.{found.__qualname__}, so it "
            "would load as that class. Register your class under its own name with "
            "@engine.saving.register_keras_serializable(package='MyPackage').")
    config = model.get_config()
    try:
        json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"get_config() of model '{model.name}' ({cls.__name__}) must return "
                        f"plain JSON data; it returned {config!r} ({exc}). Serialize objects "
                        "with engine.saving.serialize_keras_object in get_config() and rebuild "
                        "them in from_config().") from None
    shapes = built_input_shapes(model)
    if shapes is None and model.get_weights():
        raise SpecError(f"Model '{model.name}' has weights, but not the input shape it was "
                        "built for. Call model.build(input_shape) (e.g. model.build((None, 4))) "
                        "or call it on data before saving.")
    layers, outputs = _graph_entries(model, name, shapes)
    return {"format": SPEC_FORMAT, "version": SPEC_VERSION, "name": model.name,
            "layers": layers, "outputs": outputs, KEY: {"class_name": name, "config": config}}


def _graph_entries(model, class_name, shapes) -> tuple[list, list]:
    """The one-node graph's spec entries: Inputs feeding a node that names the class."""
    if shapes is None:
        return [], []
    if model._graph is not None:
        inputs, outputs = model.input_names, model.output_names
    else:
        inputs = ["input_layer" if i == 0 else f"input_layer_{i}" for i in range(len(shapes))]
        outputs = [model.name]
    layers = [{"name": n, "class_name": "Input", "config": {"shape": list(s)}, "inputs": []}
              for n, s in zip(inputs, shapes)]
    layers.append({"name": model.name, "class_name": class_name, "config": {},
                   "inputs": list(inputs)})
    return layers, list(outputs)


# ----- loading --------------------------------------------------------------------------------------
def is_subclassed_spec(spec) -> bool:
    return isinstance(spec, dict) and KEY in spec


def unknown_model_class(spec) -> list[tuple[str, str]]:
    """[(model name, class name)] when a subclassed spec's class does not resolve, else []."""
    entry = spec.get(KEY) if is_subclassed_spec(spec) else None
    name = entry.get("class_name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or registry.lookup("model", name) is not None:
        return []  # a malformed entry: `model_from_spec` says what is wrong with it
    return [(str(spec.get("name", "model")), name)]


def model_from_spec(spec: dict, device: str = "cpu"):
    """The subclassed model a spec describes, built for its saved input shapes, with fresh
    weights (the checkpoint code copies the saved ones in).

    Raises:
        SpecError: for a malformed entry, a class that is not registered (or passed) or is
            not a subclassed model, or a config the class cannot be rebuilt from.
    """
    from .. import backend  # noqa: PLC0415 - backend is light, but keep imports in one place
    from ..subclassed import is_subclassed  # noqa: PLC0415 - subclassed imports model

    class_name, config = _entry(spec)
    cls = registry.lookup("model", class_name)
    if cls is None:
        from .spec_classes import unknown_classes_message  # noqa: PLC0415 - imports this

        raise SpecError(unknown_classes_message(unknown_model_class(spec)))
    if not (inspect.isclass(cls) and cls.call is not _model_class().call):
        raise SpecError(f"The spec names {class_name!r} as a subclassed model, but that class "
                        "defines no call(). Only subclassed models load this way.")
    shapes = _saved_input_shapes(spec)
    try:
        model = cls.from_config(dict(config))
    except (TypeError, ValueError, KeyError) as exc:
        raise SpecError(f"Model class {class_name} could not be rebuilt from its saved config "
                        f"{config!r}: {exc}") from None
    if not isinstance(model, _model_class()) or not is_subclassed(model):
        raise SpecError(f"{cls.__name__}.from_config() returned {model!r}, not a "
                        f"{cls.__name__} model.")
    if shapes:
        _build(model, class_name, config, shapes)
        model.to_device(device)
    else:
        model.device = backend.resolve_device(device)
    return model


def _build(model, class_name, config, shapes) -> None:
    try:
        model.build([(None, *s) for s in shapes] if len(shapes) > 1 else (None, *shapes[0]))
    except (LayerCraftError, TypeError, ValueError) as exc:
        raise SpecError(f"Model class {class_name} rebuilt from its saved config {config!r} "
                        f"could not be built for its saved input shapes "
                        f"{', '.join(str(list(s)) for s in shapes)}: {exc}") from None


def _model_class():
    from ..model import Model  # noqa: PLC0415 - model imports this module

    return Model


def _entry(spec) -> tuple[str, dict]:
    entry = spec.get(KEY)
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) \
            or not isinstance(entry.get("config", {}), dict):
        raise SpecError(f"The spec's {KEY!r} entry must be an object with a 'class_name' "
                        "(text) and a 'config' (an object). The file is damaged.")
    return entry["class_name"], entry.get("config", {})


def _saved_input_shapes(spec) -> list[tuple]:
    """The shapes of the spec's Input entries, checked (dimensions: counts or null)."""
    layers = spec.get("layers", [])
    if not isinstance(layers, list):
        raise SpecError("A model spec needs a 'layers' list.")
    shapes = []
    for entry in layers:
        if not isinstance(entry, dict) or entry.get("class_name") != "Input":
            continue
        shape = (entry.get("config") or {}).get("shape") \
            if isinstance(entry.get("config"), dict) else None
        if not isinstance(shape, list) or not shape or not all(map(_is_dimension, shape)) \
                or int(np.prod([d or 1 for d in shape], dtype=np.float64)) > _MAX_INPUT_SIZE:
            raise SpecError(f"Input {entry.get('name')!r} of this subclassed model has the shape "
                            f"{shape!r}; expected a list of sizes (positive integers or null), "
                            f"at most {_MAX_INPUT_SIZE:,} values in all. The file is damaged.")
        shapes.append(tuple(shape))
    return shapes


def _is_dimension(value) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool)
                             and 0 < value <= _MAX_INPUT_SIZE)
