"""Small callbacks: TerminateOnNaN and LambdaCallback."""

import math

from .. import registry
from ..errors import SpecError, TrainingError
from ..params import BOOL, Param
from .base import HOOKS, Callback


@registry.register("callback")
class TerminateOnNaN(Callback):
    """Stops training when the loss of a batch is NaN or infinite.

    Args:
        raise_error: Raise a `TrainingError` (a RuntimeError) at once instead of setting
            `model.stop_training`. Defaults to `False`.

    Attributes:
        terminated_at: The 0-based batch whose loss was invalid, or None.
    """

    DESCRIPTION = "Stop training when the loss becomes NaN or infinite."
    PARAMS = (Param("raise_error", BOOL, False,
                    help="Raise an error instead of stopping after the batch."),)

    def __init__(self, raise_error=False):
        super().__init__()
        self._configure(raise_error=raise_error)
        self.terminated_at = None

    def on_train_begin(self, logs=None):
        self.terminated_at = None

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        self.terminated_at = batch
        if self.raise_error:
            raise TrainingError(f"NaN or Inf loss encountered at batch {batch}: the loss "
                                f"diverged. Lower the learning rate or check the data.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of functions, e.g. `LambdaCallback(on_epoch_end=lambda e, logs: ...)`.

    Each argument replaces the hook of the same name; functions take the hook's arguments
    (`(epoch, logs)`, `(batch, logs)` or `(logs)`). Other hooks (`on_test_end=...`) may be
    passed by keyword too.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = [name for name in kwargs if name not in HOOKS]
        if unknown:
            raise SpecError(f"LambdaCallback: unknown hooks {unknown}. Valid hooks: "
                            f"{', '.join(HOOKS)}.")
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise SpecError(f"LambdaCallback: `{name}` must be a function. Received: "
                                f"{function!r}")
            setattr(self, name, function)
