"""Optimizers with Keras 3's formulas, defaults and step order, on NumPy and CuPy arrays.

`get("adam")`, `get({"class_name": "Adam", "config": {...}})` or `get(instance)`.
Every optimizer offers Keras's `apply_gradients` / `apply` on separate variables and the
trainer's fast path `apply_flat` on one flat parameter array, and saves its state with
`get_state` / `set_state`.
"""

from .. import registry
from ..errors import SpecError, describe_choices
from .adam import Adam, Adamax, AdamW, Nadam
from .adaptive import Adadelta, Adagrad, RMSprop
from .base import Optimizer
from .ftrl import Ftrl
from .momentum import SGD, Lion
from . import schedules  # `keras.optimizers.schedules.ExponentialDecay(...)`

KIND = "optimizer"
#: Lower-case names accepted by `get` (class names such as "Adam" work too).
NAMES = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl",
         "lion")

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "Ftrl", "Lion", "NAMES", "get", "schedules", "serialize"]


def _class_for(name):
    if not isinstance(name, str) or name not in registry.names(KIND):
        raise SpecError(f"Unknown optimizer {name!r}. Expected one of: "
                        f"{describe_choices(NAMES)} (or the class names, such as 'Adam').")
    return registry.get_class(KIND, name)


def get(identifier) -> Optimizer:
    """An optimizer from a name, a `{"class_name", "config"}` dict or an instance.

    Raises:
        SpecError: for an unknown name or a config the class rejects; the message lists the
            valid names.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _class_for(identifier)()
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = _class_for(identifier["class_name"])
        config = identifier.get("config", {})
        if not isinstance(config, dict):
            raise SpecError(f"Optimizer {identifier['class_name']!r}: `config` must be a dict. "
                            f"Received: {config!r}")
        return cls.from_config(dict(config))
    raise SpecError(f"Cannot interpret optimizer {identifier!r}. Expected one of "
                    f"{describe_choices(NAMES)}, a config such as "
                    "{'class_name': 'Adam', 'config': {'learning_rate': 0.001}}, or an instance.")


def serialize(optimizer: Optimizer) -> dict:
    """`{"class_name", "config"}` for an optimizer (plain JSON data)."""
    return {"class_name": registry.class_name_of(type(optimizer)),
            "config": optimizer.get_config()}
