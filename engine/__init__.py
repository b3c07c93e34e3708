"""LayerCraft's deep-learning engine: Keras's workflow on NumPy (CPU) and CuPy (GPU).

Never imports Qt or the app.
"""

__version__ = "0.1.0"

from . import fpu  # imports no NumPy

with fpu.flushing():  # BLAS worker threads that NumPy's import starts copy the flush bits
    import numpy  # noqa: F401

from . import activations, backend, initializers, regularizers
from .errors import (CheckpointError, DataError, DeviceError, LayerCraftError, ShapeError,
                     SpecError, TrainingError)
from .naming import clear_session
from . import layers
from . import callbacks, datasets, losses, metrics, optimizers, schedules
from .graph import ModelGraph, Node, Problem
from .model import Model
from .sequential import Sequential
from .symbolic import Input, SymbolicTensor
from .ops.tape import GradientTape
from .variables import Variable
from . import ops, random
from .saving.checkpoint import load_model
from . import models
from . import preprocessing, saving, utils

__all__ = ["GradientTape", "Input", "Model", "Sequential", "Variable", "ops", "random", "activations", "backend", "callbacks",
           "clear_session", "datasets", "initializers", "layers", "load_model", "losses",
           "metrics", "models", "optimizers", "preprocessing", "regularizers", "saving", "schedules",
           "utils"]
