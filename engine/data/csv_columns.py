"""Column names of a delimited file and the label/feature columns chosen from them.

`header_columns` lets a GUI offer the columns (label and feature pickers) with the same
names `from_csv` will use, so a name chosen there is always one `from_csv` accepts.
"""

import csv

import numpy as np

from ..errors import DataError, SpecError, describe_choices
from .csv_lines import first_line, sniff


def header_columns(path, delimiter=None, header=True) -> list[str]:
    """The column names `from_csv(path, delimiter=..., header=...)` would use.

    Blank header cells read as `column_<i>`, as do all columns of a file without a header.
    Returns `[]` for a file that is empty, unreadable or not UTF-8 (`from_csv` then
    reports what is wrong with it).
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            first, _ = first_line(f)
        if first is None:
            return []
        cells = next(csv.reader([first], delimiter=delimiter or sniff(first)), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    if not header:
        return [f"column_{i}" for i in range(len(cells))]
    return [c.strip() or f"column_{i}" for i, c in enumerate(cells)]


def column_names(cells, header, file_name):
    """Names for the cells of the first line; refuses a header naming a column twice."""
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


def resolve(columns, label, features, file_name):
    """`(label_index or None, [feature indices])` for `from_csv`'s `label` and `features`."""
    label_index = None if label is None else _column_index(columns, label, file_name, "label")
    if features is None:
        chosen = [i for i in range(len(columns)) if i != label_index]
    else:
        chosen = [_column_index(columns, c, file_name, "features") for c in features]
        if label_index in chosen:
            raise SpecError(f"Column {columns[label_index]!r} is the label and cannot also be "
                            "a feature. Fix: remove it from features=[...].")
    if not chosen and features is not None:
        others = [c for i, c in enumerate(columns) if i != label_index]
        raise SpecError("`features` names no column, so there is nothing to learn from. "
                        f"Received: features={list(features)!r}. Fix: name at least one of "
                        f"{describe_choices(others)}.")
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
