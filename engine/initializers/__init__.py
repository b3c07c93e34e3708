"""Weight initializers: Keras's classes, names, formulas and defaults.

    from engine import initializers
    layers.Dense(64, kernel_initializer=initializers.HeNormal(seed=1))
    layers.Dense(64, kernel_initializer="he_normal")           # the same, by name

A layer's spec keeps a name as given and an instance as `{"class_name", "config"}`, so
models save, load and show in the property editor either way. Every draw happens on the
CPU from NumPy (so a seed gives the same weights on every device) and is float32.
"""

from .. import backend, registry
from ..errors import SpecError, describe_choices
from ..naming import snake_case
from .constant_initializers import KIND, Constant, Identity, Initializer, Ones, Zeros
from .random_initializers import (GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal,
                                  LecunUniform, Orthogonal, RandomInitializer, RandomNormal,
                                  RandomUniform, TruncatedNormal, VarianceScaling, compute_fans)

#: Snake-case names offered by forms (Keras's class names and aliases work too).
NAMES = (
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "uniform", "normal", "identity", "variance_scaling",
)

# Keras's lower-case spellings of the classes (`keras.initializers.he_normal(seed=1)`).
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = (GlorotUniform, GlorotNormal, HeUniform,
                                                        HeNormal)
lecun_uniform, lecun_normal = LecunUniform, LecunNormal

__all__ = ["NAMES", "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
           "Identity", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
           "RandomInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "Zeros", "canonical_name", "compute_fans", "deserialize", "get",
           "initialize", "serialize"]


def _class_for(name, identifier):
    if not isinstance(name, str) or name not in registry.names(KIND):
        raise SpecError(f"Unknown initializer {identifier!r}. Expected one of: "
                        f"{describe_choices(NAMES)}, a class name such as 'HeNormal', or an "
                        "instance such as initializers.HeNormal(seed=0).")
    return registry.get_class(KIND, name)


def canonical_name(identifier) -> str:
    """The snake name of an initializer given as a name, a Keras class name or a config dict
    (`"HeNormal"` -> `"he_normal"`); listed names such as `"normal"` stay as they are."""
    name = identifier.get("class_name") if isinstance(identifier, dict) else identifier
    cls = _class_for(name, identifier)
    return name if name in NAMES else snake_case(registry.class_name_of(cls))


def deserialize(config: dict) -> Initializer:
    """An initializer from `{"class_name": ..., "config": {...}}`."""
    cls = _class_for(config.get("class_name"), config)
    arguments = config.get("config") or {}
    if not isinstance(arguments, dict):
        raise SpecError(f"Initializer {config['class_name']!r}: `config` must be a dict. "
                        f"Received: {arguments!r}")
    try:
        return cls.from_config(dict(arguments))
    except TypeError as exc:
        raise SpecError(f"Initializer {config['class_name']!r} got unexpected arguments "
                        f"{arguments}: {exc}") from None


def serialize(initializer: Initializer) -> dict:
    """`{"class_name", "config"}` for an initializer (plain JSON data)."""
    return initializer.to_config()


def get(identifier) -> Initializer | None:
    """An initializer from `None`, a name (`"he_normal"` or `"HeNormal"`), a config dict,
    a class or an instance, as `keras.initializers.get`.

    Raises:
        SpecError: for an unknown name or a config the class rejects; the message lists
            the valid names.
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _class_for(identifier, identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    raise SpecError(f"Could not interpret initializer identifier: {identifier!r}. Expected a "
                    f"name such as 'glorot_uniform', a config such as {{'class_name': "
                    "'RandomNormal', 'config': {'stddev': 0.1}}, or an Initializer instance.")


def initialize(identifier, shape, rng=None):
    """Draws a float32 array of `shape` with the initializer `identifier`.

    Args:
        identifier: Anything `get` accepts.
        shape: The weight shape.
        rng: A NumPy generator for an unseeded initializer; defaults to the engine's seeded
            generator for names, and to the initializer's own draw for instances and configs
            (whose `seed`, when set, always wins).
    """
    initializer = get(identifier)
    if initializer is None:
        raise SpecError("An initializer is required; received None. Fix: pass a name such as "
                        "'glorot_uniform' or an Initializer instance.")
    unseeded = getattr(initializer, "seed", None) is None
    if isinstance(identifier, str) or (rng is not None and unseeded):
        values = initializer.draw(tuple(int(d) for d in shape), rng or backend.rng())
        return values.astype("float32")
    return initializer(shape)
