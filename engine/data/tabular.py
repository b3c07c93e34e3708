"""`from_csv`: numeric columns and a label column from a delimited text file.

The file is read in chunks of lines. A chunk without quotes goes through NumPy's C parser
(`np.loadtxt`), which keeps a 100 MB file to a few seconds; a chunk that has quotes, or that
the fast parser refuses, goes through the `csv` module cell by cell, which also finds the
exact line, column and value of any problem. Nothing is returned until the whole file is
read and checked.

With `on_bad_rows="skip"`, rows with a feature cell that is not a number or with the wrong
number of values are left out instead of stopping the load; `CsvData.skipped_rows` counts
them and `CsvData.first_skipped` says where the first one was, so a GUI can tell the user.
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError, SpecError, describe_choices
from . import limits
from .csv_columns import column_names, resolve
from .csv_lines import (check_lengths, chunks, csv_error, first_line, parsed, sniff, split,
                        unquoted)
from .csv_values import MISSING_TOKENS, BadRow, fill_means, to_float32, unparsable
from .loaded import LoadedData, check_task, encode_labels

MISSING_MODES = ("error", "drop", "mean")
BAD_ROW_MODES = ("error", "skip")


@dataclass(eq=False)
class CsvData(LoadedData):
    """`LoadedData` from `from_csv`, with the rows `on_bad_rows="skip"` left out.

    Attributes:
        skipped_rows: How many data rows were skipped (0 with `on_bad_rows="error"`).
        first_skipped: The first skipped row as a `BadRow`, or `None`.
    """

    skipped_rows: int = 0
    first_skipped: BadRow | None = None


def from_csv(path, label=None, features=None, delimiter=None, header=True, missing="error",
             task="auto", on_bad_rows="error") -> CsvData:
    """Reads a CSV (or other delimited) file into float32 features and labels.

    Args:
        path: The file.
        label: Name (or 0-based position) of the label column, or `None` for a file without
            labels (data to predict on). Defaults to `None`.
        features: Names or positions of the feature columns; `None` takes every column but
            the label. Defaults to `None`.
        delimiter: One character; `None` guesses from the first line among `,` `;` tab `|`.
        header: Whether the first line holds column names. Without one, columns are called
            `column_0`, `column_1`, ... Defaults to `True`.
        missing: What to do with empty cells and `NA`/`NaN`/`null`/`?`: `"error"` reports the
            first one, `"drop"` skips rows that have one, `"mean"` fills a feature with its
            column's mean (a missing label still needs `"drop"`). Defaults to `"error"`.
        task: `"auto"`, `"classification"` or `"regression"`. `"auto"` reads text labels and
            integer labels with at most 100 distinct values as classes.
        on_bad_rows: What to do with a row that does not parse (a feature cell that is not a
            number, or the wrong number of values): `"error"` reports the first one, `"skip"`
            leaves such rows out and counts them in the result's `skipped_rows`. Missing
            values are governed by `missing`, not by this. Defaults to `"error"`.

    Returns:
        `CsvData` (a `LoadedData`) with `x` float32 `(rows, features)`, `y` int64 class
        indices (mapping in `class_names`, sorted) or float32 targets, `feature_names`, and
        the rows skipped (`skipped_rows`, `first_skipped`). Unpacks as `x, y`.

    Raises:
        DataError: naming the file, line, column and value, with a fix.
    """
    path = Path(path)
    if missing not in MISSING_MODES:
        raise SpecError(f"`missing` must be one of {describe_choices(MISSING_MODES)}. "
                        f"Received: {missing!r}")
    if on_bad_rows not in BAD_ROW_MODES:
        raise SpecError(f"`on_bad_rows` must be one of {describe_choices(BAD_ROW_MODES)}. "
                        f"Received: {on_bad_rows!r}")
    check_task(task)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in '"\r\n'):
        raise SpecError("`delimiter` must be one character other than a quote or a line "
                        f"break, or None. Received: {delimiter!r}")
    try:
        limits.check_size(path.stat().st_size, path.name)
        with open(path, newline="", encoding="utf-8-sig") as f:
            table = _CsvReader(path, f, label, features, delimiter, header,
                               (missing, on_bad_rows), task).read()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}). "
                        "Fix: save it as CSV in UTF-8, or load binary data with "
                        "from_numpy / from_idx.") from None
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return table


class _CsvReader:
    """One pass over an open file; `read()` returns the checked `LoadedData`."""

    def __init__(self, path, f, label, features, delimiter, header, modes, task):
        self.path, self.name, self.f = path, path.name, f
        (self.missing, self.bad_rows), self.task = modes, task
        self.skipped, self.first_skipped = 0, None
        first, self.line_no = first_line(f)
        if first is None:
            raise DataError(f"{self.name} is empty. Fix: choose a file with a header line "
                            "and at least one row of data.")
        self.delimiter = delimiter or sniff(first)
        try:
            cells = next(csv.reader([first], delimiter=self.delimiter))
        except csv.Error as exc:
            raise csv_error(exc, self.name, self.line_no) from None
        self.columns = column_names(cells, header, self.name)
        self.pending = [] if header else [first]
        if header:
            self.line_no += 1
        self.label, self.features = resolve(self.columns, label, features, self.name)
        self.feats, self.labels, self.lines = [], [], []

    def read(self) -> LoadedData:
        for raw, start, quoted in chunks(self.f, self.pending, self.line_no):
            self._take_chunk(raw, start, quoted)
        x, y_raw, lines = self._joined()
        label_name = None if self.label is None else self.columns[self.label]
        result = CsvData(x, None, tuple(self.columns[i] for i in self.features),
                         label_name=label_name, source=str(self.path),
                         skipped_rows=self.skipped, first_skipped=self.first_skipped)
        if self.label is not None:
            where = f"{self.name}, column {label_name!r}"
            result.y, result.class_names, result.task = encode_labels(
                y_raw, self.task, where, locate=lambda i: f"line {lines[i]}")
        return result

    def _take_chunk(self, raw, start, quoted):
        rows, lines = (None, None) if quoted else unquoted(raw, start)
        if rows is not None and not rows:
            return
        values = labels = None
        if rows is not None:
            rows, lines = self._right_width(
                rows, lines, [line.count(self.delimiter) + 1 for line in rows])
            if not rows:
                return
            values, labels = self._fast(rows)
        if values is None:
            rows, lines = parsed(raw, start, self.delimiter, self.name) if rows is None else (
                split(rows, lines, self.delimiter, self.name), lines)
            rows, lines = self._right_width(rows, lines, [len(r) for r in rows])
            values, labels, lines = self._slow(rows, lines)
        if len(values):
            self._keep(values, labels, lines)

    def _right_width(self, rows, lines, widths):
        """The rows with one value per column; the others raise or are skipped."""
        bad = np.asarray(widths, dtype=np.int64) != len(self.columns)
        if not bad.any():
            return rows, lines
        i = int(np.argmax(bad))
        if self.bad_rows == "error":
            raise DataError(
                f"{self.name} line {lines[i]}: {widths[i]} values, but the header has "
                f"{len(self.columns)} columns ({', '.join(self.columns)}). Fix: give every "
                "row the same number of values (an empty cell still needs its delimiter), or "
                "pass on_bad_rows='skip' to leave such rows out.")
        self._skip(int(bad.sum()), BadRow(int(lines[i]), None,
                                          f"{widths[i]} values instead of {len(self.columns)}"))
        keep = np.flatnonzero(~bad)
        return [rows[k] for k in keep], np.asarray(lines)[keep]

    def _skip(self, count, first: BadRow):
        # the width check and the number check of one chunk may each find bad rows; the
        # earlier line is the one to show
        self.skipped += count
        if self.first_skipped is None or first.line < self.first_skipped.line:
            self.first_skipped = first

    def _fast(self, rows):
        """NumPy's C parser; `(None, None)` sends the chunk to the cell-by-cell path."""
        if self.label is not None and max(map(len, rows)) > limits.MAX_CELL_CHARS:
            cells = [line.split(self.delimiter)[self.label] for line in rows]
            if max(map(len, cells)) > limits.MAX_CELL_CHARS:
                return None, None  # the cell-by-cell path names the long label
        try:
            values = np.loadtxt(rows, delimiter=self.delimiter, usecols=self.features,
                                dtype=np.float64, comments=None, ndmin=2)
            labels = None
            if self.label is not None:
                labels = np.loadtxt(rows, delimiter=self.delimiter, usecols=[self.label],
                                    dtype=str, comments=None, ndmin=1)
        except ValueError:
            return None, None
        return values, labels

    def _slow(self, rows, lines):
        check_lengths(rows, lines, self.columns, self.name)
        values = np.full((len(rows), len(self.features)), np.nan)
        bad = np.zeros((len(rows), len(self.features)), bool)
        for j, col in enumerate(self.features):
            text = np.char.strip(np.array([row[col] for row in rows], dtype=str))
            present = ~np.isin(np.char.lower(text), MISSING_TOKENS)
            try:
                with np.errstate(over="ignore"):  # too large: inf, reported in _keep
                    values[present, j] = text[present].astype(np.float64)
            except ValueError:
                bad[:, j] = unparsable(text, present)
                good = present & ~bad[:, j]
                with np.errstate(over="ignore"):
                    values[good, j] = text[good].astype(np.float64)
        labels = None if self.label is None else np.array(
            [row[self.label] for row in rows], dtype=str)
        if not bad.any():
            return values, labels, lines
        i, j = np.argwhere(bad)[0]  # row-major: the first line, then its first column
        first = BadRow(int(lines[i]), self.columns[self.features[j]],
                       rows[i][self.features[j]].strip())
        if self.bad_rows == "error":
            raise DataError(f"{self.name} line {first.line}, column {first.column!r}: "
                            f"{first.value!r} is not a number. Fix: "
                            f"{self._number_fix(first.value)}")
        self._skip(int(bad.any(axis=1).sum()), first)
        keep = ~bad.any(axis=1)
        return values[keep], None if labels is None else labels[keep], np.asarray(lines)[keep]

    def _number_fix(self, value: str) -> str:
        if "," in value and self.delimiter != ",":
            return "write decimals with a '.' (LayerCraft does not read decimal commas)."
        return ("correct the value, leave out this column with features=[...] (only numeric "
                "feature columns can be used), or pass on_bad_rows='skip' to leave out the rows "
                "that do not parse.")

    def _keep(self, values, labels, lines):
        bad = np.argwhere(np.isinf(values))
        if bad.size:
            i, j = bad[0]
            raise DataError(
                f"{self.name} line {lines[i]}, column {self.columns[self.features[j]]!r}: "
                f"{values[i, j].item()!r} is not a finite number. Fix: replace it with a real "
                "value, or leave the cell empty and pass missing='mean' or missing='drop'.")
        holes = np.isnan(values)
        label_holes = np.zeros(len(values), bool)
        if labels is not None:
            labels = np.char.strip(labels)
            label_holes = np.isin(np.char.lower(labels), MISSING_TOKENS)
        self._check_missing(holes, label_holes, lines)
        if self.missing == "drop":
            keep = ~(holes.any(axis=1) | label_holes)
            values, lines = values[keep], np.asarray(lines)[keep]
            labels = None if labels is None else labels[keep]
        self.feats.append(to_float32(values, self, lines))
        self.labels.append(labels)
        self.lines.append(np.asarray(lines, dtype=np.int64))

    def _check_missing(self, holes, label_holes, lines):
        if self.missing != "drop" and label_holes.any():
            i = int(np.argmax(label_holes))
            raise DataError(f"{self.name} line {lines[i]}, column "
                            f"{self.columns[self.label]!r}: the label is missing. Fix: fill "
                            "it in, or pass missing='drop' to skip rows without a label.")
        if self.missing == "error" and holes.any():
            i, j = np.argwhere(holes)[0]
            raise DataError(
                f"{self.name} line {lines[i]}, column {self.columns[self.features[j]]!r}: the "
                "value is missing. Fix: fill it in, or pass missing='drop' to skip such rows "
                "or missing='mean' to fill in the column's mean.")

    def _joined(self):
        x = np.concatenate(self.feats) if self.feats else np.zeros((0, len(self.features)))
        if len(x) == 0 and self.skipped:
            raise DataError(f"{self.name}: none of the {self.skipped} data rows parses, so "
                            f"nothing is left to load (first: {self.first_skipped}). Fix: "
                            "leave out the columns that are not numbers with features=[...].")
        if len(x) == 0:
            why = "every row has a missing value" if self.feats else "there are no data rows"
            raise DataError(f"{self.name}: {why}, so nothing is left to load. Fix: add rows "
                            "of data below the header.")
        if self.missing == "mean":
            x = fill_means(x, [self.columns[i] for i in self.features], self.name)
        if self.label is not None:
            width = max(labels.dtype.itemsize for labels in self.labels)
            limits.check_size(len(x) * width, f"{self.name}, the labels in column "
                       f"{self.columns[self.label]!r}")
        y_raw = None if self.label is None else np.concatenate(self.labels)
        return x, y_raw, np.concatenate(self.lines)
