"""Every layer of the engine, registered by class name on import (Keras names)."""

import importlib

from .base import Layer, WeightSpec
from .core import Activation, Dense, InputLayer

# Layer modules written in parallel register themselves when imported; import every one that
# exists so the registry (and the GUI palette built from it) always lists them all.
_MODULES = ("reshaping", "regularization", "normalization", "conv", "pooling", "recurrent",
            "embedding", "merge", "preprocessing")
for _module in _MODULES:
    try:
        _mod = importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{_module}":
            raise
        continue
    for _name in getattr(_mod, "__all__", ()):
        globals()[_name] = getattr(_mod, _name)

__all__ = ["Layer", "WeightSpec", "Activation", "Dense", "InputLayer"]

from ..symbolic import Input  # noqa: E402 - `keras.layers.Input`, as in Keras

__all__.append("Input")
