"""Cell values of a delimited file: missing-value tokens, number checks, the rows left out.

Shared by `tabular.from_csv`'s reader; no file handling here.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import DataError

#: Cell texts read as "no value" (compared after stripping and lower-casing).
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "?")


@dataclass(frozen=True)
class BadRow:
    """A row `on_bad_rows="skip"` left out: its line, and the column and cell text that did
    not parse (`column` is `None` when the row has the wrong number of values; `value` then
    says how many it has)."""

    line: int
    column: str | None
    value: str

    def __str__(self) -> str:
        if self.column is None:
            return f"line {self.line}: {self.value}"
        return f"line {self.line}, column {self.column!r}: {self.value!r}"



def unparsable(text, present):
    """Which present cells the bulk conversion refuses, tested one by one with the same
    parser (only run for a column whose bulk conversion failed)."""
    bad = np.zeros(len(text), bool)
    for i in np.flatnonzero(present):
        try:
            with np.errstate(over="ignore"):
                text[i:i + 1].astype(np.float64)
        except ValueError:
            bad[i] = True
    return bad


def to_float32(values, reader, lines):
    """`values` as float32; refuses a value too large for float32, naming its line."""
    with np.errstate(over="ignore"):  # overflow is reported below, with its line
        out = values.astype(np.float32)
    too_big = np.isinf(out) & ~np.isinf(values)
    if too_big.any():
        i, j = np.argwhere(too_big)[0]
        raise DataError(f"{reader.name} line {lines[i]}, column "
                        f"{reader.columns[reader.features[j]]!r}: {values[i, j].item()!r} is too "
                        "large for float32 (about 3.4e38 at most). Fix: rescale this column.")
    return out


def fill_means(x, names, file_name):
    """Missing values (NaN) replaced by their column's mean."""
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
