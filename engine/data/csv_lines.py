"""Reading a delimited text file as chunks of lines, keeping track of line numbers.

`chunks` never ends a chunk inside a quoted field, so a chunk can be parsed on its own;
`unquoted` and `parsed` give each data row the line number it starts on (for messages).
"""

import csv
import itertools

import numpy as np

from ..errors import DataError
from . import limits

DELIMITERS = (",", ";", "\t", "|")
CHUNK_LINES = 65536


def first_line(f):
    """The first non-blank line and its number, or `(None, 0)` for an empty file."""
    for number, line in enumerate(f, start=1):
        if line.strip():
            return line, number
    return None, 0


def sniff(line: str) -> str:
    """The most frequent of `DELIMITERS` in `line` (a comma when there is none)."""
    counts = [line.count(d) for d in DELIMITERS]
    return DELIMITERS[int(np.argmax(counts))] if max(counts) else ","


def chunks(f, pending, start):
    """Yields `(lines, first_line_number, quoted)`; a chunk never ends inside a quoted field."""
    lines = iter(f)
    while True:
        raw = pending + list(itertools.islice(lines, CHUNK_LINES - len(pending)))
        pending = []
        if not raw:
            return
        quoted = '"' in "".join(raw)
        while quoted and sum(line.count('"') for line in raw) % 2:  # open quote: read on
            extra = next(lines, None)
            if extra is None:
                break
            raw.append(extra)
        yield raw, start, quoted
        start += len(raw)


def unquoted(raw, start):
    """Non-blank lines of a chunk without quotes, each one row, and their line numbers."""
    rows = [line for line in raw if line.strip()]
    if len(rows) == len(raw):
        return rows, np.arange(start, start + len(raw))
    kept = np.flatnonzero([bool(line.strip()) for line in raw])
    return rows, kept + start


def parsed(raw, start, delimiter, name):
    """Rows of a chunk parsed by the `csv` module (quotes, delimiters and line breaks
    inside quoted fields) and the line number each row starts on."""
    reader = csv.reader(raw, delimiter=delimiter)
    rows, lines, before = [], [], 0
    try:
        for row in reader:
            if len(row) > 1 or (row and row[0].strip()):  # skip blank lines
                rows.append(row)
                lines.append(start + before)
            before = reader.line_num
    except csv.Error as exc:
        raise csv_error(exc, name, start + max(reader.line_num - 1, 0)) from None
    return rows, lines


def split(rows, lines, delimiter, name):
    """Unquoted lines split into cells by the `csv` module."""
    reader = csv.reader(rows, delimiter=delimiter)
    try:
        return list(reader)
    except csv.Error as exc:
        raise csv_error(exc, name, lines[max(reader.line_num - 1, 0)]) from None


def csv_error(exc, name, line) -> DataError:
    """The `DataError` for what the `csv` module refuses, at `line`."""
    if "field limit" in str(exc):
        return DataError(
            f"{name} line {line}: a value is longer than {csv.field_size_limit():,} "
            "characters. An unclosed quote (\") often makes one value run on over many "
            "lines. Fix: close the quote, or remove the line.")
    return DataError(f"{name} line {line} cannot be read as CSV ({exc}). Fix: correct the "
                     "line, or remove it.")


def check_lengths(rows, lines, columns, name):
    """Refuses a cell longer than `limits.MAX_CELL_CHARS`, naming its line and column."""
    found = long_cell(rows, limits.MAX_CELL_CHARS)
    if found is not None:
        i, j = found
        raise DataError(
            f"{name} line {lines[i]}, column {columns[j]!r}: the value is "
            f"{len(rows[i][j]):,} characters long; LayerCraft reads values (numbers and class "
            f"names) of up to {limits.MAX_CELL_CHARS:,} characters "
            "(engine.data.limits.MAX_CELL_CHARS). An unclosed quote (\") often makes one value "
            "run on over many lines. Fix: close the quote, or shorten the value.")


def long_cell(rows, limit):
    """`(row, column)` of the first cell longer than `limit` characters, or `None`."""
    if max(map(len, itertools.chain.from_iterable(rows)), default=0) <= limit:
        return None
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            if len(cell) > limit:
                return i, j
    return None
