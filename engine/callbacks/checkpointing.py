"""ModelCheckpoint: saves the model (or its weights) during training."""

import os

from .. import registry
from ..saving import checkpoint
from ..errors import SpecError
from ..params import BOOL, FLOAT, STR, Param
from .base import (MODE_PARAM, SAVE_FREQ_PARAM, VERBOSE_PARAM, check_save_freq,
                   monitor_param, warn)
from .monitor import MonitorCallback


class BatchCounter:
    """Counts batches across epochs to act every `save_freq` batches (Keras's rule)."""

    def __init__(self, save_freq):
        self.save_freq = save_freq
        self.since_last = 0
        self.last_batch = 0

    def due(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        # A batch index not above the last one means a new epoch began (0-based batches).
        added = batch + 1 if batch <= self.last_batch else batch - self.last_batch
        self.since_last += added
        self.last_batch = batch
        if self.since_last >= self.save_freq:
            self.since_last = 0
            return True
        return False


@registry.register("callback")
class ModelCheckpoint(MonitorCallback):
    """Saves the model or its weights at some frequency, optionally only the best.

    `filepath` may hold a template filled with the 1-based epoch and the logs, such as
    `"ckpt-{epoch:02d}-{val_loss:.3f}.lcm"` (`{batch}`, 1-based, with an integer
    `save_freq`). Full checkpoints end in `.lcm` by convention, weights-only files in
    `.weights.lcw`; the other combination is refused, any other name is accepted.

    Args:
        filepath: Where to save (a template, see above). Missing folders are created.
        monitor: Quantity compared for `save_best_only`. Defaults to `"val_loss"`.
        verbose: 1 prints each save. Defaults to `0`.
        save_best_only: Save only when `monitor` improved. Defaults to `False`.
        save_weights_only: Save the weights only (else a full checkpoint with optimizer
            state, history and epoch). Defaults to `False`.
        mode: `"auto"`, `"min"` or `"max"`. Defaults to `"auto"`.
        save_freq: `"epoch"`, or save every that many batches. Defaults to `"epoch"`.
        initial_value_threshold: The best value to beat at the start (best-only mode).

    Attributes:
        saved_paths: Every file written, in order of first write.
        best_path: The file saved with the best `monitor` value so far, or None.
    """

    DESCRIPTION = "Save the model (or the best model) while it trains."
    PARAMS = (
        Param("filepath", STR, "checkpoints/ckpt-{epoch:02d}.lcm",
              help="File to save; {epoch} and log names such as {val_loss:.3f} are filled in."),
        monitor_param(),
        VERBOSE_PARAM,
        Param("save_best_only", BOOL, False, help="Save only when the monitored value improves."),
        Param("save_weights_only", BOOL, False, help="Save weights only (.weights.lcw)."),
        MODE_PARAM,
        SAVE_FREQ_PARAM,
        Param("initial_value_threshold", FLOAT, None, optional=True,
              help="A value the monitored quantity must beat before the first save."),
    )

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self._configure(filepath=os.fspath(filepath) if isinstance(filepath, os.PathLike)
                        else filepath, monitor=monitor, verbose=verbose,
                        save_best_only=save_best_only, save_weights_only=save_weights_only,
                        mode=mode, initial_value_threshold=initial_value_threshold)
        self.save_freq = check_save_freq(save_freq, "ModelCheckpoint")
        _check_suffix(self.filepath, self.save_weights_only)
        self._batches = BatchCounter(self.save_freq)
        self._current_epoch = 0
        self.saved_paths: list[str] = []
        self.best_path = None

    def on_train_begin(self, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._batches.due(batch):
            self._save(self._current_epoch, batch, logs)

    def wants_batch_logs(self, batch, mode="train"):
        if self._subclass_reads_batch_logs(ModelCheckpoint, mode):
            return True
        return mode == "train" and self.save_freq != "epoch"  # the monitor and the file name

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch: int, batch, logs) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs or {}
        path = self._file_path(epoch, batch, logs)
        current = logs.get(self.monitor)
        improved = current is not None and self._is_improvement(current, self.best)
        if self.save_best_only and not self._should_save_best(epoch, current, improved, path):
            return
        if self.verbose > 0 and not self.save_best_only:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if improved:  # recorded first, so that the checkpoint holds it
            self.best, self.best_path = current, path
            self._note_best(current)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            checkpoint.save_weights(self.model, path)
        else:  # a save at a batch leaves `epoch` unfinished: resume from its start
            checkpoint.save_model(self.model, path, epoch=epoch + (batch is None))
        if path not in self.saved_paths:
            self.saved_paths.append(path)
        self._after_save(path)

    def _after_save(self, path: str) -> None:
        """Runs after each file is written. Keras keeps every file; a subclass that must
        bound the disk use (the app keeps a run's best and last) removes older ones here."""

    def _should_save_best(self, epoch, current, improved, path) -> bool:
        if current is None:
            warn(f"Can save best model only with {self.monitor} available, skipping.")
            return False
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best} to {current}, "
                  f"saving model to {path}" if improved else
                  f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best}")
        return improved

    def _file_path(self, epoch: int, batch, logs: dict) -> str:
        values = {k: v for k, v in logs.items() if k != "epoch"}
        if batch is not None and "batch" not in values:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(epoch=epoch + 1, **values)
        except KeyError as exc:
            raise SpecError(
                f"ModelCheckpoint cannot fill in the filepath {self.filepath!r}: there is no "
                f"{exc} in the logs. Available: epoch, {', '.join(values) or '(no logs)'}. "
                "Change the filepath or add that metric.") from None
        except (IndexError, ValueError) as exc:
            raise SpecError(f"ModelCheckpoint filepath {self.filepath!r} is not a valid "
                            f"template ({exc}). Use names like {{epoch:02d}} or "
                            "{val_loss:.3f}.") from None


def _check_suffix(filepath: str, weights_only: bool) -> None:
    if not filepath:
        raise SpecError("ModelCheckpoint: `filepath` must be a non-empty file name.")
    if weights_only and filepath.endswith(checkpoint.MODEL_SUFFIX):
        raise SpecError(f"ModelCheckpoint: with save_weights_only=True the filepath should end "
                        f"in '{checkpoint.WEIGHTS_SUFFIX}', not '{checkpoint.MODEL_SUFFIX}'. "
                        f"Received: filepath={filepath!r}")
    if not weights_only and filepath.endswith(checkpoint.WEIGHTS_SUFFIX):
        raise SpecError(f"ModelCheckpoint: a '{checkpoint.WEIGHTS_SUFFIX}' file holds weights "
                        "only; pass save_weights_only=True or use a '.lcm' filepath. "
                        f"Received: filepath={filepath!r}")
