"""Loader messages as the import dialog shows them.

The engine's messages name the Python arguments that fix a problem (`features=[...]`,
`missing='drop'`), which is right for code but means nothing in the dialog. `for_dialog`
rewrites those remedies to name the dialog's controls instead; the rest of the message
(file, line, column, value) is kept as the engine wrote it. No Qt here.
"""

import re

from .options_text import BAD_ROWS_SKIP, FEATURES, MISSING_DROP, MISSING_MEAN, TASK

#: (pattern in an engine message, the dialog's words), tried in order: longer phrases first.
REMEDIES = (
    (r"pass missing='mean' or missing='drop'",
     f"choose “{MISSING_MEAN}” or “{MISSING_DROP}” under Missing values"),
    (r"pass missing='drop' to skip such rows or missing='mean' to fill in the column's mean",
     f"choose “{MISSING_DROP}” or “{MISSING_MEAN}” under Missing values"),
    (r"pass missing='drop' to skip rows without a label",
     f"choose “{MISSING_DROP}” under Missing values"),
    (r"pass on_bad_rows='skip' to leave (out the rows that do not parse|such rows out)",
     f"choose “{BAD_ROWS_SKIP}” under Rows that don't parse"),
    (r"leave out (this column|the columns that are not numbers) with features=\[\.\.\.\]"
     r"( \(only numeric feature columns can be used\))?",
     rf"untick \1 under {FEATURES} (only numeric columns can be features)"),
    (r"leave the column out with features=\[\.\.\.\]", f"untick the column under {FEATURES}"),
    (r"remove it from features=\[\.\.\.\]", f"untick it under {FEATURES}"),
    (r"Received: features=\[\]\. Fix: name at least one of",
     f"Fix: tick at least one of these under {FEATURES}:"),
    (r"`features` names no column", "No feature column is ticked"),
    (r"use task='(regression|classification)'",
     lambda m: f"set {TASK} to {m.group(1).capitalize()}"),
    (r"load binary data with from_numpy / from_idx",
     "import binary data as a NumPy file or IDX files"),
    (r"pass image_size=\(height, width\)", "set Image size"),
    (r"pass image_size to resize", "set a smaller Image size to resize"),
    (r"pass a smaller image_size or dtype='uint8' \(4x less memory\)",
     "set a smaller Image size"),
    (r"pass a smaller image_size", "set a smaller Image size"),
    (r"engine\.data\.limits\.MAX_BYTES = (\d+) \(or set the environment variable (\w+) "
     r"before starting LayerCraft\)",
     r"set the environment variable \2=\1 before starting LayerCraft"),
)


def for_dialog(message: str) -> str:
    """`message` with each Python-argument remedy replaced by the dialog control to use."""
    for pattern, words in REMEDIES:
        message = re.sub(pattern, words, message)
    return message


def skipped_text(loaded) -> str:
    """What the user reads about rows `on_bad_rows="skip"` left out."""
    count = loaded.skipped_rows
    rows = "row that did" if count == 1 else "rows that did"
    return f"Skipped {count:,} {rows} not parse (first: {loaded.first_skipped})."
