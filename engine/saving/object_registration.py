"""Keras's object registration: `register_keras_serializable`, `get_registered_object`,
`get_registered_name`, `custom_object_scope`.

A registered class is stored under "package>Name" in Keras's custom object table and in the
engine registry's table for its kind (a Layer subclass among the layers...), so a spec or a
checkpoint that names it resolves to it, and only to it. Nothing here imports anything by a
name read from a file: a class is found only if the running process registered it or the
caller passed it (`custom_objects=`, `custom_object_scope`).

Sources: keras/src/saving/object_registration.py (Keras 3).
"""

import contextlib
import inspect

from .. import registry
from .kinds import kind_of

GLOBAL_CUSTOM_OBJECTS: dict = {}
GLOBAL_CUSTOM_NAMES: dict = {}

__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects",
           "get_registered_name", "get_registered_object", "register_keras_serializable"]


class CustomObjectScope:
    """Exposes custom classes/functions to deserialization (`load_model`, `from_config`,
    `model_from_json`) for the duration of a `with` block, in this thread only.

        with custom_object_scope({"MyLayer": MyLayer}):
            model = engine.load_model("model.lcm")

    As in Keras, entering a scope replaces the outer scope's objects and leaving restores
    them.

    Args:
        custom_objects: Dictionary of `{str: object}` pairs, the `str` key being the object
            name (its class name, or its registered "package>Name").
    """

    def __init__(self, custom_objects):
        self.custom_objects = check_custom_objects(custom_objects)
        self.backup = None

    def __enter__(self):
        self.backup = registry.scope_objects()
        registry.set_scope_objects(self.custom_objects)
        return self

    def __exit__(self, *args, **kwargs):
        registry.set_scope_objects(self.backup)


custom_object_scope = CustomObjectScope


def check_custom_objects(custom_objects) -> dict:
    """`custom_objects` as a dict of `{name: class or function}`, or a `SpecError`."""
    from ..errors import SpecError  # noqa: PLC0415 - kept beside its only use

    if custom_objects is None:
        return {}
    if not isinstance(custom_objects, dict):
        raise SpecError(f"`custom_objects` must be a dict of {{name: class}}, such as "
                        f"{{'MyLayer': MyLayer}}. Received: {type(custom_objects).__name__}")
    wrong = [repr(k) for k, v in custom_objects.items()
             if not isinstance(k, str) or not (inspect.isclass(v) or callable(v))]
    if wrong:
        raise SpecError(f"`custom_objects` must map names to classes or functions; these "
                        f"entries do not: {', '.join(wrong)}.")
    return dict(custom_objects)


def get_custom_objects() -> dict:
    """The live global dictionary of registered objects ("package>Name" -> object).

    Objects of a `custom_object_scope` are not in it. As in Keras, an entry added to it by
    hand resolves in `get_registered_object`; use `register_keras_serializable` to make a
    class loadable from specs and checkpoints too.
    """
    return GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Registers a class (or function) so that saved models naming it load again.

    The object is registered under `"package>name"` (`name` defaults to its `__name__`).
    A Layer subclass is then saved in specs and checkpoints under that name, and loading
    finds it, in any process that ran this decorator (import the module defining it before
    loading).

        @engine.saving.register_keras_serializable(package="MyLayers")
        class Scale(engine.layers.Layer):
            ...

    Args:
        package: The package the class belongs to (the key's first part).
        name: The name within the package; defaults to the class or function name.

    Returns:
        A decorator that registers the decorated object and returns it unchanged.

    Raises:
        ValueError: for a class with no `get_config()` method, as Keras does.
    """

    def decorator(arg):
        class_name = name if name is not None else arg.__name__
        registered_name = f"{package}>{class_name}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() "
                             "method.")
        GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        GLOBAL_CUSTOM_NAMES[arg] = registered_name
        kind = kind_of(arg)
        if inspect.isclass(arg) and kind is not None:
            # The class saves itself under this name: specs and checkpoints hold
            # "package>Name" (`Layer.class_name()` reads CLASS_NAME).
            arg.CLASS_NAME = registered_name
            registry.add(kind, registered_name, arg)
        elif kind == "function":
            # A loss or metric function is saved in compile settings under this name
            # (`losses.custom.function_config` reads it) and found again in this table.
            registry.add("function", registered_name, arg)
            with contextlib.suppress(AttributeError, TypeError):  # a builtin takes none
                arg._registered_name = registered_name
        return arg

    return decorator


def get_registered_name(obj) -> str:
    """The name `obj` is registered under ("package>Name"), else its `__name__`."""
    if obj in GLOBAL_CUSTOM_NAMES:
        return GLOBAL_CUSTOM_NAMES[obj]
    return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function `name` stands for, or None.

    Looked up, in Keras's order, in the active `custom_object_scope`, the registered
    objects, `custom_objects`, then `module_objects`. Nothing is imported.
    """
    scoped = registry.scope_objects()
    if name in scoped:
        return scoped[name]
    if name in GLOBAL_CUSTOM_OBJECTS:
        return GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None
