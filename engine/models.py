"""`engine.models`, shaped like `keras.models`: Sequential, Model, load_model."""

from .checkpoint import load_model
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model"]
