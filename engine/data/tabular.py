"""`from_csv`: numeric columns and a label column from a delimited text file.

The file is read in chunks of lines. A chunk without quotes goes through NumPy's C parser
(`np.loadtxt`), which keeps a 100 MB file to a few seconds; a chunk that has quotes, or that
the fast parser refuses, goes through the `csv` module cell by cell, which also finds the
exact line, column and value of any problem. Nothing is returned until the whole file is
read and checked.
"""

import csv
from pathlib import Path

import numpy as np

from ..errors import DataError, SpecError, describe_choices
from . import limits
from .csv_lines import (check_lengths, chunks, csv_error, first_line, parsed, sniff, split,
                        unquoted)
from .loaded import LoadedData, check_task, encode_labels

MISSING_MODES = ("error", "drop", "mean")
#: Cell texts read as "no value" (compared after stripping and lower-casing).
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "?")


def from_csv(path, label=None, features=None, delimiter=None, header=True, missing="error",
             task="auto") -> LoadedData:
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

    Returns:
        `LoadedData` with `x` float32 `(rows, features)`, `y` int64 class indices (mapping in
        `class_names`, sorted) or float32 targets, and `feature_names`. Unpacks as `x, y`.

    Raises:
        DataError: naming the file, line, column and value, with a fix.
    """
    path = Path(path)
    if missing not in MISSING_MODES:
        raise SpecError(f"`missing` must be one of {describe_choices(MISSING_MODES)}. "
                        f"Received: {missing!r}")
    check_task(task)
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in '"\r\n'):
        raise SpecError("`delimiter` must be one character other than a quote or a line "
                        f"break, or None. Received: {delimiter!r}")
    try:
        limits.check_size(path.stat().st_size, path.name)
        with open(path, newline="", encoding="utf-8-sig") as f:
            table = _CsvReader(path, f, label, features, delimiter, header, missing,
                               task).read()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}). "
                        "Fix: save it as CSV in UTF-8, or load binary data with "
                        "from_numpy / from_idx.") from None
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return table


class _CsvReader:
    """One pass over an open file; `read()` returns the checked `LoadedData`."""

    def __init__(self, path, f, label, features, delimiter, header, missing, task):
        self.path, self.name, self.f = path, path.name, f
        self.missing, self.task = missing, task
        first, self.line_no = first_line(f)
        if first is None:
            raise DataError(f"{self.name} is empty. Fix: choose a file with a header line "
                            "and at least one row of data.")
        self.delimiter = delimiter or sniff(first)
        try:
            cells = next(csv.reader([first], delimiter=self.delimiter))
        except csv.Error as exc:
            raise csv_error(exc, self.name, self.line_no) from None
        self.columns = _column_names(cells, header, self.name)
        self.pending = [] if header else [first]
        if header:
            self.line_no += 1
        self.label, self.features = _resolve(self.columns, label, features, self.name)
        self.feats, self.labels, self.lines = [], [], []

    def read(self) -> LoadedData:
        for raw, start, quoted in chunks(self.f, self.pending, self.line_no):
            self._take_chunk(raw, start, quoted)
        x, y_raw, lines = self._joined()
        label_name = None if self.label is None else self.columns[self.label]
        result = LoadedData(x, None, tuple(self.columns[i] for i in self.features),
                            label_name=label_name, source=str(self.path))
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
            self._check_widths([line.count(self.delimiter) + 1 for line in rows], lines)
            values, labels = self._fast(rows)
        if values is None:
            rows, lines = parsed(raw, start, self.delimiter, self.name) if rows is None else (
                split(rows, lines, self.delimiter, self.name), lines)
            self._check_widths([len(r) for r in rows], lines)
            values, labels = self._slow(rows, lines)
        self._keep(values, labels, lines)

    def _check_widths(self, widths, lines):
        bad = np.flatnonzero(np.asarray(widths) != len(self.columns))
        if bad.size:
            i = bad[0]
            raise DataError(
                f"{self.name} line {lines[i]}: {widths[i]} values, but the header has "
                f"{len(self.columns)} columns ({', '.join(self.columns)}). Fix: give every "
                "row the same number of values (an empty cell still needs its delimiter).")

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
        first_bad = None
        for j, col in enumerate(self.features):
            text = np.char.strip(np.array([row[col] for row in rows], dtype=str))
            present = ~np.isin(np.char.lower(text), MISSING_TOKENS)
            try:
                with np.errstate(over="ignore"):  # too large: inf, reported in _keep
                    values[present, j] = text[present].astype(np.float64)
            except ValueError:
                i = _first_unparsable(text, present)
                if first_bad is None or i < first_bad[0]:
                    first_bad = (i, col, str(text[i]))
        if first_bad is not None:
            i, col, value = first_bad
            raise DataError(f"{self.name} line {lines[i]}, column {self.columns[col]!r}: "
                            f"{value!r} is not a number. Fix: {self._number_fix(value)}")
        labels = None if self.label is None else np.array(
            [row[self.label] for row in rows], dtype=str)
        return values, labels

    def _number_fix(self, value: str) -> str:
        if "," in value and self.delimiter != ",":
            return "write decimals with a '.' (LayerCraft does not read decimal commas)."
        return ("correct the value, or leave out this column with features=[...] (only "
                "numeric feature columns can be used).")

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
        self.feats.append(_to_float32(values, self, lines))
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
        if len(x) == 0:
            why = "every row has a missing value" if self.feats else "there are no data rows"
            raise DataError(f"{self.name}: {why}, so nothing is left to load. Fix: add rows "
                            "of data below the header.")
        if self.missing == "mean":
            x = _fill_means(x, [self.columns[i] for i in self.features], self.name)
        if self.label is not None:
            width = max(labels.dtype.itemsize for labels in self.labels)
            limits.check_size(len(x) * width, f"{self.name}, the labels in column "
                       f"{self.columns[self.label]!r}")
        y_raw = None if self.label is None else np.concatenate(self.labels)
        return x, y_raw, np.concatenate(self.lines)


def _column_names(cells, header, file_name):
    if not header:
        return [f"column_{i}" for i in range(len(cells))]
    names = [c.strip() or f"column_{i}" for i, c in enumerate(cells)]
    seen = set()
    for n in names:
        if n in seen:
            raise DataError(f"{file_name}: the header names column {n!r} twice. Fix: give "
                            "every column its own name.")
        seen.add(n)
    return names


def _resolve(columns, label, features, file_name):
    label_index = None if label is None else _column_index(columns, label, file_name, "label")
    if features is None:
        chosen = [i for i in range(len(columns)) if i != label_index]
    else:
        chosen = [_column_index(columns, c, file_name, "features") for c in features]
        if label_index in chosen:
            raise SpecError(f"Column {columns[label_index]!r} is the label and cannot also be "
                            "a feature. Fix: remove it from features=[...].")
    if not chosen:
        raise DataError(f"{file_name} has no feature columns besides the label "
                        f"{columns[label_index]!r}. Fix: choose a file with input columns.")
    return label_index, chosen


def _column_index(columns, key, file_name, argument):
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        if -len(columns) <= key < len(columns):
            return int(key) % len(columns)
    elif isinstance(key, str) and key in columns:
        return columns.index(key)
    raise DataError(f"{file_name} has no column {key!r} (asked for by `{argument}`). Its "
                    f"columns are: {describe_choices(columns)}. Fix: pass one of these names "
                    f"or a position from 0 to {len(columns) - 1}.")


def _first_unparsable(text, present):
    for i in np.flatnonzero(present):
        try:
            with np.errstate(over="ignore"):
                text[i:i + 1].astype(np.float64)  # the same parser as the bulk conversion
        except ValueError:
            return int(i)
    return 0


def _to_float32(values, reader, lines):
    with np.errstate(over="ignore"):  # overflow is reported below, with its line
        out = values.astype(np.float32)
    too_big = np.isinf(out) & ~np.isinf(values)
    if too_big.any():
        i, j = np.argwhere(too_big)[0]
        raise DataError(f"{reader.name} line {lines[i]}, column "
                        f"{reader.columns[reader.features[j]]!r}: {values[i, j].item()!r} is too "
                        "large for float32 (about 3.4e38 at most). Fix: rescale this column.")
    return out


def _fill_means(x, names, file_name):
    holes = np.isnan(x)
    if not holes.any():
        return x
    counts = (~holes).sum(axis=0)
    if (counts == 0).any():
        name = names[int(np.argmin(counts))]
        raise DataError(f"{file_name}, column {name!r}: every value is missing, so there is no "
                        "mean to fill in. Fix: leave the column out with features=[...].")
    means = np.nansum(x, axis=0, dtype=np.float64) / counts
    return np.where(holes, means.astype(np.float32), x)
