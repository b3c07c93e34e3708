"""Engine callbacks from the training panel's settings (early stopping, checkpoints,
ReduceLROnPlateau, and always TerminateOnNaN)."""

import os

from engine import callbacks as cb
from engine.callbacks.base import warn


class NanGuard(cb.TerminateOnNaN):
    """TerminateOnNaN that looks at the loss whenever batch logs are built for the GUI's
    throttled updates (several times a second, and always at an epoch's last batch).

    Keras's TerminateOnNaN reads the loss after every batch, which on a GPU waits for the
    device every batch. The logged loss is a running mean, and a NaN or inf stays in it until
    the epoch ends, so looking less often stops the run at most one update later.
    """

    def wants_batch_logs(self, batch, mode="train"):
        return False  # it reads the logs the GUI bridge asks for


class RunCheckpoint(cb.ModelCheckpoint):
    """ModelCheckpoint for one run: saves every `every`-th epoch (1-based count), or only
    improvements with `save_best_only`, and keeps on disk just the best file and the last.

    Keras's ModelCheckpoint keeps every file, and the app names them by epoch, so a fast run
    left one file per improvement (1,131 files, 149 MB in 20 seconds). Only files this
    callback created are ever deleted: a file that was already at a path before it wrote
    there is kept, and nothing else in the folder is touched.

    Attributes:
        saved_paths: The files kept on disk, oldest first (the run record lists these).
        last_path: The most recent file written, or None.
    """

    def __init__(self, filepath, every: int = 1, **kwargs):
        super().__init__(filepath, **kwargs)
        self.every = max(1, int(every))
        self.last_path = None
        self._created = set()  # paths this callback created: the only ones it may delete
        self._found = set()  # paths that existed before its first write there

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            super().on_epoch_end(epoch, logs)

    def _save(self, epoch, batch, logs):
        path = self._file_path(epoch, batch, logs or {})
        if path not in self._created and os.path.exists(path):
            self._found.add(path)
        super()._save(epoch, batch, logs)

    def _after_save(self, path):
        if path not in self._found:
            self._created.add(path)
        self.last_path = path
        self._prune()

    def _prune(self) -> None:
        keep = {self.best_path, self.last_path}
        for old in [p for p in self.saved_paths if p not in keep and p in self._created]:
            try:
                os.remove(old)
            except FileNotFoundError:
                pass  # already gone (removed by hand): nothing to keep listing
            except OSError as exc:  # still on disk, so the record keeps listing it
                warn(f"Could not remove the superseded checkpoint {old}: {exc}")
                continue
            self._created.discard(old)
            self.saved_paths.remove(old)


def build_callbacks(settings: dict, checkpoint_pattern: str, has_validation: bool) -> list:
    """The run's engine callbacks, the NaN guard first (so a NaN is reported as such).

    Args:
        settings: The merged training settings (see `job.DEFAULT_SETTINGS`).
        checkpoint_pattern: File template for ModelCheckpoint.
        has_validation: Whether validation data exists; a `val_*` monitor without it falls
            back to the training quantity, so the callbacks still act.
    """
    callbacks = [NanGuard()]
    stop = settings["early_stopping"]
    if stop.get("enabled"):
        callbacks.append(cb.EarlyStopping(
            monitor=_monitor(stop["monitor"], has_validation), patience=int(stop["patience"]),
            min_delta=float(stop["min_delta"]),
            restore_best_weights=bool(stop["restore_best_weights"])))
    save = settings["checkpoint"]
    if save.get("enabled"):
        monitor = _monitor(save["monitor"], has_validation)
        best_only = bool(save.get("save_best_only", True))
        callbacks.append(RunCheckpoint(checkpoint_pattern, monitor=monitor,
                                       save_best_only=best_only,
                                       every=1 if best_only else int(save.get("every", 1))))
    lr = settings["reduce_lr"]
    if lr.get("enabled"):
        callbacks.append(cb.ReduceLROnPlateau(monitor=_monitor(lr["monitor"], has_validation),
                                              factor=float(lr["factor"]),
                                              patience=int(lr["patience"])))
    return callbacks


def _monitor(name: str, has_validation: bool) -> str:
    if not has_validation and name.startswith("val_"):
        return name[4:]
    return name
