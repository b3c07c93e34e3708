"""CSVLogger: one row of epoch logs per epoch in a CSV file."""

import csv

from .. import registry
from ..params import BOOL, STR, Param
from .base import Callback


@registry.register("callback")
class CSVLogger(Callback):
    """Streams epoch results to a CSV file: columns `epoch` then the sorted log names.

    A value missing in an epoch is written `NA`. When the first epoch has no `val_` logs,
    `val_` columns are added for every log (validation may start later), as Keras does.

    Args:
        filename: The CSV file.
        separator: The column separator. Defaults to `","`.
        append: Append to an existing file (no second header) instead of overwriting it.
            Defaults to `False`.
    """

    DESCRIPTION = "Write each epoch's results to a CSV file."
    PARAMS = (
        Param("filename", STR, "training.csv", help="The CSV file to write."),
        Param("separator", STR, ",", help="Column separator."),
        Param("append", BOOL, False, help="Append to the file instead of overwriting it."),
    )

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self._configure(filename=str(filename), separator=separator, append=append)
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        if self.append:
            try:
                with open(self.filename, encoding="utf-8") as existing:
                    self.append_header = not existing.readline()
            except FileNotFoundError:
                self.append_header = True
        self._close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="",
                             encoding="utf-8")
        self.writer, self.keys = None, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += ["val_" + key for key in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.separator)
            if self.append_header:
                self.writer.writerow(["epoch", *self.keys])
        self.writer.writerow([epoch, *(_cell(logs.get(key, "NA")) for key in self.keys)])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


def _cell(value):
    """A value for the CSV: lists (per-class metrics) as "[a, b]", numbers as they are."""
    if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0:
        return f"[{', '.join(map(str, list(value)))}]"
    return value
