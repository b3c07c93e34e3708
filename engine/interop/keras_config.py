"""Layer configs between LayerCraft and Keras 3, both ways.

Most engine layers are Keras classes with Keras's config keys, so a config crosses over
almost as it is. What differs is translated here:

- values: an engine activation of None is Keras's `"linear"`; initializers and
  regularizers gain Keras's `module` (`{"module": "keras.initializers", "class_name",
  "config", "registered_name"}`) going out and lose it coming in;
- structure: `Input` is Keras's `InputLayer` (`shape` <-> `batch_shape`), Bidirectional's
  flat `layer_class`/`units`/... is Keras's nested `layer` config, TimeDistributed's JSON
  text is Keras's nested `layer` config, Cropping2D's four numbers are Keras's two pairs;
- keys: `use_causal_mask`, a config key of the engine's attention layers, is a call argument
  in Keras (the caller puts it into the node's `kwargs`); Keras-only keys are dropped when
  they change nothing a loaded model computes (constraints, seeds, dropout rates that act
  only in training), and refused when set to anything LayerCraft does not compute
  (`data_format="channels_first"` where the engine has no such key, `groups > 1`...).

Nothing here imports Keras: a class is resolved only against the engine's own layer
registry, and a class that is not one of the engine's built-in layers is refused by name.
"""

from dataclasses import dataclass, field

from .. import initializers, registry, regularizers
from ..activations import NAMES as ACTIVATIONS
from ..errors import LayerCraftError, SpecError
from ..layers.wrappers import inner_layer

LAYERS_MODULE = "keras.layers"
FLOAT32_POLICY = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                  "registered_name": None}
ATTENTION_CLASSES = ("Attention", "AdditiveAttention", "MultiHeadAttention")
RNN_CLASSES = ("SimpleRNN", "LSTM", "GRU")
_ACTIVATION_KEYS = ("activation", "recurrent_activation")
#: Keras keys that change nothing a loaded model predicts, with their defaults: dropped on
#: import, with a note when they were set.
TRAINING_ONLY = {
    "dtype": None, "activity_regularizer": None, "seed": None, "dropout": 0.0,
    "recurrent_dropout": 0.0, "noise_shape": None, "unroll": False, "synchronized": False,
    "renorm_momentum": 0.99, "renorm_clipping": None, "use_cudnn": None,
    **{f"{w}_constraint": None for w in ("kernel", "bias", "recurrent", "depthwise",
                                        "pointwise", "beta", "gamma", "alpha", "embeddings")},
}
#: Keras keys for which LayerCraft computes one value only: any other value is refused.
NEUTRAL = {"data_format": "channels_last", "groups": 1, "stateful": False, "renorm": False,
           "rms_scaling": False, "use_gate": False, "sliding_window": None,
           "output_padding": None, "quantization_config": None, "lora_rank": None,
           "sparse": False, "ragged": False, "optional": False, "input_tensor": None}
#: Engine layers whose Keras twin has no `trainable` argument.
_NO_TRAINABLE = ("SpatialDropout1D", "SpatialDropout2D")


@dataclass
class KerasLayer:
    """One layer as Keras writes it: class, config, call kwargs and notes for the user."""

    class_name: str
    config: dict
    call_kwargs: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def entry(self) -> dict:
        return {"module": LAYERS_MODULE, "class_name": self.class_name, "config": self.config,
                "registered_name": None}


def owner_of(name, class_name) -> str:
    return f"Layer '{name}' ({class_name})"


def builtin_layer_names() -> set:
    """The engine's built-in layer classes (user-registered classes are not Keras's)."""
    return {registry.class_name_of(cls) for cls in registry.classes("layer")
            if cls.__module__.startswith("engine.layers")}


# ----- LayerCraft -> Keras ---------------------------------------------------------------------
def to_keras(class_name: str, name: str, config: dict) -> KerasLayer:
    """The Keras form of an engine layer `name` of `class_name` with engine `config`.

    Raises:
        SpecError: for a class Keras does not have (a user-registered layer).
    """
    if class_name in ("Op", "Model"):  # data in our spec; Keras stores them differently
        what = "an engine.ops operation" if class_name == "Op" else "a nested model"
        raise SpecError(f"{owner_of(name, class_name)} is {what}; the .keras export does not "
                        "write those yet. Save the model as a LayerCraft checkpoint (.lcm), "
                        "or build it from layers (layers.Add, layers.Multiply, "
                        "layers.Activation, a model's layers inlined) to export it to .keras.")
    if class_name not in builtin_layer_names():
        raise SpecError(f"{owner_of(name, class_name)} is not one of LayerCraft's built-in "
                        "layers, so Keras has no class for it. Replace it with built-in "
                        "layers before exporting.")
    if class_name == "Input":
        return KerasLayer("InputLayer", _input_to_keras(name, config))
    config = {k: v for k, v in config.items() if k != "name"}
    layer = KerasLayer(class_name, {})
    if class_name in ATTENTION_CLASSES and config.pop("use_causal_mask", False):
        layer.call_kwargs["use_causal_mask"] = True
    if class_name in _NO_TRAINABLE:
        config.pop("trainable", None)
    if class_name == "Bidirectional":
        config = _bidirectional_to_keras(name, config)
    elif class_name == "TimeDistributed":
        config = _time_distributed_to_keras(name, config)
    elif class_name in ("Cropping2D", "ZeroPadding2D"):
        key = "cropping" if class_name == "Cropping2D" else "padding"
        config[key] = _pairs(config[key])
    values = {k: _value_to_keras(k, v) for k, v in config.items()}
    layer.config = {"name": name, **values, "dtype": FLOAT32_POLICY}
    return layer


def _input_to_keras(name, config) -> dict:
    shape = list(config.get("shape", []))
    return {"batch_shape": [config.get("batch_size"), *shape],
            "dtype": config.get("dtype") or "float32", "sparse": False, "ragged": False,
            "name": name, "optional": False}


def _pairs(four) -> list:
    four = list(four)
    return [four[:2], four[2:]] if len(four) == 4 else four


def _bidirectional_to_keras(name, config) -> dict:
    inner_class = config.pop("layer_class")
    own = {p.name for p in registry.get_class("layer", inner_class).PARAMS}
    inner = {k: config.pop(k) for k in list(config) if k in _all_rnn_keys()}
    inner = {k: v for k, v in inner.items() if k in own}
    inner_name = f"forward_{inner_class.lower()}_{name}"
    return {**config, "layer": to_keras(inner_class, inner_name, inner).entry()}


def _all_rnn_keys() -> set:
    return {p.name for cls in RNN_CLASSES for p in registry.get_class("layer", cls).PARAMS}


def _time_distributed_to_keras(name, config) -> dict:
    inner = inner_layer(owner_of(name, "TimeDistributed"), config.pop("layer"))
    inner_config = {k: v for k, v in inner.get_config().items() if k != "name"}
    keras = to_keras(type(inner).class_name(), f"{name}_inner", inner_config)
    return {**config, "layer": keras.entry()}


def _value_to_keras(key, value):
    if key in _ACTIVATION_KEYS and value is None:
        return "linear"
    if key.endswith("_initializer") and value is not None:
        return _with_module("keras.initializers", initializers.get(value).to_config())
    if key.endswith("_regularizer") and isinstance(value, dict):
        return _with_module("keras.regularizers", value)
    return value


def _with_module(module, value: dict) -> dict:
    return {"module": module, "class_name": value["class_name"],
            "config": dict(value.get("config") or {}), "registered_name": None}


# ----- Keras -> LayerCraft ---------------------------------------------------------------------
def from_keras(entry: dict, notes: list) -> tuple[str, str, dict]:
    """`(engine class name, layer name, engine config)` of one Keras layer entry.

    Raises:
        SpecError: naming the layer, for a Lambda layer, a custom or unknown class, or a
            setting LayerCraft does not compute.
    """
    config = entry.get("config")
    if not isinstance(config, dict):
        raise SpecError(f"A layer entry of class {entry.get('class_name')!r} has no config "
                        f"object. Received: {config!r}.")
    name = config.get("name") or entry.get("name")
    class_name = engine_class(entry, str(name))
    owner = owner_of(name, entry.get("class_name"))
    if class_name == "Input":
        return class_name, name, _input_from_keras(owner, config)
    if class_name == "Bidirectional":
        return class_name, name, _bidirectional_from_keras(owner, config, notes)
    if class_name == "TimeDistributed":
        return class_name, name, _time_distributed_from_keras(owner, config, notes)
    return class_name, name, _plain_from_keras(class_name, owner, config, notes)


def engine_class(entry: dict, name: str) -> str:
    """The engine class for a Keras entry; refuses Lambda, custom and unknown classes."""
    class_name, module = entry.get("class_name"), entry.get("module")
    registered = entry.get("registered_name")
    owner = owner_of(name, class_name)
    if class_name == "Lambda":
        raise SpecError(f"{owner} is a Lambda layer: it holds Python code, and LayerCraft "
                        "never runs code from a file. Rebuild that step from built-in layers "
                        "in Keras, save again, and open the new file.")
    if class_name in ("Sequential", "Functional", "Model"):
        raise SpecError(f"{owner} is a model nested inside the model; LayerCraft does not "
                        "nest models. Expected: layers only. Fix: in Keras, call the inner "
                        "model's layers directly, save again, and open the new file.")
    if not _is_keras_layers_module(module) or registered not in (None, class_name):
        raise SpecError(f"{owner} is a custom class ({registered or class_name!r} from module "
                        f"{module!r}). LayerCraft builds only its own layers and never imports "
                        "code named in a file. Expected: a class from keras.layers.")
    engine_name = "Input" if class_name == "InputLayer" else class_name
    if engine_name not in builtin_layer_names():
        raise SpecError(f"{owner}: LayerCraft has no {class_name} layer. Replace it with a "
                        "layer LayerCraft has, or remove it, and save the model again.")
    return engine_name


def _is_keras_layers_module(module) -> bool:
    return isinstance(module, str) and (module == LAYERS_MODULE
                                        or module.startswith("keras.src.layers."))


def _input_from_keras(owner, config) -> dict:
    refused = {k: config[k] for k in ("sparse", "ragged", "optional", "input_tensor")
               if config.get(k) not in (None, False)}
    if refused:
        raise SpecError(f"{owner}: {_settings(refused)} has no LayerCraft equivalent. "
                        "Expected: a dense input.")
    shape = config.get("batch_shape", config.get("batch_input_shape"))
    if not isinstance(shape, list) or not shape:
        raise SpecError(f"{owner}: expected `batch_shape`, a list such as [null, 28, 28]. "
                        f"Received: {shape!r}.")
    dtype = config.get("dtype")
    return {"batch_shape": shape, "dtype": dtype if isinstance(dtype, str) else None}


def _plain_from_keras(class_name, owner, config, notes) -> dict:
    accepted = {p.name for p in registry.get_class("layer", class_name).PARAMS} | {"trainable"}
    result = {}
    for key, value in config.items():
        if key == "name":
            continue
        if key in accepted:
            result[key] = _value_from_keras(owner, key, value, notes)
        elif key in TRAINING_ONLY:
            _note_dropped(owner, key, value, notes)
        elif key in NEUTRAL and value == NEUTRAL[key]:
            continue
        elif key in NEUTRAL:
            raise SpecError(f"{owner}: the Keras setting {_settings({key: value})} has no "
                            f"LayerCraft equivalent. Expected: {key}={NEUTRAL[key]!r}.")
        else:
            raise SpecError(f"{owner}: the Keras setting {_settings({key: value})} is not one "
                            "LayerCraft knows, so the layer cannot be rebuilt faithfully. "
                            f"Expected one of: {', '.join(sorted(accepted))}.")
    return result


def _note_dropped(owner, key, value, notes) -> None:
    if key == "dtype":
        policy = value.get("config", {}).get("name") if isinstance(value, dict) else value
        if policy not in (None, "float32"):
            notes.append(f"{owner}: computes in float32 (Keras used {policy}).")
    elif value not in (None, False, 0, 0.0, TRAINING_ONLY[key], "auto"):
        notes.append(f"{owner}: {_settings({key: value})} was dropped: it acts only in "
                     "training, and LayerCraft has no such setting.")


def _settings(values: dict) -> str:
    """`key=value` for a message; a Keras object shows as its class name."""
    return ", ".join(f"`{k}={_brief(v)!r}`" for k, v in values.items())


def _brief(value):
    return value["class_name"] if isinstance(value, dict) and "class_name" in value else value


def _value_from_keras(owner, key, value, notes):
    if key in _ACTIVATION_KEYS:
        if not isinstance(value, str) or value not in ACTIVATIONS:
            raise SpecError(f"{owner}: activation {value!r} is not one LayerCraft has. "
                            f"Expected one of: {', '.join(ACTIVATIONS)}.")
        return value
    if key.endswith("_initializer"):
        return _object_from_keras(owner, key, value, notes, initializers.get)
    if key.endswith("_regularizer"):
        return _object_from_keras(owner, key, value, notes, regularizers.get)
    if key == "axis" and owner.endswith("(LayerNormalization)") and isinstance(value, list) \
            and len(value) == 1:
        return value[0]  # Keras keeps a list; the engine normalizes over one axis
    return value


def _object_from_keras(owner, key, value, notes, get):
    """An initializer or regularizer in engine form; an unknown one falls back to the
    engine's default (it matters only for training or fresh weights), with a note."""
    if isinstance(value, dict):
        config = {k: v for k, v in (value.get("config") or {}).items() if v is not None}
        value = {"class_name": value.get("class_name"), "config": config}
    try:
        built = get(value)
    except (LayerCraftError, TypeError, ValueError):
        notes.append(f"{owner}: {key} {value!r} is not available in LayerCraft; its default "
                     "is used (this matters only for fresh weights or the training loss).")
        return None if key.endswith("_regularizer") else "glorot_uniform"
    if key.endswith("_initializer") and isinstance(value, dict) and \
            built.get_config() == type(built)().get_config():
        return initializers.canonical_name(value)  # "glorot_uniform", as a form shows it
    return value


def _bidirectional_from_keras(owner, config, notes) -> dict:
    forward = config.get("layer")
    if not isinstance(forward, dict):
        raise SpecError(f"{owner}: expected a nested `layer` config. Received: {forward!r}.")
    inner_class, _, inner = from_keras(forward, notes)
    if inner_class not in RNN_CLASSES:
        raise SpecError(f"{owner} wraps a {inner_class}; LayerCraft's Bidirectional wraps "
                        f"{', '.join(RNN_CLASSES)} only.")
    backward = config.get("backward_layer")
    if backward is not None:
        _check_mirror(owner, inner_class, inner, backward, notes)
    inner.pop("go_backwards", None)
    inner.pop("trainable", None)
    rest = {k: v for k, v in config.items() if k not in ("layer", "backward_layer")}
    result = _plain_from_keras("Bidirectional", owner, rest, notes)
    return {**result, "layer_class": inner_class, **inner}


def _check_mirror(owner, inner_class, inner, backward, notes) -> None:
    back_class, _, back = from_keras(backward, notes)
    same = back_class == inner_class and {k: v for k, v in back.items() if k != "go_backwards"} \
        == {k: v for k, v in inner.items() if k != "go_backwards"}
    if not same or back.get("go_backwards") == inner.get("go_backwards"):
        raise SpecError(f"{owner} has a backward layer that differs from its forward layer "
                        "(not only in go_backwards); LayerCraft's backward layer is always a "
                        "copy of the forward one. Expected: backward_layer=None.")


def _time_distributed_from_keras(owner, config, notes) -> dict:
    inner = config.get("layer")
    if not isinstance(inner, dict):
        raise SpecError(f"{owner}: expected a nested `layer` config. Received: {inner!r}.")
    inner_class, _, inner_config = from_keras(inner, notes)
    rest = {k: v for k, v in config.items() if k != "layer"}
    result = _plain_from_keras("TimeDistributed", owner, rest, notes)
    return {**result, "layer": {"class_name": inner_class, "config": inner_config}}
