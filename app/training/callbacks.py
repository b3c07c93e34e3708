"""Engine callbacks from the training panel's settings (early stopping, checkpoints,
ReduceLROnPlateau, and always TerminateOnNaN)."""

from engine import callbacks as cb


class NanGuard(cb.TerminateOnNaN):
    """TerminateOnNaN that looks at the loss whenever batch logs are built for the GUI's
    throttled updates (several times a second, and always at an epoch's last batch).

    Keras's TerminateOnNaN reads the loss after every batch, which on a GPU waits for the
    device every batch. The logged loss is a running mean, and a NaN or inf stays in it until
    the epoch ends, so looking less often stops the run at most one update later.
    """

    def wants_batch_logs(self, batch, mode="train"):
        return False  # it reads the logs the GUI bridge asks for


class EveryNEpochsCheckpoint(cb.ModelCheckpoint):
    """ModelCheckpoint that saves at the end of every `every`-th epoch (1-based count)."""

    def __init__(self, filepath, every: int = 1, **kwargs):
        super().__init__(filepath, **kwargs)
        self.every = max(1, int(every))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            super().on_epoch_end(epoch, logs)


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
        if save.get("save_best_only", True):
            callbacks.append(cb.ModelCheckpoint(checkpoint_pattern, monitor=monitor,
                                                save_best_only=True))
        else:
            callbacks.append(EveryNEpochsCheckpoint(checkpoint_pattern, monitor=monitor,
                                                    every=int(save.get("every", 1))))
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
