"""Keras callbacks: hooks into `fit`, `evaluate` and `predict`.

`from engine import callbacks; callbacks.EarlyStopping(patience=3)`. The classes offered in
the GUI are registered under the kind "callback" with their `PARAMS`.
"""

from .backup import BackupAndRestore
from .base import HOOKS, Callback, CallbackList, CallbackWarning
from .checkpointing import ModelCheckpoint
from .csv_logger import CSVLogger
from .history import History
from .lr import LearningRateScheduler, ReduceLROnPlateau
from .monitor import EarlyStopping, MonitorCallback, metric_direction
from .progbar import Progbar, ProgbarLogger
from .simple import LambdaCallback, TerminateOnNaN
from .tensorboard import TensorBoard

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "CallbackWarning",
           "EarlyStopping", "HOOKS", "History", "LambdaCallback", "LearningRateScheduler",
           "ModelCheckpoint", "MonitorCallback", "Progbar", "ProgbarLogger",
           "ReduceLROnPlateau", "TensorBoard", "TerminateOnNaN", "metric_direction"]
