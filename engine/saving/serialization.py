"""`serialize_keras_object` / `deserialize_keras_object`: an engine object as Keras's
`{"module", "class_name", "config", "registered_name"}` dict, and back.

Deserializing looks names up only among registered objects, the active
`custom_object_scope`, `custom_objects` and the engine's own registry tables: the "module"
entry only says which table (layers, losses...) a built-in name belongs to; nothing is ever
imported from it, and a lambda is never serialized.

Sources: keras/src/saving/serialization_lib.py (Keras 3).
"""

import types

from .. import registry
from ..errors import SpecError
from .kinds import kind_names, kind_of
from .object_registration import GLOBAL_CUSTOM_NAMES, get_registered_name, get_registered_object

_PLAIN = (str, int, float, bool, type(None))
# The public module each kind's built-ins are exported from (Keras's "keras.layers"...).
_KIND_MODULES = {"layer": "layers", "model": "models", "loss": "losses", "metric": "metrics",
                 "optimizer": "optimizers", "schedule": "optimizers.schedules",
                 "regularizer": "regularizers", "initializer": "initializers",
                 "callback": "callbacks"}


def serialize_keras_object(obj):
    """`obj` as plain JSON data: plain values as they are, lists and dicts item by item,
    a function by its registered name, an object by its class and `get_config()`."""
    if isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {str(k): serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, types.FunctionType):
        if obj.__name__ == "<lambda>":
            raise ValueError("A lambda cannot be serialized: its code would have to be stored "
                             "and run when loading. Use a named function, registered with "
                             "@engine.saving.register_keras_serializable().")
        name = get_registered_name(obj)
        return {"module": obj.__module__, "class_name": "function", "config": name,
                "registered_name": name}
    if not hasattr(obj, "get_config"):
        raise ValueError(f"Cannot serialize {obj!r} (of type {type(obj).__name__}): it has no "
                         "get_config() method.")
    cls = type(obj)
    builtin = cls not in GLOBAL_CUSTOM_NAMES and _builtin_kind(cls)
    return {"module": f"engine.{_KIND_MODULES[builtin]}" if builtin else cls.__module__,
            "class_name": cls.__name__, "config": obj.get_config(),
            "registered_name": None if builtin else get_registered_name(cls)}


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuilds what `serialize_keras_object` returned: `cls.from_config(config)`, the class
    found only by name (see the module docstring).

    Raises:
        SpecError: naming the class that is neither registered nor in `custom_objects`.
    """
    if isinstance(config, _PLAIN) and not isinstance(config, str):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects) for c in config]
    if isinstance(config, str):
        return _resolve(config, None, None, custom_objects)
    if not isinstance(config, dict) or "class_name" not in config:
        if isinstance(config, dict):
            return {k: deserialize_keras_object(v, custom_objects) for k, v in config.items()}
        raise SpecError(f"Cannot deserialize {config!r}: expected a dict with 'class_name' and "
                        "'config' (from serialize_keras_object).")
    if config["class_name"] == "function":
        return _resolve(config.get("config"), None, None, custom_objects)
    found = _resolve(config.get("registered_name") or config["class_name"],
                     config["class_name"], config.get("module"), custom_objects)
    return found.from_config(config.get("config") or {})


def _resolve(name, class_name, module, custom_objects):
    found = get_registered_object(name, custom_objects)
    if found is None and class_name and custom_objects:
        found = custom_objects.get(class_name)
    if found is None:
        found = _from_tables(class_name or name, module)
    if found is None:
        raise SpecError(f"Could not find the class or function {name!r}: it is not registered "
                        "in this process. Define or import it decorated with "
                        "@engine.saving.register_keras_serializable(), or pass "
                        f"custom_objects={{{str(name).rpartition('>')[2]!r}: ...}}.")
    return found


def _from_tables(name, module):
    """A built-in of the kind `module` names, or of the only kind that has `name`."""
    kinds = [k for k in kind_names() if registry.lookup(k, name) is not None]
    hinted = [k for k in kinds if isinstance(module, str)
              and module.endswith("." + _KIND_MODULES[k])]
    chosen = hinted or kinds
    return registry.lookup(chosen[0], name) if len(chosen) == 1 else None


def _builtin_kind(cls):
    kind = kind_of(cls)
    return kind if kind and registry.lookup(kind, registry.class_name_of(cls)) is cls else None
