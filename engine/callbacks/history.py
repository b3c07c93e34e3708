"""History: the record of every epoch's logs that `fit` returns."""

import copy

from .base import Callback


class History(Callback):
    """Records the logs of each epoch; `fit` returns it (and sets `model.history`).

    Attributes:
        history: Log name -> list of values, one per epoch (`loss`, `val_loss`, metrics, and
            `learning_rate` when an LR callback writes it).
        epoch: The 0-based index of each recorded epoch.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self._adopt_resumed()

    def on_epoch_begin(self, epoch, logs=None):
        # History runs first (so checkpoints written at an epoch's end include that epoch);
        # BackupAndRestore's on_train_begin comes after ours, so look again here.
        self._adopt_resumed()

    def _adopt_resumed(self):
        resumed = getattr(self.model, "_resumed_history", None)
        if resumed:  # an interrupted or continued run: carry on with its record
            self.history = copy.deepcopy(resumed.get("history", {}))
            self.epoch = list(resumed.get("epoch", []))
            self.model._resumed_history = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self  # the latest state, as Keras does

    def to_dict(self) -> dict:
        """`{"history", "epoch", "params"}` as plain data (what a checkpoint stores)."""
        return {"history": copy.deepcopy(self.history), "epoch": list(self.epoch),
                "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        history = cls()
        history.history = copy.deepcopy(data.get("history", {}))
        history.epoch = list(data.get("epoch", []))
        history.params = dict(data.get("params", {}))
        return history

    def __repr__(self):
        return f"<History epochs={len(self.epoch)} keys={sorted(self.history)}>"
