"""BackupAndRestore: resume an interrupted `fit` at the epoch where it stopped."""

import os
import sys

from ..saving import checkpoint
from ..errors import CheckpointError, SpecError
from ..params import BOOL, STR, Param
from .base import SAVE_FREQ_PARAM, Callback, check_save_freq
from .checkpointing import BatchCounter

LATEST = "backup.lcm"
PREVIOUS = "backup-previous.lcm"


class BackupAndRestore(Callback):
    """Backs up the training state so that an interrupted `fit` resumes where it was.

    Each backup is one full checkpoint, `backup.lcm` in `backup_dir` (spec, weights,
    optimizer state, completed epochs, history), written atomically. At the start of `fit`
    a backup found there restores weights, optimizer state and history and sets
    `model._initial_epoch_override`, so the trainer starts at the first unfinished epoch
    (a backup taken mid-epoch restarts that epoch from its beginning). When `fit` ends
    without an error the backup is deleted (only the files this callback writes; the
    folder too if it is then empty).

    Args:
        backup_dir: Folder for the backup (created when needed).
        save_freq: `"epoch"`, or back up every that many batches. Defaults to `"epoch"`.
        double_checkpoint: Keep the previous backup too (`backup-previous.lcm`), used if the
            latest cannot be read. Defaults to `False`.
        delete_checkpoint: Delete the backup at a successful end. Defaults to `True`.
    """

    DESCRIPTION = "Back up training each epoch and resume an interrupted run."
    PARAMS = (
        Param("backup_dir", STR, "backup", help="Folder that holds the backup."),
        SAVE_FREQ_PARAM,
        Param("double_checkpoint", BOOL, False, help="Also keep the previous backup."),
        Param("delete_checkpoint", BOOL, True, help="Delete the backup when training ends."),
    )

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise SpecError("BackupAndRestore: `backup_dir` must be a folder name. Received an "
                            "empty value.")
        self._configure(backup_dir=os.fspath(backup_dir), double_checkpoint=double_checkpoint,
                        delete_checkpoint=delete_checkpoint)
        self.save_freq = check_save_freq(save_freq, "BackupAndRestore")
        self._batches = BatchCounter(self.save_freq)
        self._current_epoch = 0
        self._history = {"history": {}, "epoch": []}
        self._in_epoch = False
        self.restored_epoch = None  # epochs completed by the run a backup came from

    @property
    def backup_path(self) -> str:
        return os.path.join(self.backup_dir, LATEST)

    @property
    def previous_path(self) -> str:
        return os.path.join(self.backup_dir, PREVIOUS)

    # ----- restore ------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._current_epoch, self._in_epoch = 0, False
        self._history = {"history": {}, "epoch": []}
        contents = self._read_backup()
        if contents is None:
            return
        try:
            checkpoint.assign_weights(self.model, contents)
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None and contents.optimizer_state is not None:
                optimizer.set_state(contents.optimizer_state)
        except CheckpointError as exc:
            raise CheckpointError(f"{exc}\nThe backup in '{self.backup_dir}' belongs to another "
                                  "model. Delete that folder to start training afresh.") from None
        self._current_epoch = self.restored_epoch = contents.epoch
        if contents.history is not None:
            self._history = {"history": contents.history.get("history", {}),
                             "epoch": list(contents.history.get("epoch", []))}
        self.model._resumed_history = self._history  # History continues this record
        self.model._initial_epoch_override = contents.epoch
        state = getattr(self.model, "training_state", None)
        if isinstance(state, dict):
            state.update(epoch=contents.epoch, best=dict(contents.best))

    def _read_backup(self):
        candidates = [self.backup_path] + ([self.previous_path] if self.double_checkpoint else [])
        existing = [path for path in candidates if os.path.exists(path)]
        for position, path in enumerate(existing):
            try:
                return checkpoint.read_checkpoint(path)
            except CheckpointError:
                if position == len(existing) - 1:
                    raise
        return None

    # ----- back up ------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._in_epoch = True

    def on_train_batch_end(self, batch, logs=None):
        if self._batches.due(batch):
            self._save()

    def wants_batch_logs(self, batch, mode="train"):
        # A backup saves weights and the epoch history, never batch logs.
        return self._subclass_reads_batch_logs(BackupAndRestore, mode)

    def on_epoch_end(self, epoch, logs=None):
        self._history["epoch"].append(epoch)
        for key, value in (logs or {}).items():
            self._history["history"].setdefault(key, []).append(value)
        self._current_epoch = epoch + 1
        self._batches.last_batch = 0
        self._in_epoch = False
        if self.save_freq == "epoch":
            self._save()

    def _save(self) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self.backup_path):
            os.replace(self.backup_path, self.previous_path)
        checkpoint.save_model(self.model, self.backup_path, epoch=self._current_epoch,
                              history=self._history, extra={"backup": True})

    # ----- clean up -----------------------------------------------------------------------------
    def on_train_end(self, logs=None):
        # A trainer may call on_train_end from `finally` while an error propagates, or
        # mid-epoch after an interruption: keep the backup then, so the run can resume.
        failed = sys.exc_info()[0] is not None or self._in_epoch
        if not self.delete_checkpoint or failed:
            return
        for path in (self.backup_path, self.previous_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)
        except OSError:  # not empty (the user's files) or already gone
            pass
