"""LayerCraft's deep-learning engine: Keras's workflow on NumPy (CPU) and CuPy (GPU).

Never imports Qt or the app.
"""

__version__ = "0.1.0"

from . import activations, backend, initializers, regularizers
from .errors import (CheckpointError, DataError, DeviceError, LayerCraftError, ShapeError,
                     SpecError, TrainingError)
from .naming import clear_session
from . import layers
from .graph import ModelGraph, Node, Problem
from .model import Model
from .sequential import Sequential
from .symbolic import Input, SymbolicTensor
